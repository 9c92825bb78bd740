"""How instants are written in the managers' outputs: UTC ISO 8601 for machines, local wall clock for people."""

from __future__ import annotations

from datetime import datetime

from bot.clock import ensure_utc
from bot.oncall.wallclock import to_local


def iso(at: datetime) -> str:
    """``2026-03-04T19:00:00Z``."""
    return ensure_utc(at).isoformat().replace("+00:00", "Z")


def local_iso(at: datetime, zone: str) -> str:
    """``2026-03-04T20:00:00+01:00``: the person's wall clock with its offset."""
    return to_local(at, zone).isoformat()


def local_span(start: datetime, end: datetime, zone: str) -> str:
    """``2026-03-04 20:00 CET -> 2026-03-04 23:00 CET (Europe/Berlin)``.

    The zone abbreviation tells the two 02:30 of an autumn night apart.
    """
    s, e = to_local(start, zone), to_local(end, zone)
    return f"{s:%Y-%m-%d %H:%M %Z} -> {e:%Y-%m-%d %H:%M %Z} ({zone})"
