"""Rest nudges: compensatory rest a call-out of this incident left owed, still unscheduled when the profile's period
is over, is told to the person's manager once, with a button that schedules it from now.

Due at the debt's ``schedule_by`` (when it became owed plus the profile's ``compensatory_rest.schedule_within_hours``;
0 in the EU and UK profiles: compensatory rest follows the work it offsets, Directive 2003/88/EC art. 17(2), C-151/02
*Jaeger*).  Scheduling the rest first cancels it.  The nudge is marked in the rest ledger (and on the audit trail) in
the same unit of work as the claim, so the manager is nudged exactly once; a nudge Slack refuses for good takes the
mark back (``oncall.rest_nudge_failed``), so the ledger never says a manager was told who was not.  Rest owed by a
work record made without an incident has no reminder row; ``incident-bot rest`` shows it as ``nudge due``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "rest_nudge"


def _manager_slack(team: Any, person_id: str) -> tuple[str | None, str | None]:
    from bot.oncall.rest_ledger import manager_of

    manager = manager_of(team, person_id)
    person = team.people.get(manager) if manager else None
    return manager, (person.slack if person is not None else None)


@functools.cache
def _unscheduled() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.oncall.tables import RestDebt

    return select(RestDebt).where(
        RestDebt.incident_id == bindparam("incident"), RestDebt.scheduled_start.is_(None),  # type: ignore[union-attr]
        RestDebt.nudged_at.is_(None), RestDebt.schedule_by.is_not(None),  # type: ignore[union-attr]
    ).order_by(RestDebt.id)  # type: ignore[arg-type]


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    debts = session.exec(_unscheduled(), params={"incident": incident.id}).all()
    if not debts:
        return []
    from bot.oncall.team import team_of

    team = team_of(config)
    out = []
    for debt in debts:
        _, slack = _manager_slack(team, debt.person_id)
        if slack:  # nobody to nudge: the ledger says "nudge due to nobody (no manager known)"
            out.append(Wanted(key=f"rest:{debt.id}:nudge", kind=name, target=debt.id, due_at=debt.schedule_by,
                              recipient=slack))
    return out


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.oncall.rest_ledger import mark_nudged, nudge_notice
    from bot.oncall.tables import RestDebt
    from bot.oncall.team import team_of

    debt = session.get(RestDebt, reminder.target)
    if debt is None or debt.scheduled_start is not None or debt.nudged_at is not None:
        return Drop("the rest was scheduled in time")
    team = team_of(config)
    manager, _ = _manager_slack(team, debt.person_id)
    notice = nudge_notice(team, debt, now=now)
    mark_nudged(session, debt, manager=manager, now=now)
    return Send(reminder.recipient, notice, True)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def on_failed(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    """The nudge failed for good: it was marked at the claim, so the mark is taken back (the ledger says the
    nudge is due again; the commander is told of the failure like any other)."""
    from bot.oncall.rest_ledger import nudge_not_delivered
    from bot.oncall.tables import RestDebt
    from bot.oncall.team import team_of

    debt = session.get(RestDebt, reminder.target)
    if debt is None or debt.nudged_at is None:
        return
    manager, _ = _manager_slack(team_of(config), debt.person_id)
    nudge_not_delivered(session, debt, manager=manager, error=reminder.last_error or "refused", now=now)
