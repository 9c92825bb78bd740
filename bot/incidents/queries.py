"""queries (being implemented)."""

from __future__ import annotations


def get(ctx, *args, **kwargs):
    raise NotImplementedError


def incident_by_channel(ctx, *args, **kwargs):
    raise NotImplementedError


def incidents_for_user(ctx, *args, **kwargs):
    raise NotImplementedError


def obligations(ctx, *args, **kwargs):
    raise NotImplementedError


def open_incidents(ctx, *args, **kwargs):
    raise NotImplementedError


def open_obligations(ctx, *args, **kwargs):
    raise NotImplementedError


def pages(ctx, *args, **kwargs):
    raise NotImplementedError


def pending_approvals(ctx, *args, **kwargs):
    raise NotImplementedError


def severities(ctx, *args, **kwargs):
    raise NotImplementedError


def tasks(ctx, *args, **kwargs):
    raise NotImplementedError


def timeline(ctx, *args, **kwargs):
    raise NotImplementedError

