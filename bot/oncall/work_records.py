"""Work done outside the bot: a call-out that started with a phone call, a night spent on a migration.

Acknowledged pages already become call-outs (engagements).  Work the bot did
not see is recorded here, as an engagement with ``source="record"``, so the
rest and hours checks, the report and the rest ledger see all of it.  Every
record is an event on the audit trail (the incident's chain when it belongs
to one, else the global chain) naming who recorded it.  Records never
overlap: work is counted once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, or_, select

from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.oncall.rest_ledger import owe_for_callout
from bot.oncall.tables import Engagement, RestDebt
from bot.oncall.team import Team
from bot.oncall.wallclock import describe_local, local_date, local_to_utc, to_local

KINDS = ("callout", "work")
MAX_LENGTH = timedelta(hours=24)

_TIME = r"(\d{1,2}:\d{2})"
_DATE = r"(\d{4}-\d{2}-\d{2})"
_SPAN_TIMES = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_SPAN_DAY = re.compile(rf"^{_DATE}[ T]{_TIME}\s*-\s*{_TIME}$")
_SPAN_FULL = re.compile(rf"^{_DATE}[ T]{_TIME}\s*-\s*{_DATE}[ T]{_TIME}$")

SPAN_FORMS = ('"22:30-01:15" (the latest such span that has ended)', '"2026-03-04 22:30-01:15"',
              '"2026-03-04T22:30-2026-03-05T01:15"')


class WorkRecordError(ValueError):
    """The record was refused: what was wrong and how to fix it."""


def _wall(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise WorkRecordError(f'expected a time like "22:30", got "{text}"')
    return time(hours, minutes)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WorkRecordError(f'expected a date like "2026-03-04", got "{text}"') from None


def parse_span(text: str, zone: str, now: datetime) -> tuple[datetime, datetime]:
    """A span of local wall-clock time in ``zone`` as UTC instants (DST policy of :mod:`bot.oncall.wallclock`).

    An end at or before the start is on the next day.  Raises :class:`WorkRecordError` saying which forms work.
    """
    value = " ".join(text.split())
    if (m := _SPAN_FULL.match(value)):
        start_day, start_t, end_day, end_t = _day(m[1]), _wall(m[2]), _day(m[3]), _wall(m[4])
    elif (m := _SPAN_DAY.match(value)):
        start_day, start_t, end_t = _day(m[1]), _wall(m[2]), _wall(m[3])
        end_day = start_day + timedelta(days=1) if end_t <= start_t else start_day
    elif (m := _SPAN_TIMES.match(value)):
        start_t, end_t = _wall(m[1]), _wall(m[2])
        end_day = local_date(now, zone)
        if local_to_utc(end_day, end_t, zone, edge="end") > ensure_utc(now):
            end_day -= timedelta(days=1)
        start_day = end_day - timedelta(days=1) if start_t >= end_t else end_day
    else:
        raise WorkRecordError(f'expected a span of local time like {", ".join(SPAN_FORMS)}, got "{text}"')
    return local_to_utc(start_day, start_t, zone, edge="start"), local_to_utc(end_day, end_t, zone, edge="end")


@dataclass(frozen=True)
class RecordedWork:
    engagement: Engagement
    summary: str
    debts: tuple[RestDebt, ...] = ()  # rest it made owed


def _overlapping(session: Session, person_id: str, start: datetime, end: datetime) -> Engagement | None:
    return session.exec(select(Engagement).where(
        Engagement.person_id == person_id, Engagement.start < end,
        or_(Engagement.end.is_(None), Engagement.end > start),  # type: ignore[union-attr]
    ).order_by(Engagement.start)).first()  # type: ignore[arg-type]


def record_work(session: Session, team: Team, *, person_id: str, start: datetime, end: datetime, now: datetime,
                recorded_by: str, kind: str = "callout", note: str = "", incident_id: int | None = None) -> RecordedWork:
    """Record work ``person_id`` did from ``start`` to ``end``; refuses what would count wrong or twice.

    The rest it interrupted enters the rest ledger as for a call-out from a page.
    """
    start, end, now = ensure_utc(start), ensure_utc(end), ensure_utc(now)
    if person_id not in team.people:
        raise WorkRecordError(f'unknown person "{person_id}"; people: {", ".join(sorted(team.people))}')
    zone = team.people[person_id].zone
    if kind not in KINDS:
        raise WorkRecordError(f'expected a kind of work ({", ".join(KINDS)}), got "{kind}"')
    if end <= start:
        raise WorkRecordError(f"expected the end after the start ({describe_local(start, zone)}), "
                              f"got {describe_local(end, zone)}")
    if end > now:
        raise WorkRecordError(f"expected work that has ended; {describe_local(end, zone)} is still ahead. "
                              "Record it once it is over")
    if end - start > MAX_LENGTH:
        raise WorkRecordError(f"expected at most 24 h in one record, got {(end - start) / timedelta(hours=1):g} h; "
                              "record each working period on its own")
    clash = _overlapping(session, person_id, start, end)
    if clash is not None:
        what = "a recorded work period" if clash.source == "record" else "a call-out from a page"
        until = describe_local(clash.end, zone) if clash.end else "still open"
        raise WorkRecordError(f"{person_id} already has {what} from {describe_local(clash.start, zone)} to {until} "
                              f"(#{clash.id}) that overlaps; work is counted once. Record only the part outside it")
    text = " ".join(note.split())[:500]
    row = Engagement(person_id=person_id, start=start, end=end, incident_id=incident_id, kind=kind, source="record",
                     note=text, recorded_by=recorded_by, recorded_at=now)
    session.add(row)
    session.flush()
    hours = (end - start) / timedelta(hours=1)
    label = "call-out" if kind == "callout" else "work"
    span = f"{describe_local(start, zone)} to {to_local(end, zone):%Y-%m-%d %H:%M}"
    summary = f"{label} of {person_id} recorded: {span} ({hours:.4g} h)" + (f": {text}" if text else "")
    by = "" if recorded_by == person_id else f" by {recorded_by}"
    append_event(session, incident_id=incident_id, actor=recorded_by, kind="oncall.work_recorded", at=now,
                 summary=summary + by,
                 data={"engagement_id": row.id, "person": person_id, "kind": kind, "start": start.isoformat(),
                       "end": end.isoformat(), "hours": round(hours, 4), "note": text, "recorded_by": recorded_by})
    debts = owe_for_callout(session, team, row, now=now)
    return RecordedWork(row, summary, tuple(debts))


def records_of(session: Session, person_id: str, since: datetime) -> list[Engagement]:
    """The person's call-outs and recorded work that ended after ``since``, newest first."""
    return list(session.exec(select(Engagement).where(
        Engagement.person_id == person_id, or_(Engagement.end.is_(None), Engagement.end > ensure_utc(since))  # type: ignore[union-attr]
    ).order_by(Engagement.start.desc())).all())  # type: ignore[attr-defined]
