"""A page's message loses its buttons once they no longer apply: acknowledged, declined or cancelled.

Derived from state like every reminder: a page in one of those states whose
direct message was sent wants one update of that message (key
``page:<id>:update``) saying what happened, in the paged person's zone.
A page answered before its message went out needs none (the message is
never sent).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.oncall import directory
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import Reminder
from bot.ports import Notice
from bot.scheduling import notices
from bot.scheduling.wanted import Act, Drop, Outcome, Wanted

name = "page_update"
FINAL = ("acked", "declined", "cancelled")


@functools.cache
def _sent_page_rows() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    return select(Reminder).where(Reminder.incident_id == bindparam("incident"),
                                  Reminder.kind.in_(("page", "held_page")),  # type: ignore[attr-defined]
                                  Reminder.state == "sent")


def _sent_pages(session: Session, incident_id: int) -> dict[int, Reminder]:
    rows = session.exec(_sent_page_rows(), params={"incident": incident_id}).all()
    return {int(r.target): r for r in rows if r.target is not None and r.message_ts}


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    from bot.oncall.tables import Page

    sent = _sent_pages(session, incident.id)
    if not sent:
        return []
    pages = session.exec(select(Page).where(Page.incident_id == incident.id,
                                            Page.status.in_(FINAL))).all()  # type: ignore[attr-defined]
    return [Wanted(key=f"page:{p.id}:update", kind=name, target=p.id, due_at=sent[p.id].sent_at or at,
                   recipient=p.slack_user, payload={"status": p.status}) for p in pages if p.id in sent]


def _what_happened(session: Session, config: Any, page: Any, incident: Any) -> str:
    from bot.audit.trail import events
    from bot.oncall.paging import DECLINED

    zone = directory.reader_zone(config, page.slack_user)
    if page.status == "acked":
        by = next((e.actor for e in reversed(events(session, incident.id))
                   if e.kind == "page.acked" and e.data.get("page_id") == page.id), page.slack_user)
        when = notices.local_time(page.acked_at, zone) if page.acked_at else ""
        who = "you" if by == page.slack_user else by
        return f"Acknowledged by {who}" + (f" at {when}." if when else ".")
    if page.status == "declined":
        reason = page.reason.split(DECLINED, 1)[1] if DECLINED in page.reason else ""
        return "You said you can't take it" + (f": {reason}" if reason else ".")
    if incident.status != "active":
        return f"No longer needed: {notices.incident_label(incident)} is {incident.status}."
    return "No longer needed: someone else took it."


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident
    from bot.oncall.tables import Page

    page = session.get(Page, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    message = _sent_pages(session, reminder.incident_id).get(int(reminder.target or 0))
    if page is None or incident is None or message is None or page.status not in FINAL:
        return Drop("the page message was not sent, or the page is open again")
    sent = (message.message or {})
    notice = Notice(kind=sent.get("kind", "page"), title=sent.get("title", f"Page: {notices.incident_label(incident)}"),
                    lines=(_what_happened(session, config, page, incident),),
                    metadata=dict(sent.get("metadata") or {}))
    return Act("update", message.delivered_to or page.slack_user, {"ts": message.message_ts,
                                                                  "notice": notice_to_json(notice)})


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    return f"remove the buttons of page #{reminder.target}"
