"""Arithmetic on half-open UTC intervals ``[start, end)``: union, difference, overlap in hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from bot.oncall.schedule import merge, subtract
from bot.oncall.team import Interval

__all__ = ["Interval", "merge", "subtract", "clip", "hours", "overlap_hours"]


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if e > start and s < end]


def hours(intervals: Iterable[Interval]) -> float:
    """Absolute (DST-correct) length in hours of the union of ``intervals``."""
    return sum(((e - s) for s, e in merge(list(intervals))), timedelta(0)) / timedelta(hours=1)


def overlap_hours(intervals: Iterable[Interval], windows: Iterable[Interval]) -> float:
    """Hours of the union of ``intervals`` that fall inside the union of ``windows``."""
    a, b = merge(list(intervals)), merge(list(windows))
    total = timedelta(0)
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            total += hi - lo
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return total / timedelta(hours=1)
