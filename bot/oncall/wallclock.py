"""Local wall-clock time to UTC instants: the one place where the DST policy lives.

Rules are written in local time ("MO 09:00", "09:00-17:30") and evaluated in
the person's or the rotation's IANA zone.  Twice a year a local time does not
exist (spring forward) or exists twice (fall back).  The policy:

* a **nonexistent** local time shifts forward by the length of the gap
  (02:30 on the spring-forward night in Berlin is 03:30 CEST);
* an **ambiguous** local time is its **first** occurrence when it starts
  something (a shift, a working interval, a window) and its **last**
  occurrence when it ends something, so an interval never shrinks by the
  repeated hour.

Everything that turns a local wall-clock time into an instant calls
:func:`local_to_utc`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from bot.clock import UTC, ensure_utc

END_OF_DAY = time(23, 59, 59, 999999)  # how the config types spell "24:00"
Edge = Literal["start", "end"]


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def local_to_utc(day: date, wall: time, zone_name: str, *, edge: Edge = "start") -> datetime:
    """The UTC instant of ``wall`` on ``day`` in ``zone_name`` under the DST policy above.

    Cached: rotas, working hours and the checks ask for the same few wall-clock times on the same days."""
    if wall == END_OF_DAY:  # "24:00" is midnight at the start of the next day
        day, wall = day + timedelta(days=1), time(0, 0)
    tz = zone(zone_name)
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        # Nonexistent (in the gap): fold=0 reads it with the offset before the change,
        # which lands the same distance after the gap -> "shift forward".
        return first.astimezone(UTC)
    return (first if edge == "start" else second).astimezone(UTC)


@lru_cache(maxsize=16384)
def local_window(day: date, start: time, end: time, zone_name: str) -> tuple[datetime, datetime]:
    """A wall-clock window ("09:00-17:30", "23:00-06:00") that starts on local ``day``, as UTC instants.

    An end at or before the start is on the next day; "24:00" is midnight at the end of the day.  Cached:
    everyone at a site works the same few windows on the same days, and the answer never changes.
    """
    next_day = end <= start and end != END_OF_DAY
    return (local_to_utc(day, start, zone_name, edge="start"),
            local_to_utc(day + timedelta(days=1) if next_day else day, end, zone_name, edge="end"))


def local_naive_to_utc(value: datetime, zone_name: str, *, edge: Edge = "start") -> datetime:
    """A datetime written without offset in config, read in ``zone_name``; aware values pass through."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return ensure_utc(value)
    return local_to_utc(value.date(), value.time(), zone_name, edge=edge)


def to_local(at: datetime, zone_name: str) -> datetime:
    return ensure_utc(at).astimezone(zone(zone_name))


def local_date(at: datetime, zone_name: str) -> date:
    return to_local(at, zone_name).date()


def start_of_local_day(day: date, zone_name: str) -> datetime:
    return local_to_utc(day, time(0, 0), zone_name, edge="start")


def describe_local(at: datetime, zone_name: str, *, with_date: bool = True) -> str:
    """'07:40 Europe/Berlin' or '2026-12-26 07:40 Europe/Berlin' for messages."""
    local = to_local(at, zone_name)
    text = local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f"{text} {zone_name}"
