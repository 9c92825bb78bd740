"""triggers (being implemented)."""

from __future__ import annotations


def decide(ctx, *args, **kwargs):
    raise NotImplementedError


def request_trigger_change(ctx, *args, **kwargs):
    raise NotImplementedError


def set_trigger(ctx, *args, **kwargs):
    raise NotImplementedError

