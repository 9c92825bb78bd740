"""Pages (and held low-urgency pages): a direct message to the paged person at ``page_at``.

The on-call package records :class:`~bot.oncall.tables.Page` rows (``planned``,
or ``held`` until the person's working hours for low urgency).  This kind sends
them and marks them ``sent``; the escalation kind then watches the ack timeout.
A page acknowledged, declined, escalated or cancelled before it went out is
not sent.  A page that cannot be delivered at all (e.g. the Slack user is gone)
escalates at once instead of waiting for an acknowledgement that cannot come.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.scheduling import notices
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "page"
names = ("page", "held_page")
RESYNC_AFTER_SENT = True  # a sent page wants an escalation reminder


@functools.cache
def _waiting_pages() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.oncall.tables import Page

    return select(Page).where(Page.incident_id == bindparam("incident"),
                              Page.status.in_(("planned", "held")))  # type: ignore[attr-defined]


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    if incident.status != "active":
        return []
    pages = session.exec(_waiting_pages(), params={"incident": incident.id}).all()
    return [Wanted(key=f"page:{p.id}:send", kind="held_page" if p.status == "held" else "page", target=p.id,
                   due_at=p.page_at, recipient=p.slack_user, payload={"urgency": p.urgency})
            for p in pages]


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident
    from bot.oncall.tables import Page

    page = session.get(Page, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if page is None or incident is None or page.status not in ("planned", "held") or incident.status != "active":
        return Drop("the page was answered or cancelled, or the incident is no longer active")
    notice = notices.page_notice(incident, page_id=page.id, key=reminder.key, person=page.slack_user,
                                 reason=page.reason, urgency=page.urgency,
                                 held_since=page.created_at if page.status == "held" else None,
                                 ack_timeout=timedelta(minutes=page.ack_timeout_minutes))
    return Send(page.slack_user, notice, True)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    from bot.oncall.paging import mark_sent

    mark_sent(session, reminder.target, at=now)


def on_failed(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    from bot.oncall.paging import escalate

    escalate(session, config, reminder.target, at=now)
