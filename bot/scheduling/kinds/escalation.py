"""Escalation: a sent page not acknowledged within its ack timeout pages the next level (the deputy).

Due at ``sent_at + ack_timeout``.  When it fires, ``paging.escalate`` records
the next pages in the same unit of work as the claim (so it happens once), the
incident channel is told, and the re-sync that follows plans the new pages'
sends, due at once.  An acknowledgement before the timeout cancels it.  If
telling the channel fails (Slack down), the retry sends the notice prepared at
the claim: the escalation has happened, only its message is still owed.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.scheduling import notices
from bot.scheduling.recipients import INCIDENT_CHANNEL
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "escalation"
RESYNC_AFTER_CLAIM = True  # escalating creates pages whose sends must be planned at once
RESEND_AS_CLAIMED = True  # a retry sends the notice of the escalation that happened, not a second escalation


@functools.cache
def _sent_pages() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.oncall.tables import Page

    return select(Page).where(Page.incident_id == bindparam("incident"), Page.status == "sent")


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    if incident.status != "active":
        return []
    pages = session.exec(_sent_pages(), params={"incident": incident.id}).all()
    return [Wanted(key=f"page:{p.id}:escalate", kind=name, target=p.id,
                   due_at=(p.sent_at or p.page_at) + timedelta(minutes=p.ack_timeout_minutes),
                   recipient=INCIDENT_CHANNEL) for p in pages]


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident
    from bot.oncall.paging import escalate
    from bot.oncall.tables import Page

    page = session.get(Page, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if page is None or incident is None or page.status != "sent" or incident.status != "active":
        return Drop("the page was acknowledged, declined or cancelled in time")
    new_pages = escalate(session, config, page.id, at=now)
    waited = now - (page.sent_at or page.page_at)
    if new_pages:
        notice = notices.escalation_notice(incident, key=reminder.key, person=page.slack_user, waited=waited,
                                           next_people=[p.slack_user for p in new_pages])
    else:
        notice = _nothing_new_paged(session, incident, page, reminder.key, waited)
    if not incident.channel_id:
        return Drop("escalated; the incident has no channel to tell")
    return Send(incident.channel_id, notice, False)


def _nothing_new_paged(session: Session, incident: Any, page: Any, key: str, waited: timedelta) -> Any:
    """Escalating paged nobody new: say why, naming who has it, who was already paged, or who must act.

    The page may have been acknowledged in the window between this reminder coming due and the
    escalation reading it (a click at the last second), the next level may already have been paged
    (a decline, a sibling's escalation), or the path may be exhausted.
    """
    from bot.oncall.tables import Page
    from bot.scheduling.recipients import role_holder

    session.flush()  # what escalate changed, then the pages as the database has them now (an ack may be newer)
    siblings = session.exec(select(Page).where(Page.incident_id == page.incident_id, Page.target == page.target)
                            .execution_options(populate_existing=True)).all()
    acked = [p.slack_user for p in siblings if p.status == "acked"]
    if acked:
        return notices.acknowledged_meanwhile_notice(incident, key=key, acked_by=acked)
    later = [p.slack_user for p in sorted(siblings, key=lambda p: (p.level, p.id))
             if p.level > page.level and p.status != "cancelled"]
    if later:
        return notices.escalation_notice(incident, key=key, person=page.slack_user, waited=waited,
                                         next_people=list(dict.fromkeys(later)), already_paged=True)
    commander = role_holder(session, incident.id, "commander") or incident.reporter
    return notices.escalation_notice(incident, key=key, person=page.slack_user, waited=waited, next_people=[],
                                     by_hand=commander)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
