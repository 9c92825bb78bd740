"""A person's local calendar as UTC windows: day spans, weekends, public holidays, nights.

Every window is built from local wall-clock times with
:func:`bot.oncall.wallclock.local_window`, so a night that contains the
autumn change is 8 hours long and the spring one 6 (for a 23:00-06:00 window).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterator

from bot.oncall.labor_rules import parse_window
from bot.oncall.team import Interval, PersonInfo
from bot.oncall.wallclock import local_window, start_of_local_day

DEFAULT_NIGHT = "23:00-06:00"
WEEKEND_DAYS = (5, 6)  # Saturday, Sunday


def day_span(first: date, last: date, zone: str) -> Interval:
    """Local days ``first`` .. ``last`` inclusive, as one UTC interval."""
    if last < first:
        raise ValueError(f"expected --to on or after --from ({first}), got {last}")
    return start_of_local_day(first, zone), start_of_local_day(last + timedelta(days=1), zone)


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def whole_day(day: date, zone: str) -> Interval:
    return start_of_local_day(day, zone), start_of_local_day(day + timedelta(days=1), zone)


def weekend_windows(first: date, last: date, zone: str) -> list[Interval]:
    return [whole_day(d, zone) for d in days(first, last) if d.weekday() in WEEKEND_DAYS]


def holiday_windows(person: PersonInfo, first: date, last: date) -> list[tuple[date, str, Interval]]:
    """Public holidays of the person's own calendar (their site's, or their own without a site)."""
    out = []
    for d in days(first, last):
        name = person.holiday(d)
        if name:
            out.append((d, name, whole_day(d, person.zone)))
    return out


def night_window_of(person: PersonInfo) -> tuple[str, str]:
    """(window text, source): the night window of the person's labor profile, else 23:00-06:00."""
    for rule in person.rules.of_kind("night_work_limit"):
        return rule.night_window, rule.cite
    return DEFAULT_NIGHT, "default night window (no night_work_limit rule in the labor profile)"


def night_windows(window: str, first: date, last: date, zone: str) -> list[Interval]:
    """Each night that starts on a local day from the day before ``first`` to ``last``."""
    ws, we = parse_window(window)
    out: list[Interval] = []
    for d in days(first - timedelta(days=1), last):
        start, end = local_window(d, ws, we, zone)
        if end > start:
            out.append((start, end))
    return out
