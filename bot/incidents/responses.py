"""responses (being implemented)."""

from __future__ import annotations


def acknowledge_page(ctx, *args, **kwargs):
    raise NotImplementedError


def decline_page(ctx, *args, **kwargs):
    raise NotImplementedError


def mark_not_required(ctx, *args, **kwargs):
    raise NotImplementedError


def mark_notified(ctx, *args, **kwargs):
    raise NotImplementedError


def snooze_obligation(ctx, *args, **kwargs):
    raise NotImplementedError

