"""Status-update cadence nudges: while an incident is active, an update is due every ``cadence``.

Counting starts at the last status update (or the declaration).  The next
nudge is due one cadence later; if nobody posts, another one follows one
cadence after the previous nudge went out (after downtime: one late nudge, not
a burst of missed ones).  Its key counts the nudges already sent for the incident
(``incident:3:cadence:7`` = the 7th), so a status update reschedules the
pending nudge instead of creating a new one.  Nudges to a person outside
their working time are held until they work (labor rules).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from bot.outbox.tables import Reminder
from bot.scheduling import notices, working_time
from bot.scheduling.recipients import resolve
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "cadence"
RESYNC_AFTER_SENT = True  # a sent nudge wants the next one


def _playbook(config: Any, incident: Any) -> Any:
    from bot.incidents.playbook import playbook_for

    return playbook_for(config, incident.severity)


def _since(incident: Any) -> datetime:
    return incident.last_status_at or incident.declared_at


def _done(session: Session, incident_id: int) -> tuple[int, datetime | None]:
    """Nudges that are history (sent, or failed for good): how many (the next one gets the next number),
    and when the previous one went out (or finally failed)."""
    count, last = session.exec(_history(), params={"incident": incident_id}).one()
    return int(count), last


@functools.cache
def _history() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    return (select(func.count(), func.max(func.coalesce(Reminder.sent_at, Reminder.updated_at)))
            .where(Reminder.incident_id == bindparam("incident"), Reminder.kind == name,
                   Reminder.state.in_(("sent", "failed"))))  # type: ignore[attr-defined]


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    playbook = _playbook(config, incident)
    if incident.status != "active" or playbook is None:
        return []
    since = _since(incident)
    cadence = playbook.status_updates.cadence
    done, last = _done(session, incident.id)
    start = last if last is not None and last > since else since
    number = done + 1
    return [Wanted(key=f"incident:{incident.id}:cadence:{number}", kind=name, target=incident.id,
                   due_at=start + cadence, recipient=playbook.status_updates.owner,
                   payload={"since": since.isoformat(), "cadence_seconds": int(cadence.total_seconds())})]


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident

    incident = session.get(Incident, reminder.incident_id)
    playbook = _playbook(config, incident) if incident else None
    if incident is None or incident.status != "active" or playbook is None:
        return Drop("the incident is no longer active")
    to = resolve(session, incident, reminder.recipient)
    hold = working_time.hold_for(config, to, now)
    if hold is not None:
        return hold
    notice = notices.cadence_notice(incident, key=reminder.key, role=reminder.recipient, holder=to.person,
                                    since=_since(incident), cadence=playbook.status_updates.cadence, now=now)
    return Send(to.address, notice, to.direct)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
