"""Deadline nudges for legal notification obligations: legal necessities, sent when due.

The deadlines package says when (``plan_for_obligation``: e.g. half the window,
24 h before, at the deadline, overdue) and what (``notice_for``).  Nudges are
never held for working hours.  Marking the obligation notified (or not
required) makes it want no reminders, so pending ones are cancelled; a new
deadline (trigger moved) reschedules them.  A snooze drops the nudges before
its end and adds one at its end.  When several nudges are already past (the
obligation appeared late), only the latest past one is sent.

Nudges go to the incident channel and @-mention the playbook's authority owner
(else external-communication owner), with times in that person's zone.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.oncall import directory
from bot.outbox.tables import Reminder
from bot.scheduling.recipients import resolve, role_holder
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "deadline"


def _playbook(config: Any, incident: Any) -> Any:
    from bot.incidents.playbook import playbook_for

    return playbook_for(config, incident.severity)


def _owner_role(playbook: Any) -> str:
    if playbook is None:
        return "commander"
    return playbook.communications.authority_owner or playbook.communications.external_owner


def _comms_role(playbook: Any) -> str:
    return playbook.communications.external_owner if playbook is not None else "comms_lead"


def _latest_snoozes(session: Session, incident_id: int) -> dict[int, Any]:
    """The latest snooze of each of the incident's obligations, by obligation id (one query, not one each)."""
    rows = session.exec(_queries()[1], params={"incident": incident_id}).all()
    return {r.obligation_id: r for r in rows}


@functools.cache
def _queries() -> tuple[Any, Any]:
    """The incident's obligations and snoozes, built once (with the incident as a bound parameter): building a
    statement costs as much as running it."""
    from bot.deadlines.tables import Obligation
    from bot.incidents.tables import ObligationSnooze

    return (select(Obligation).where(Obligation.incident_id == bindparam("incident")),
            select(ObligationSnooze).where(ObligationSnooze.incident_id == bindparam("incident"))
            .order_by(ObligationSnooze.id))  # type: ignore[arg-type]


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    from bot.deadlines.reminders import plan_for_obligation

    playbook = _playbook(config, incident)
    role = _owner_role(playbook)
    policy = playbook.reminders if playbook is not None else None
    rows = session.exec(_queries()[0], params={"incident": incident.id}).all()
    snoozes = _latest_snoozes(session, incident.id) if rows else {}
    out: list[Wanted] = []
    for row in rows:
        specs = plan_for_obligation(row, playbook_policy=policy)
        snooze = snoozes.get(row.id) if specs else None
        items = [(s.at, s.slug, s.label, s.internal) for s in specs]
        if snooze is not None:
            items = [i for i in items if not (snooze.at <= i[0] < snooze.until)]
            items.append((snooze.until, f"snooze-{snooze.id}", "snooze ended", False))
            items.sort()
        past = [i for i in items if i[0] <= at]
        for due, slug, label, internal in [i for i in items if i[0] > at] + past[-1:]:
            out.append(Wanted(key=f"obligation:{row.id}:{slug}", kind=name, target=row.id, due_at=due,
                              recipient=role, payload={"label": label, "internal": internal,
                                                       "deadline": row.due_at.isoformat() if row.due_at else None}))
    return out


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.deadlines.reminders import notice_for
    from bot.deadlines.tables import Obligation
    from bot.incidents.tables import Incident

    row = session.get(Obligation, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if row is None or incident is None or row.status not in ("open", "qualitative"):
        return Drop("the obligation was notified or is not required")
    to = resolve(session, incident, reminder.recipient)
    holder = to.person
    # The comms lead is nudged with the owner of the filing: they own what the organisation says publicly
    # and must know every clock that is running.
    comms = role_holder(session, incident.id, _comms_role(_playbook(config, incident)))
    mentions = tuple(dict.fromkeys(u for u in (holder, comms) if u))
    from bot.deadlines.ordering import open_predecessors

    siblings = session.exec(select(Obligation).where(Obligation.incident_id == row.incident_id)).all()
    notice = notice_for(row, directory.reader_zone(config, holder or comms), now,
                        tuple(open_predecessors(siblings, row)))
    label = reminder.payload.get("label")
    notice = replace(notice, mention_users=mentions,
                     lines=((f"Reminder: {label}.",) if label else ()) + notice.lines
                     + (() if holder else (f"The {reminder.recipient} role is unfilled: assign someone now.",)),
                     metadata={**notice.metadata, "reminder": reminder.key})
    if to.address:
        return Send(to.address, notice, to.direct)
    fallback = holder or role_holder(session, incident.id, "commander") or incident.reporter
    return Send(fallback, notice, True)  # no channel (yet): straight to a person, never held


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
