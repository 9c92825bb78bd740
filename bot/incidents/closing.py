"""closing (being implemented)."""

from __future__ import annotations


def close(ctx, *args, **kwargs):
    raise NotImplementedError


def resolve(ctx, *args, **kwargs):
    raise NotImplementedError

