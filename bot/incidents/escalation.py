"""escalation (being implemented)."""

from __future__ import annotations


def change_severity(ctx, *args, **kwargs):
    raise NotImplementedError

