"""The post-incident review: announced in the channel, drafts posted there, the owner nudged until it is done.

Rows (``<id>`` is the review's id):

* ``review:<id>:opened`` when the review is fixed at resolution: the incident channel
  hears who owns it and by when, with a "Draft the review" button;
* ``review:<id>:draft:<n>`` when draft ``n`` is made (command line or button): the draft
  is posted to the incident channel, so a draft made from the command line reaches the
  team as well;
* ``review:<id>:soon`` / ``:due`` / ``:overdue:<k>``: direct messages to the owner at 09:00
  on the review calendar, ``remind_before_business_days`` business days before the due
  day, on it, and on every business day after it until the review is marked done (one
  overdue nudge at a time, numbered).  They follow the labor rules: held while the
  owner is not working.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, func, select

from bot.outbox.tables import Reminder
from bot.scheduling import working_time
from bot.scheduling.recipients import INCIDENT_CHANNEL, resolve
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted

name = "review"
RESYNC_AFTER_SENT = True  # a sent overdue nudge wants the next one
NUDGE_AT = time(9, 0)


def _calendar(config: Any, incident: Any, review: Any) -> Any:
    from bot.incidents.playbook import playbook_for
    from bot.learning.business_days import calendar_for

    playbook = playbook_for(config, incident.playbook)
    site = playbook.review.site if playbook is not None and playbook.review is not None else None
    try:
        return calendar_for(config, site=site, slack_user=review.owner)
    except KeyError:  # the site was removed from people.yaml since: the owner's own calendar
        return calendar_for(config, slack_user=review.owner)


def _before(config: Any, incident: Any) -> int:
    from bot.incidents.playbook import playbook_for

    playbook = playbook_for(config, incident.playbook)
    spec = playbook.review if playbook is not None else None
    return spec.remind_before_business_days if spec is not None else 1


def _at_nine(calendar: Any, day: date) -> datetime:
    from bot.oncall.wallclock import local_to_utc

    return local_to_utc(day, NUDGE_AT, calendar.zone)


def _previous_business_day(calendar: Any, day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if calendar.day_off(day) is None:
            count -= 1
    return day


def overdue_history(session: Session, incident_id: int, prefix: str) -> tuple[int, datetime | None]:
    """Overdue nudges under ``prefix`` that are history (sent or failed for good): how many, and the last one's time."""
    count, last = session.exec(select(func.count(), func.max(func.coalesce(Reminder.sent_at, Reminder.updated_at)))
                               .where(Reminder.incident_id == incident_id,
                                      Reminder.key.like(prefix + "%"),  # type: ignore[attr-defined]
                                      Reminder.state.in_(("sent", "failed")))).one()  # type: ignore[attr-defined]
    return int(count), last


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    from bot.learning.reviews import review_of

    review = review_of(session, incident.id)
    if review is None:
        return []
    base = f"review:{review.id}"
    out = [Wanted(key=f"{base}:opened", kind=name, target=review.id, due_at=review.created_at,
                  recipient=INCIDENT_CHANNEL)]
    if review.drafts and review.drafted_at is not None:
        out.append(Wanted(key=f"{base}:draft:{review.drafts}", kind=name, target=review.id, due_at=review.drafted_at,
                          recipient=INCIDENT_CHANNEL, payload={"draft": review.drafts}))
    if review.state == "done":
        return out
    calendar = _calendar(config, incident, review)
    before = _before(config, incident)
    if before:
        soon = _previous_business_day(calendar, review.due_day, before)
        if _at_nine(calendar, soon) > review.created_at:
            out.append(Wanted(key=f"{base}:soon", kind=name, target=review.id, due_at=_at_nine(calendar, soon),
                              recipient=review.owner, payload={"day": soon.isoformat()}))
    out.append(Wanted(key=f"{base}:due", kind=name, target=review.id, due_at=_at_nine(calendar, review.due_day),
                      recipient=review.owner, payload={"day": review.due_day.isoformat()}))
    sent, last = overdue_history(session, incident.id, f"{base}:overdue:")
    number = sent + 1
    late_day = calendar.add(review.due_day, number)
    if last is not None:  # after downtime: one late nudge, then the next business day, not a burst
        late_day = max(late_day, calendar.add(calendar.local_day(last), 1))
    out.append(Wanted(key=f"{base}:overdue:{number}", kind=name, target=review.id, due_at=_at_nine(calendar, late_day),
                      recipient=review.owner, payload={"day": late_day.isoformat(), "overdue": number}))
    return out


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.collaborators import namer
    from bot.incidents.tables import Incident
    from bot.learning import notices
    from bot.learning.tables import IncidentReview

    review = session.get(IncidentReview, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if review is None or incident is None:
        return Drop("the review no longer exists")
    to = resolve(session, incident, reminder.recipient)
    if reminder.recipient == INCIDENT_CHANNEL:
        if to.address is None:
            return working_time.hold_for(config, to, now) or Drop("no incident channel")
        if reminder.key.endswith(":opened"):
            notice = notices.review_opened(incident, review, key=reminder.key, owner_name=namer(config)(review.owner))
        else:
            if reminder.payload.get("draft") != review.drafts or not review.draft:
                return Drop("a newer draft replaced this one")
            notice = notices.review_draft(incident, review, key=reminder.key, markdown=review.draft)
        return Send(to.address, notice, to.direct)
    if review.state == "done":
        return Drop("the review is done")
    hold = working_time.hold_for(config, to, now)
    if hold is not None:
        return hold
    calendar = _calendar(config, incident, review)
    today = calendar.local_day(now)
    overdue = int(reminder.payload.get("overdue") or 0)
    notice = notices.review_nudge(incident, review, key=reminder.key, today=today, overdue_days=overdue)
    return Send(to.address, notice, to.direct)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
