"""declare (being implemented)."""

from __future__ import annotations


def declare(ctx, *args, **kwargs):
    raise NotImplementedError


def record_channel(ctx, *args, **kwargs):
    raise NotImplementedError


def record_side_effect_failure(ctx, *args, **kwargs):
    raise NotImplementedError

