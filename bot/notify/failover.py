"""A page's step that failed for good falls through to the next method at once.

:func:`fail_step`: the provider refused the step, its attempts ran out, or the bot could not prepare it
(``bot/notify/delivery.py``).  :func:`delivery_report`: the provider's later word on a step it had accepted
(Twilio's status callback, ``bot/notify/inbound.py``): undelivered fails it the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.notify import plan
from bot.notify.tables import Notification
from bot.oncall.notification_rules import METHOD_NAMES

log = logging.getLogger(__name__)



def fail_step(s: Session, config: Any, row: Notification, now: datetime, error: str) -> None:
    """The step failed for good (the provider refused it, or the carrier reported it undelivered): recorded,
    told (in the incident channel; for a page route's page, to the paged person), and the page's next step is
    due now.  In the caller's unit of work."""
    s.execute(update(Notification).where(Notification.id == row.id)  # type: ignore[arg-type]
              .values(state="failed", outcome=error[:1000], updated_at=now))
    if row.page_id is None:  # a test page: the person sees the outcome with their next test-page
        append_event(s, incident_id=None, actor="system", kind="page.test_failed", at=now,
                     summary=f"test {METHOD_NAMES[row.method]} to {row.person_id} failed: {error}",
                     data={"method": row.method, "error": error, "key": row.key})
        return
    nxt = plan.next_step_now(s, row.page_id, row.id, now)
    then = (f"trying {METHOD_NAMES[nxt.method]} now" if nxt is not None
            else "no further method; the page escalates on its ack timeout")
    text = f"Could not reach {row.person_id} by {METHOD_NAMES[row.method]}: {error}; {then}."
    append_event(s, incident_id=row.incident_id, actor="system", kind="page.method_failed", at=now,
                 summary=text, data={"page_id": row.page_id, "method": row.method, "step": row.step,
                                     "error": error, "next": nxt.key if nxt is not None else None})
    if row.incident_id is not None:  # the incident channel is told (a reminder row, same transaction)
        from bot.outbox.resync import sync_incident

        sync_incident(s, config, row.incident_id, now)
    else:  # a page route's page (no incident): the paged person is told in Slack (same transaction)
        from bot.oncall.tables import Page

        page = s.get(Page, row.page_id)
        if page is not None and page.alert_group_id is not None:
            from bot.outbox.resync import sync_group

            sync_group(s, config, page.alert_group_id, now)
    log.error("page %s: %s failed for good: %s", row.page_id, row.method, error)


def delivery_report(s: Session, config: Any, provider_ref: str, status: str, error_code: str, now: datetime) -> str:
    """The provider's later word on a sent step (Twilio's status callback): ``failed`` or ``undelivered``
    fails the step and falls through, ``delivered`` is noted on the row.  Returns what was done.  The row is
    locked (PostgreSQL) so that one callback delivered twice at once fails the step over once: the second
    request waits for the first and reads the step failed."""
    row = s.exec(select(Notification).where(Notification.provider_ref == provider_ref).with_for_update()).first()
    if row is None:
        return "unknown message"
    if status in ("failed", "undelivered") and row.state == "sent":
        fail_step(s, config, row, now, f"the carrier reported it {status} (error {error_code or 'not given'})")
        return "failed over"
    if status == "delivered" and row.state == "sent" and not row.outcome:
        s.execute(update(Notification).where(Notification.id == row.id)  # type: ignore[arg-type]
                  .values(outcome=f"delivered (reported {now:%Y-%m-%d %H:%M:%S} UTC)", updated_at=now))
        return "noted"
    return "nothing to do"
