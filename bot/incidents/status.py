"""status (being implemented)."""

from __future__ import annotations


def add_note(ctx, *args, **kwargs):
    raise NotImplementedError


def post_status(ctx, *args, **kwargs):
    raise NotImplementedError


def set_fact(ctx, *args, **kwargs):
    raise NotImplementedError

