"""The rest ledger: compensatory rest owed, scheduled and taken, per person.

A debt arises when a call-out ends (or is recorded) and

* a labor exception was used to page the person (its ``compensatory_rest_hours``), or
* the call-out interrupted an incomplete daily rest under ``on_interrupt: compensate``
  (equivalent rest: the rule's hours), unless an exception already owes it.

Each debt is owed until someone schedules it (a single consecutive span of at
least its hours, from when it became owed); it is **taken** once the span has
passed without a call-out or recorded work inside it, **interrupted** if work
fell inside (schedule it again).  The profile's ``compensatory_rest`` rule says
how long a debt may stay unscheduled: after that the person's manager is
nudged.  Every change is an event on the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlmodel import Session, or_, select

from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.oncall.callouts import effect
from bot.oncall.history import Engagement as PastEngagement
from bot.oncall.history import EngagementHistory, load_history
from bot.oncall.tables import Engagement, ExceptionUse, RestDebt
from bot.oncall.team import PersonInfo, Team
from bot.oncall.wallclock import describe_local
from bot.ports import Button, Notice

STATUSES = ("owed", "overdue", "scheduled", "taken", "interrupted")


class LedgerError(ValueError):
    """A ledger change was refused: what was wrong and how to fix it."""


def _hours(value: float) -> str:
    return f"{value:g} h"


def schedule_window(person: PersonInfo) -> timedelta | None:
    """How long owed rest may stay unscheduled before the manager is nudged (the profile's ``compensatory_rest``)."""
    rules = [r for r in person.rules.of_kind("compensatory_rest") if r.severity != "log"]
    return timedelta(hours=rules[0].schedule_within_hours) if rules else None


def _add(session: Session, person: PersonInfo, *, kind: str, hours: float, owed_since: datetime, reason: str,
         citation: str, source: str, incident_id: int | None, now: datetime,
         take_by: datetime | None = None) -> RestDebt | None:
    existing = session.exec(select(RestDebt).where(RestDebt.source == source, RestDebt.kind == kind)).first()
    if existing is not None:
        return None  # the same call-out ending twice (a replay) owes nothing twice
    window = schedule_window(person)
    debt = RestDebt(person_id=person.id, kind=kind, hours=hours, owed_since=owed_since,
                    schedule_by=owed_since + window if window is not None else None, take_by=take_by, reason=reason[:500],
                    citation=citation[:500], source=source, incident_id=incident_id, created_at=now)
    session.add(debt)
    session.flush()
    append_event(session, incident_id=incident_id, actor="system", kind="oncall.rest_owed", at=now,
                 summary=f"{person.id} is owed {_hours(hours)} {kind.replace('_', ' ')} from "
                         f"{describe_local(owed_since, person.zone)}: {reason} ({citation})",
                 data={"debt_id": debt.id, "person": person.id, "kind": kind, "hours": hours,
                       "owed_since": owed_since.isoformat(), "source": source, "citation": citation,
                       "schedule_by": debt.schedule_by.isoformat() if debt.schedule_by else None})
    return debt


def owe_for_callout(session: Session, team: Team, engagement: Engagement, *, now: datetime) -> list[RestDebt]:
    """The debts a finished call-out (from a page or a record) creates; idempotent per call-out."""
    if engagement.end is None:
        return []
    person = team.people.get(engagement.person_id)
    if person is None:
        return []
    now = ensure_utc(now)
    out: list[RestDebt] = []
    uses: list[ExceptionUse] = []
    if engagement.page_id is not None:
        uses = list(session.exec(select(ExceptionUse).where(ExceptionUse.page_id == engagement.page_id)).all())
    for use in uses:
        if use.compensatory_rest_hours > 0:
            debt = _add(session, person, kind="compensatory_rest", hours=use.compensatory_rest_hours,
                        owed_since=engagement.end, reason=f"paged under exception {use.exception_id}",
                        citation=use.citation, source=f"exception_use:{use.id}", incident_id=engagement.incident_id,
                        now=now)
            out += [debt] if debt else []
    waived = {rule for use in uses for rule in use.rules_waived}
    if "min_daily_rest" in waived:
        return out  # the exception's compensatory rest is the rest this call-out interrupted
    history = load_history(session, [person.id], engagement.end + timedelta(seconds=1))
    past = PastEngagement(ensure_utc(engagement.start), ensure_utc(engagement.end), engagement.kind, engagement.incident_id)
    for rule in person.rules.of_kind("min_daily_rest"):
        fx = effect(person, history, past, rule)
        if fx.action == "compensate":
            debt = _add(session, person, kind="compensatory_rest", hours=rule.hours, owed_since=past.end,  # type: ignore[arg-type]
                        reason=f"{fx.describe()} interrupted the {_hours(rule.hours)} daily rest",
                        citation=rule.cite, source=f"engagement:{engagement.id}", incident_id=engagement.incident_id,
                        now=now)
            out += [debt] if debt else []
    return out


@dataclass(frozen=True)
class DebtView:
    debt: RestDebt
    status: str  # one of STATUSES
    interrupted_by: tuple[int, ...] = ()  # engagement ids inside the scheduled span
    checked_at: datetime | None = None  # the instant the status is for


def status_of(debt: RestDebt, work: Iterable[tuple[int | None, datetime, datetime | None]], now: datetime) -> DebtView:
    """``work``: (engagement id, start, end) of the person's call-outs and records."""
    now = ensure_utc(now)
    if debt.scheduled_start is None or debt.scheduled_end is None:
        late = debt.take_by is not None and now >= ensure_utc(debt.take_by)
        return DebtView(debt, "overdue" if late else "owed", checked_at=now)
    s, e = ensure_utc(debt.scheduled_start), ensure_utc(debt.scheduled_end)
    inside = tuple(i for i, ws, we in work if i is not None and ws < e and (we is None or we > s) and ws < now)
    if inside:
        return DebtView(debt, "interrupted", inside, now)
    return DebtView(debt, "taken" if e <= now else "scheduled", checked_at=now)


def ledger(session: Session, *, person_ids: Iterable[str] | None = None, since: datetime | None = None,
           now: datetime) -> list[DebtView]:
    """Debts (optionally of some people, owed since ``since``) with their status at ``now``, oldest first."""
    q = select(RestDebt)
    if person_ids is not None:
        q = q.where(RestDebt.person_id.in_(sorted(set(person_ids))))  # type: ignore[attr-defined]
    if since is not None:
        q = q.where(or_(RestDebt.owed_since >= ensure_utc(since), RestDebt.scheduled_start.is_(None)))  # type: ignore[union-attr]
    debts = list(session.exec(q.order_by(RestDebt.owed_since, RestDebt.id)).all())  # type: ignore[arg-type]
    people = {d.person_id for d in debts}
    work: dict[str, list[tuple[int | None, datetime, datetime | None]]] = {}
    if people:
        rows = session.exec(select(Engagement).where(Engagement.person_id.in_(sorted(people)))).all()  # type: ignore[attr-defined]
        for row in rows:
            work.setdefault(row.person_id, []).append((row.id, row.start, row.end))
    return [status_of(d, work.get(d.person_id, []), now) for d in debts]


def schedule(session: Session, team: Team, debt_id: int, *, start: datetime, end: datetime, by: str,
             now: datetime) -> RestDebt:
    """Schedule owed rest as one consecutive span of at least its hours, not before it became owed."""
    start, end, now = ensure_utc(start), ensure_utc(end), ensure_utc(now)
    debt = session.get(RestDebt, debt_id)
    if debt is None:
        raise LedgerError(f"no owed rest #{debt_id}; `incident-bot rest` lists them")
    person = team.person(debt.person_id)
    zone = person.zone
    view = ledger(session, person_ids=[debt.person_id], now=now)
    current = next(v for v in view if v.debt.id == debt.id)
    if current.status == "taken":
        raise LedgerError(f"#{debt.id} was already taken ({describe_local(debt.scheduled_start, zone)} to "  # type: ignore[arg-type]
                          f"{describe_local(debt.scheduled_end, zone)}); nothing to schedule")  # type: ignore[arg-type]
    if (end - start) / timedelta(hours=1) < debt.hours:
        raise LedgerError(f"expected one consecutive span of at least {_hours(debt.hours)}, got "
                          f"{(end - start) / timedelta(hours=1):g} h ({describe_local(start, zone)} to "
                          f"{describe_local(end, zone)})")
    if start < ensure_utc(debt.owed_since):
        raise LedgerError(f"expected the rest to start at or after {describe_local(debt.owed_since, zone)}, when it "
                          f"became owed, got {describe_local(start, zone)}")
    if debt.take_by is not None and end > ensure_utc(debt.take_by):
        raise LedgerError(f"expected the rest to end by {describe_local(debt.take_by, zone)} ({debt.citation}), got "
                          f"{describe_local(end, zone)}")
    if start < now and current.status != "scheduled":
        raise LedgerError(f"expected a span that starts now or later, got {describe_local(start, zone)}; "
                          "rest cannot be scheduled in the past")
    debt.scheduled_start, debt.scheduled_end, debt.scheduled_by, debt.scheduled_at = start, end, by, now
    session.add(debt)
    session.flush()
    append_event(session, incident_id=debt.incident_id, actor=by, kind="oncall.rest_scheduled", at=now,
                 summary=f"{_hours(debt.hours)} {debt.kind.replace('_', ' ')} of {debt.person_id} (#{debt.id}) "
                         f"scheduled {describe_local(start, zone)} to {describe_local(end, zone)}",
                 data={"debt_id": debt.id, "person": debt.person_id, "start": start.isoformat(), "end": end.isoformat(),
                       "by": by})
    return debt



@dataclass(frozen=True)
class DebtLine:
    text: str
    data: dict

    def to_json(self) -> dict:
        return self.data


def _local(at: datetime | None, zone: str) -> str:
    return describe_local(at, zone) if at is not None else "-"


def describe(team: Team, view: DebtView) -> DebtLine:
    """One ledger line in the person's local time, and its JSON."""
    d = view.debt
    zone = team.people[d.person_id].zone if d.person_id in team.people else "UTC"
    what = f"#{d.id} {d.person_id}: {_hours(d.hours)} {d.kind.replace('_', ' ')} owed since {_local(d.owed_since, zone)}"
    if d.scheduled_start is not None:
        what += f", scheduled {_local(d.scheduled_start, zone)} to {_local(d.scheduled_end, zone)} by {d.scheduled_by}"
    if d.take_by is not None:
        what += f", to be taken by {_local(d.take_by, zone)}"
    if view.interrupted_by:
        what += f" (work recorded inside it: #{', #'.join(str(i) for i in view.interrupted_by)})"
    text = f"{view.status.upper():11} {what}: {d.reason} ({d.citation})"
    nudge = d.scheduled_start is None and d.schedule_by is not None and d.nudged_at is None
    if nudge and view.checked_at >= ensure_utc(d.schedule_by):  # type: ignore[arg-type]
        text += f"; nudge due to {manager_of(team, d.person_id) or 'nobody (no manager known)'}"
    iso = lambda at: ensure_utc(at).isoformat() if at is not None else None  # noqa: E731
    return DebtLine(text, {"id": d.id, "person": d.person_id, "kind": d.kind, "hours": d.hours, "status": view.status,
                           "owed_since": iso(d.owed_since), "schedule_by": iso(d.schedule_by), "take_by": iso(d.take_by),
                           "scheduled_start": iso(d.scheduled_start), "scheduled_end": iso(d.scheduled_end),
                           "scheduled_by": d.scheduled_by, "reason": d.reason, "citation": d.citation,
                           "source": d.source, "incident_id": d.incident_id, "nudged_at": iso(d.nudged_at),
                           "interrupted_by": list(view.interrupted_by)})


def nudges_due(session: Session, now: datetime) -> list[RestDebt]:
    """Owed rest still unscheduled after the profile's period, whose manager was not nudged yet."""
    return list(session.exec(select(RestDebt).where(
        RestDebt.scheduled_start.is_(None), RestDebt.nudged_at.is_(None),  # type: ignore[union-attr]
        RestDebt.schedule_by.is_not(None), RestDebt.schedule_by <= ensure_utc(now),  # type: ignore[union-attr, operator]
    ).order_by(RestDebt.schedule_by, RestDebt.id)).all())  # type: ignore[arg-type]


def manager_of(team: Team, person_id: str) -> str | None:
    """The person's manager (people.yaml ``manager``, else their site's), else the fallback of a rotation they are in."""
    person = team.people.get(person_id)
    if person is not None and person.manager:
        return person.manager
    fallbacks = sorted({r.fallback for r in team.rotations.values() if person_id in r.participants} - {person_id})
    return fallbacks[0] if fallbacks else None


def nudge_notice(team: Team, debt: RestDebt, *, now: datetime) -> Notice:
    """What the manager reads: whose rest, how much, since when, why, and how to schedule it."""
    person = team.people.get(debt.person_id)
    zone = person.zone if person else "UTC"
    name = person.name if person else debt.person_id
    start = max(ensure_utc(now), ensure_utc(debt.owed_since))
    lines = (f"{name} is owed {_hours(debt.hours)} of {debt.kind.replace('_', ' ')} since "
             f"{describe_local(debt.owed_since, zone)}: {debt.reason}.",
             f"It is not scheduled yet ({debt.citation}).",
             f"Schedule it with `incident-bot rest schedule {debt.id} --from ... --to ...`, or take it from "
             f"{describe_local(start, zone)} to {describe_local(start + timedelta(hours=debt.hours), zone)} with the button.")
    return Notice(kind="rest_nudge", title=f"Compensatory rest to schedule for {name}", lines=lines,
                  buttons=(Button("rest.schedule_now", "Schedule it from now", f"rest:{debt.id}", "primary"),),
                  metadata={"debt": str(debt.id), "person": debt.person_id})


def mark_nudged(session: Session, debt: RestDebt, *, manager: str | None, now: datetime) -> None:
    """The nudge is decided (in the same unit of work as the effect that delivers it)."""
    debt.nudged_at = ensure_utc(now)
    session.add(debt)
    append_event(session, incident_id=debt.incident_id, actor="system", kind="oncall.rest_nudged", at=now,
                 summary=f"{manager or 'nobody (no manager known)'} nudged to schedule {_hours(debt.hours)} rest owed "
                         f"to {debt.person_id} (#{debt.id})",
                 data={"debt_id": debt.id, "person": debt.person_id, "manager": manager})
    session.flush()


def nudge_not_delivered(session: Session, debt: RestDebt, *, manager: str | None, error: str, now: datetime) -> None:
    """Slack refused the nudge for good: the manager was not told after all, so the ledger shows it due again
    (``nudged_at`` cleared, on the audit trail); the commander is told of the failure by the outbox."""
    debt.nudged_at = None
    session.add(debt)
    append_event(session, incident_id=debt.incident_id, actor="system", kind="oncall.rest_nudge_failed", at=now,
                 summary=f"{manager or 'nobody'} could not be nudged about {_hours(debt.hours)} rest owed to "
                         f"{debt.person_id} (#{debt.id}): {error}"[:4000],
                 data={"debt_id": debt.id, "person": debt.person_id, "manager": manager, "error": error[:2000]})
    session.flush()
