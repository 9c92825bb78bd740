"""Who is on call: rotations by cadence, coverage windows, overrides as a higher layer.

Handoffs are local wall-clock times in the rotation's zone (DST policy in
:mod:`bot.oncall.wallclock`), so "MO 09:00" stays 09:00 local across DST
changes and a shift is 167 or 169 hours long in those weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from bot.clock import ensure_utc
from bot.oncall.labor_rules import parse_window
from bot.oncall.people import parse_days
from bot.oncall.rota import Rotation
from bot.oncall.team import Interval, Team, team_of
from bot.oncall.wallclock import END_OF_DAY, local_date, local_to_utc, local_window, to_local


@dataclass(frozen=True)
class OnCall:
    rotation: str
    person: str | None  # None: outside coverage
    rostered: str  # the person the cadence names (before overrides)
    shift_start: datetime
    shift_end: datetime
    covered: bool
    override_reason: str | None
    deputies: tuple[str, ...]


def handoff_at(rot: Rotation, index: int) -> datetime:
    day = rot.start + timedelta(days=index * rot.period_days)
    return local_to_utc(day, rot.handoff_time, rot.timezone, edge="start")


def shift_index(rot: Rotation, at: datetime) -> int:
    at = ensure_utc(at)
    index = (local_date(at, rot.timezone) - rot.start).days // rot.period_days
    while handoff_at(rot, index) > at:
        index -= 1
    while handoff_at(rot, index + 1) <= at:
        index += 1
    return index


def covered(rot: Rotation, at: datetime) -> bool:
    if not rot.coverage:
        return True
    local = to_local(at, rot.timezone)
    now, weekday = local.time(), local.weekday()
    for cov in rot.coverage:
        days = parse_days(cov.days)
        start, end = parse_window(cov.window)
        if end == END_OF_DAY:
            if weekday in days and now >= start:
                return True
        elif start < end:
            if weekday in days and start <= now < end:
                return True
        else:  # crosses midnight: evening part today, morning part belongs to yesterday's window
            if (weekday in days and now >= start) or ((weekday - 1) % 7 in days and now < end):
                return True
    return False


def deputies_for(rot: Rotation, index: int, on_call: str | None) -> tuple[str, ...]:
    if isinstance(rot.deputies, list):
        return tuple(p for p in rot.deputies if p != on_call)
    n = len(rot.participants)
    order = [rot.participants[(index + k) % n] for k in range(1, n + 1)]
    return tuple(dict.fromkeys(p for p in order if p != on_call))


def on_call(team: Team, rotation_id: str, at: datetime) -> OnCall:
    rot = team.rotations[rotation_id]
    at = ensure_utc(at)
    index = shift_index(rot, at)
    rostered = rot.participants[index % len(rot.participants)]
    person, reason = rostered, None
    for ov in team.overrides.get(rotation_id, ()):  # in order, each on top of the ones before (as in shifts())
        if ov.start <= at < ov.end and (ov.replaces is None or ov.replaces == person):
            person, reason = ov.person, ov.reason or "override"
    is_covered = covered(rot, at)
    return OnCall(rotation_id, person if is_covered else None, rostered, handoff_at(rot, index),
                  handoff_at(rot, index + 1), is_covered, reason, deputies_for(rot, index, person))


class Roster:
    """Who can be rostered where: for each person, the rotations that can name them on call or first deputy.

    A person can be a rotation's on-call person or its first (designated) deputy only as a participant, a named
    deputy or the person of one of its overrides.  Built once per configuration version (:func:`roster_of`
    keeps it with the config), so asking whether someone is rostered reads their own one or two rotations, not
    every rotation of the organisation.
    """

    def __init__(self, team: Team) -> None:
        self.team = team
        rotations: dict[str, list[str]] = {}
        for rid, rot in team.rotations.items():
            names = list(rot.participants) + (list(rot.deputies) if isinstance(rot.deputies, list) else [])
            names += [ov.person for ov in team.overrides.get(rid, ())]
            for pid in dict.fromkeys(names):
                rotations.setdefault(pid, []).append(rid)
        self.rotations_of: dict[str, tuple[str, ...]] = {pid: tuple(rids) for pid, rids in rotations.items()}

    def is_rostered(self, person: str, at: datetime) -> bool:
        """On call at ``at``, or the first deputy of a rotation whose rota tells deputies they are on standby."""
        for rid in self.rotations_of.get(person, ()):
            oc = on_call(self.team, rid, at)
            told = self.team.rotations[rid].deputies_on_standby
            if oc.person and (oc.person == person or (told and oc.deputies and oc.deputies[0] == person)):
                return True
        return False


def roster_of(config) -> Roster:
    return config.derived("oncall.roster", lambda c: Roster(team_of(c)))


# --- materialised shifts (plan-time checks) ------------------------------------------------


@dataclass(frozen=True)
class Shift:
    rotation: str
    person: str
    start: datetime
    end: datetime
    source: str  # "rotation" or "override: <reason>"


def coverage_intervals(rot: Rotation, start: datetime, end: datetime) -> list[Interval]:
    if not rot.coverage:
        return [(start, end)]
    out: list[Interval] = []
    day = local_date(start, rot.timezone) - timedelta(days=1)
    last = local_date(end, rot.timezone)
    while day <= last:
        for cov in rot.coverage:
            if day.weekday() not in parse_days(cov.days):
                continue
            ws, we = parse_window(cov.window)
            s, e = local_window(day, ws, we, rot.timezone)
            if e > start and s < end:
                out.append((max(s, start), min(e, end)))
        day += timedelta(days=1)
    return merge(out)


def merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def subtract(minuend: Iterable[Interval], subtrahend: Iterable[Interval]) -> list[Interval]:
    """The parts of ``minuend`` not covered by ``subtrahend`` (both may be unsorted or overlapping)."""
    holes = merge(list(subtrahend))
    out: list[Interval] = []
    for s, e in merge(list(minuend)):
        cursor = s
        for hs, he in holes:
            if he <= cursor or hs >= e:
                continue
            if hs > cursor:
                out.append((cursor, hs))
            cursor = max(cursor, he)
            if cursor >= e:
                break
        if cursor < e:
            out.append((cursor, e))
    return out


def shifts(team: Team, rotation_id: str, start: datetime, end: datetime) -> list[Shift]:
    """Final on-call intervals of a rotation in [start, end): cadence, overrides on top, clipped to coverage."""
    rot = team.rotations[rotation_id]
    base: list[Shift] = []
    index = shift_index(rot, start)
    while handoff_at(rot, index) < end:
        s, e = max(handoff_at(rot, index), start), min(handoff_at(rot, index + 1), end)
        base.append(Shift(rotation_id, rot.participants[index % len(rot.participants)], s, e, "rotation"))
        index += 1
    for ov in team.overrides.get(rotation_id, ()):
        result: list[Shift] = []
        for sh in base:
            lo, hi = max(sh.start, ov.start), min(sh.end, ov.end)
            if lo >= hi or (ov.replaces is not None and ov.replaces != sh.person):
                result.append(sh)
                continue
            if sh.start < lo:
                result.append(Shift(rotation_id, sh.person, sh.start, lo, sh.source))
            result.append(Shift(rotation_id, ov.person, lo, hi, f"override: {ov.reason or 'override'}"))
            if hi < sh.end:
                result.append(Shift(rotation_id, sh.person, hi, sh.end, sh.source))
        base = result
    cover = coverage_intervals(rot, start, end)
    out: list[Shift] = []
    for sh in base:
        for cs, ce in cover:
            lo, hi = max(sh.start, cs), min(sh.end, ce)
            if lo < hi:
                out.append(Shift(rotation_id, sh.person, lo, hi, sh.source))
    return out
