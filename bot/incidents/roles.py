"""roles (being implemented)."""

from __future__ import annotations


def assign_role(ctx, *args, **kwargs):
    raise NotImplementedError


def hand_over_role(ctx, *args, **kwargs):
    raise NotImplementedError

