"""A page step that could not reach its person (SMS, call or email failed for good) is told, once:
"Could not reach anna by SMS: …; trying a call now."

* An incident's page (``page_method``): in the incident channel, where the responders are.
* An alert group's page (``alert_method``, a page route without an incident): to the paged person in Slack,
  who learns that the number or address in ``config/people.yaml`` did not work; the page still escalates on
  its ack timeout.

Derived from the page's notification rows (:mod:`bot.notify.tables`): every ``failed`` row wants one
message, due when it failed.  The notification worker re-syncs the incident (or the alert group) in the
transaction that records the failure, so the message is written with it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.oncall.notification_rules import METHOD_NAMES
from bot.ports import Notice
from bot.scheduling.notices import incident_label
from bot.scheduling.recipients import INCIDENT_CHANNEL
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "page_method"
names = ("page_method", "alert_method")


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


def wanted_for_group(session: Session, pages: list[Any]) -> dict[str, Wanted]:
    """An alert group's failed steps: one message each to the paged person (``alert_pages.sync_group``)."""
    from bot.notify.tables import Notification

    by_id = {p.id: p for p in pages}
    rows = session.exec(select(Notification).where(Notification.page_id.in_(sorted(by_id)),  # type: ignore[union-attr]
                                                   Notification.state == "failed")).all() if by_id else []
    return {f"{r.key}:failed": Wanted(key=f"{r.key}:failed", kind="alert_method", target=r.id, due_at=r.updated_at,
                                      recipient=by_id[r.page_id].slack_user,
                                      payload={"group": by_id[r.page_id].alert_group_id}) for r in rows}


def _lines(session: Session, row: Any) -> tuple[str, ...]:
    from bot.notify.tables import Notification

    nxt = session.exec(select(Notification).where(Notification.page_id == row.page_id, Notification.id != row.id,
                                                  Notification.state.in_(("pending", "sending", "sent")),  # type: ignore[attr-defined]
                                                  Notification.step > row.step)
                       .order_by(Notification.step)).first()  # type: ignore[arg-type]
    then = (f"Trying {METHOD_NAMES.get(nxt.method, nxt.method)} next." if nxt is not None
            else "No further method: the page escalates on its ack timeout.")
    return (f"The provider said: {row.outcome or 'no reason given'}", then,
            "Check the number or address in config/people.yaml, or the provider's status.")


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident
    from bot.notify.tables import Notification

    row = session.get(Notification, reminder.target)
    method = METHOD_NAMES.get(row.method, row.method) if row is not None else ""
    if reminder.kind == "alert_method":
        if row is None:
            return Drop("nothing to tell")
        group = (reminder.payload or {}).get("group")
        notice = Notice(kind="page_method_failed", title=f"Alert group {group}: could not reach you by {method}",
                        lines=_lines(session, row), mention_users=(reminder.recipient,),
                        metadata={"alert_group": str(group), "reminder": reminder.key})
        return Send(reminder.recipient, notice, False)
    incident = session.get(Incident, reminder.incident_id) if reminder.incident_id is not None else None
    if row is None or incident is None or not incident.channel_id:
        return Drop("nothing to tell, or no incident channel to tell it in")
    notice = Notice(kind="page_method_failed",
                    title=f"{incident_label(incident)}: could not reach {row.person_id} by {method}",
                    lines=_lines(session, row), metadata={"incident": str(incident.id), "reminder": reminder.key})
    return Send(incident.channel_id, notice, False)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
