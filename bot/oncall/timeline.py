"""A person's intervals (shifts, working time) sorted once and queried by window.

The plan-time checks ask the same few questions many times per person: how
many hours fall inside this window, where are the gaps in this window, does
anything overlap this shift.  Scanning every interval for every question makes
a check quadratic in the number of intervals; a :class:`Timeline` merges them
once and answers each question by bisection over the few intervals that touch
the window, with the same arithmetic (and the same sums, in the same order) as
:func:`bot.oncall.schedule.subtract` over the whole list.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from bot.oncall.schedule import merge
from bot.oncall.team import Interval


class Timeline:
    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.spans: list[Interval] = merge(list(intervals))
        self._ends = [e for _, e in self.spans]  # merged spans are disjoint, so their ends are sorted too
        self._answers: dict[tuple, Any] = {}

    def remember(self, question: tuple, answer: Callable[[], Any]) -> Any:
        """``answer()`` computed once per timeline for ``question``, a key naming everything it depends on
        besides the spans (people who share a timeline share the answers)."""
        if question not in self._answers:
            self._answers[question] = answer()
        return self._answers[question]

    def __iter__(self):
        return iter(self.spans)

    def __bool__(self) -> bool:
        return bool(self.spans)

    def overlapping(self, start: datetime, end: datetime) -> list[Interval]:
        """The spans with a part inside [start, end), in order (unclipped)."""
        out = []
        for i in range(bisect_right(self._ends, start), len(self.spans)):
            s, e = self.spans[i]
            if s >= end:
                break
            out.append((s, e))
        return out

    def overlaps(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self._ends, start)
        return i < len(self.spans) and self.spans[i][0] < end

    def hours_within(self, start: datetime, end: datetime) -> float:
        return sum((min(e, end) - max(s, start)).total_seconds() / 3600 for s, e in self.overlapping(start, end))

    def gaps_within(self, start: datetime, end: datetime) -> list[Interval]:
        """The parts of [start, end) no span covers (``subtract([(start, end)], spans)``)."""
        out: list[Interval] = []
        cursor = start
        for s, e in self.overlapping(start, end):
            if s > cursor:
                out.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < end:
            out.append((cursor, end))
        return out

    def longest_gap_hours(self, start: datetime, end: datetime) -> float:
        """Hours of the longest part of [start, end) no span covers (0 if none): the longest of
        :meth:`gaps_within`, walked in place because the daily-rest check asks it for every work period."""
        spans = self.spans
        i = bisect_right(self._ends, start)
        cursor, longest = start, timedelta(0)
        while i < len(spans) and spans[i][0] < end:
            s, e = spans[i]
            if s - cursor > longest:
                longest = s - cursor
            if e > cursor:
                cursor = e
            i += 1
        if end - cursor > longest:
            longest = end - cursor
        return longest.total_seconds() / 3600
