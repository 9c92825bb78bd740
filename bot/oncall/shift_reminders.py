"""Shift reminders: a direct message before someone's on-call period begins, with a button to ask for cover.

An on-call period is one person's time on a rotation between two handoffs
(overrides and covers applied, coverage windows joined within the period).
:func:`upcoming` lists the periods starting in a window; :func:`reminder_notice`
is what the person reads.  The button carries the rotation and the period as
ids (``shift:<rotation>:<start>:<end>``, UTC epoch seconds), never free text.

The scheduler's leader writes one outbox row per person and period start
(:attr:`Period.key`) ``settings.shift_reminder_hours`` before it
(:mod:`bot.scheduling.shift_reminder_sweep`); the row's kind
(:mod:`bot.scheduling.kinds.shift_reminders`) decides at send time whether the
period still holds and whether the person's right to disconnect
(:func:`holds_for_working_hours`) makes it wait for their working hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.clock import ensure_utc
from bot.oncall.schedule import shift_index, shifts
from bot.oncall.team import PersonInfo, Team
from bot.oncall.wallclock import describe_local, local_date
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
        """The reminder's outbox key: one per person and period start. Not the end: a cover of the period's
        last days shortens it, and its holder, told once, is not told again."""
        return f"shift-reminder:{self.rotation}:{int(self.start.timestamp())}:{self.person}"


def parse_value(value: str) -> tuple[str, datetime, datetime]:
    parts = (value or "").split(":")
    if len(parts) != 4 or parts[0] != "shift" or not (parts[2].isdigit() and parts[3].isdigit()):
        raise ValueError(f'expected a button value "shift:<rotation>:<start>:<end>", got "{value}"')
    return (parts[1], datetime.fromtimestamp(int(parts[2]), timezone.utc),
            datetime.fromtimestamp(int(parts[3]), timezone.utc))


def periods(team: Team, rotation: str, start: datetime, end: datetime) -> list[Period]:
    """Each person's on-call periods of ``rotation`` overlapping [start, end): contiguous shifts joined, and the
    coverage windows of one person between two handoffs (lea's daytime windows of one week are one period)."""
    rot = team.rotations[rotation]
    out: list[Period] = []
    for sh in shifts(team, rotation, start, end):
        last = out[-1] if out else None
        if last and last.person == sh.person and (
                last.end == sh.start or shift_index(rot, last.end) == shift_index(rot, sh.start)):
            out[-1] = Period(rotation, sh.person, last.start, sh.end)
        else:
            out.append(Period(rotation, sh.person, sh.start, sh.end))
    return out


def period_starting(team: Team, rotation: str, person: str, start: datetime) -> Period | None:
    """``person``'s period of ``rotation`` that begins at ``start``, as the rota (covers included) has it now."""
    if rotation not in team.rotations:
        return None
    start = ensure_utc(start)
    return next((p for p in upcoming(team, start, start + timedelta(seconds=1), rotations=(rotation,))
                 if p.person == person), None)


def upcoming(team: Team, start: datetime, end: datetime, *, rotations: tuple[str, ...] | None = None) -> list[Period]:
    """Periods of every rotation (or of ``rotations``) that begin in [start, end)."""
    start, end = ensure_utc(start), ensure_utc(end)
    found = []
    for rid in sorted(rotations if rotations is not None else team.rotations):
        # materialised a period wider on both sides: a period already running is not taken for one starting at
        # `start`, and each period found has its real end
        margin = timedelta(days=team.rotations[rid].period_days + 1)
        found += [p for p in periods(team, rid, start - margin, end + margin) if start <= p.start < end]
    return sorted(found, key=lambda p: (p.start, p.rotation, p.person))


def holds_for_working_hours(person: PersonInfo) -> bool:
    """A shift reminder is never urgent: someone whose rules limit contact outside work (a ``contact_window``
    rule of any mode but ``none``: Portugal's ban, France's and Spain's disconnection policies, Australia's
    right to refuse) gets it in their working hours."""
    return any(rule.mode != "none" for rule in person.rules.of_kind("contact_window"))


def on_leave_at(person: PersonInfo, at: datetime) -> bool:
    """On leave on the local day of ``at`` (their leave record in people.yaml): not reminded of a period then."""
    return person.absence(local_date(ensure_utc(at), person.zone)) is not None


def reminder_notice(team: Team, period: Period, *, now: datetime | None = None) -> Notice:
    """What the person reads; sent once the period has begun (held for their working hours until after its start,
    or written late because no scheduler swept when it fell due), it says so: "You are on call for ... now", since
    when and until when."""
    person = team.person(period.person)
    rot = team.rotations[period.rotation]
    started = now is not None and ensure_utc(now) >= period.start
    start, end = describe_local(period.start, person.zone), describe_local(period.end, person.zone)
    return Notice(kind="shift_reminder",
                  title=f"You are on call for {rot.name or rot.id} " + ("now" if started else "soon"),
                  lines=(f"Since {start}, until {end}." if started
                         else f"From {start} to {end}.",
                         "Can't make it? Ask someone to take it; they accept in Slack after a check of their rest, "
                         "leave and hours."),
                  buttons=(Button(ASK_FOR_COVER, "Ask for cover", period.value),),
                  metadata={"rotation": period.rotation, "person": period.person})
