"""Shift reminders: a direct message before someone's on-call period begins, with a button to ask for cover.

An on-call period is one person's time on a rotation between two handoffs
(overrides and covers applied, coverage windows joined within the period).
:func:`upcoming` lists the periods starting in a window; :func:`reminder_notice`
is what the person reads.  The button carries the rotation and the period as
ids (``shift:<rotation>:<start>:<end>``, UTC epoch seconds), never free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.clock import ensure_utc
from bot.oncall.schedule import shifts
from bot.oncall.team import Team
from bot.oncall.wallclock import describe_local
from bot.ports import Button, Notice

ASK_FOR_COVER = "cover.ask"


@dataclass(frozen=True)
class Period:
    rotation: str
    person: str
    start: datetime
    end: datetime

    @property
    def value(self) -> str:
        return f"shift:{self.rotation}:{int(self.start.timestamp())}:{int(self.end.timestamp())}"

    @property
    def key(self) -> str:
        return f"shift-reminder:{self.value}:{self.person}"


def parse_value(value: str) -> tuple[str, datetime, datetime]:
    parts = (value or "").split(":")
    if len(parts) != 4 or parts[0] != "shift" or not (parts[2].isdigit() and parts[3].isdigit()):
        raise ValueError(f'expected a button value "shift:<rotation>:<start>:<end>", got "{value}"')
    return (parts[1], datetime.fromtimestamp(int(parts[2]), timezone.utc),
            datetime.fromtimestamp(int(parts[3]), timezone.utc))


def periods(team: Team, rotation: str, start: datetime, end: datetime) -> list[Period]:
    """Each person's on-call periods of ``rotation`` overlapping [start, end): contiguous shifts joined."""
    out: list[Period] = []
    for sh in shifts(team, rotation, start, end):
        last = out[-1] if out else None
        if last and last.person == sh.person and last.end == sh.start:
            out[-1] = Period(rotation, sh.person, last.start, sh.end)
        else:
            out.append(Period(rotation, sh.person, sh.start, sh.end))
    return out


def upcoming(team: Team, start: datetime, end: datetime) -> list[Period]:
    """Periods of every rotation that begin in [start, end)."""
    start, end = ensure_utc(start), ensure_utc(end)
    found = []
    for rid in sorted(team.rotations):
        # materialised a period wider on both sides: a period already running is not taken for one starting at
        # `start`, and each period found has its real end
        margin = timedelta(days=team.rotations[rid].period_days + 1)
        found += [p for p in periods(team, rid, start - margin, end + margin) if start <= p.start < end]
    return sorted(found, key=lambda p: (p.start, p.rotation, p.person))


def reminder_notice(team: Team, period: Period) -> Notice:
    person = team.person(period.person)
    rot = team.rotations[period.rotation]
    return Notice(kind="shift_reminder", title=f"You are on call for {rot.name or rot.id} soon",
                  lines=(f"From {describe_local(period.start, person.zone)} to {describe_local(period.end, person.zone)}.",
                         "Can't make it? Ask someone to take it; they accept in Slack after a check of their rest, "
                         "leave and hours."),
                  buttons=(Button(ASK_FOR_COVER, "Ask for cover", period.value),),
                  metadata={"rotation": period.rotation, "person": period.person})
