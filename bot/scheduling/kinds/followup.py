"""Follow-up nudges: the owner hears before the due day, on it, and every week after it until it is finished.

For every follow-up that is open, in progress or deferred, due ``D`` (the end of
a deferral while deferred), in the owner's zone at 09:00:

* ``followup:<id>:<D>:soon`` three days before ``D`` (if that is after it was added);
* ``followup:<id>:<D>:due`` on ``D``;
* ``followup:<id>:<D>:overdue:<k>`` ``7k`` days after ``D``, one at a time.

The due day is part of the key, so a deferral starts a fresh series for the new
date while the nudges already sent stay history.  Done and risk-accepted
follow-ups want no nudge (pending ones are cancelled).  Held while the owner
is not working (labor rules).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.scheduling import working_time
from bot.scheduling.kinds.review import overdue_history
from bot.scheduling.recipients import resolve
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "followup"
RESYNC_AFTER_SENT = True  # a sent overdue nudge wants the next one
NUDGE_AT = time(9, 0)
SOON = timedelta(days=3)
EVERY = timedelta(days=7)


def _at_nine(day: date, zone: str) -> datetime:
    from bot.oncall.wallclock import local_to_utc

    return local_to_utc(day, NUDGE_AT, zone)


@functools.cache
def _active() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.learning.followups import ACTIVE
    from bot.learning.tables import FollowUp

    return select(FollowUp).where(FollowUp.incident_id == bindparam("incident"),
                                  FollowUp.state.in_(ACTIVE))  # type: ignore[attr-defined]


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    from bot.learning.followups import effective_due

    rows = session.exec(_active(), params={"incident": incident.id}).all()
    out: list[Wanted] = []
    for row in rows:
        due = effective_due(row)
        base = f"followup:{row.id}:{due.isoformat()}"
        soon = _at_nine(due - SOON, row.zone)
        if soon > (row.decided_at if row.state == "deferred" and row.decided_at else row.proposed_at):
            out.append(Wanted(key=f"{base}:soon", kind=name, target=row.id, due_at=soon, recipient=row.owner,
                              payload={"due": due.isoformat()}))
        out.append(Wanted(key=f"{base}:due", kind=name, target=row.id, due_at=_at_nine(due, row.zone),
                          recipient=row.owner, payload={"due": due.isoformat()}))
        sent, last = overdue_history(session, incident.id, f"{base}:overdue:")
        number = sent + 1
        when = _at_nine(due + EVERY * number, row.zone)
        if last is not None:  # after downtime: one late nudge, then a week after it
            when = max(when, last + EVERY)
        out.append(Wanted(key=f"{base}:overdue:{number}", kind=name, target=row.id, due_at=when, recipient=row.owner,
                          payload={"due": due.isoformat()}))
    return out


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident
    from bot.learning import notices
    from bot.learning.followups import ACTIVE, effective_due
    from bot.learning.tables import FollowUp
    from bot.oncall.wallclock import local_date

    row = session.get(FollowUp, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if row is None or incident is None or row.state not in ACTIVE:
        return Drop("the follow-up is finished")
    due = effective_due(row)
    if reminder.payload.get("due") != due.isoformat():
        return Drop("the follow-up was deferred to another day")
    to = resolve(session, incident, reminder.recipient)
    hold = working_time.hold_for(config, to, now)
    if hold is not None:
        return hold
    notice = notices.followup_nudge(incident, row, key=reminder.key, due=due, today=local_date(now, row.zone))
    return Send(to.address, notice, to.direct)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
