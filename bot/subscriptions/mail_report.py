"""Telling the incident's channel, once, how a published statement's mails ended.

When the last mail of a statement is settled (sent, failed, or cancelled because its subscriber left), one post
goes to the incident's channel through the outbox with the counts; never an address. Called in the unit of work
that settled the last one, whichever it was: the status-mail worker's (sent, failed) or an unsubscribe's
(cancelled). A statement whose event or incident row is gone gets no report (there is no channel to tell and no
status to name); the mails' own rows keep how each ended.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.audit.incident_keys import INCIDENT
from bot.audit.tables import TimelineEvent
from bot.outbox import effects as outbox
from bot.outbox.notice_codec import notice_to_json
from bot.ports import Notice
from bot.subscriptions.tables import StatusMail

MAX_ATTEMPTS = 5  # how often a mail the server refuses for now is tried (the worker's retries)


def report_when_done(s: Session, event_id: int | None, incident_id: int | None, now: datetime) -> bool:
    """If every mail of the statement ``event_id`` is settled, write the channel's report (once: its outbox key
    is the statement's). Returns whether a report was written or already due."""
    if event_id is None or incident_id is None:
        return False
    counts = dict(s.execute(select(StatusMail.state, func.count()).where(StatusMail.event_id == event_id)
                            .group_by(StatusMail.state)).all())
    if not counts or counts.get("pending") or counts.get("sending"):
        return False
    data = s.exec(select(TimelineEvent.data).where(TimelineEvent.id == event_id)).first()
    number = s.execute(select(INCIDENT.c.number).where(INCIDENT.c.id == incident_id)).scalar()
    if not isinstance(data, dict) or number is None:
        return False
    sent, failed = int(counts.get("sent", 0)), int(counts.get("failed", 0))
    left = int(counts.get("cancelled", 0))
    lines = [f"{sent} sent" + (f", {failed} failed (the mail server refused them or stayed unreachable after "
                               f"{MAX_ATTEMPTS} attempts)" if failed else "")
             + (f", {left} not sent (unsubscribed meanwhile)" if left else "") + "."]
    if failed:
        lines.append("The reasons are kept with each mail (status_mail.outcome); addresses are not shown here.")
    status = str(data.get("status", "") or "")
    notice = Notice(kind="status_mail_report", title=f"Email to the status page's subscribers: the {status} "
                                                     "statement", lines=tuple(lines),
                    metadata={"incident": str(number)})
    outbox.add(s, key=f"status-mail:{event_id}:report", kind="post", incident_id=incident_id, at=now,
               recipient=outbox.INCIDENT_CHANNEL, lane=outbox.incident_lane(incident_id),
               payload={"notice": notice_to_json(notice)})
    return True
