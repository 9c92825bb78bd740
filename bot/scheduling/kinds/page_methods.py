"""A page step that could not reach its person (SMS, call or email failed for good) is told in the
incident channel, once: "Could not reach anna by SMS: …; trying a call now."

Derived from the page's notification rows (:mod:`bot.notify.tables`): every ``failed`` row wants one
message, due when it failed.  The notification worker re-syncs the incident in the transaction that
records the failure, so the message is written with it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.ports import Notice
from bot.scheduling.notices import incident_label
from bot.scheduling.recipients import INCIDENT_CHANNEL
from bot.scheduling.tables import Reminder
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "page_method"
METHOD_NAMES = {"sms": "SMS", "voice": "a call", "email": "email"}


@functools.cache
def _failed() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.notify.tables import Notification

    return select(Notification).where(Notification.incident_id == bindparam("incident"),
                                      Notification.state == "failed")


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    rows = session.exec(_failed(), params={"incident": incident.id}).all()
    return [Wanted(key=f"{r.key}:failed", kind=name, target=r.id, due_at=r.updated_at, recipient=INCIDENT_CHANNEL)
            for r in rows]


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident
    from bot.notify.tables import Notification

    row = session.get(Notification, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if row is None or incident is None or not incident.channel_id:
        return Drop("nothing to tell, or no incident channel to tell it in")
    nxt = session.exec(select(Notification).where(Notification.page_id == row.page_id, Notification.id != row.id,
                                                  Notification.state.in_(("pending", "sending", "sent")),  # type: ignore[attr-defined]
                                                  Notification.step > row.step)
                       .order_by(Notification.step)).first()  # type: ignore[arg-type]
    then = (f"Trying {METHOD_NAMES.get(nxt.method, nxt.method)} next." if nxt is not None
            else "No further method: the page escalates on its ack timeout.")
    notice = Notice(kind="page_method_failed",
                    title=f"{incident_label(incident)}: could not reach {row.person_id} by "
                          f"{METHOD_NAMES.get(row.method, row.method)}",
                    lines=(f"The provider said: {row.outcome or 'no reason given'}", then,
                           "Check the number or address in config/people.yaml, or the provider's status."),
                    metadata={"incident": str(incident.id), "reminder": reminder.key})
    return Send(incident.channel_id, notice, False)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
