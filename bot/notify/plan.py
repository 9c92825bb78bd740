"""Which notifications a page wants, derived from the page's state in the caller's unit of work.

:func:`sync_notifications` runs inside every re-sync of an incident (``bot.scheduling.sync``), so the
rows are written in the same transaction as the page that causes them (declaration, escalation,
decline) and cancelled in the same transaction as the acknowledgement that stops them:

* a live page (planned, held, sent, or escalated without an answer) wants one row per step of its
  person's rule other than Slack, due at ``page_at`` + the step's delay.  A held low-urgency page
  therefore goes out on every method when it is released at the person's working time;
* a page that was acknowledged (or whose target someone else acknowledged), declined or cancelled, or
  whose incident is no longer active, wants nothing: its pending rows are cancelled with the reason.

A skip is a skip on every method: a person the plan skipped has no page and so no notification.
Rules that may forbid contact later than the plan looked (a contact window starting, leave) are
checked again for each step when it is due (:func:`contact_block`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.oncall.notification_rules import DEFAULT_RULES, Contact, PlannedStep, effective_steps
from bot.notify.tables import Notification

LIVE = ("planned", "held", "sent", "escalated")
CONTACT_BLOCKS = ("contact_forbidden", "leave", "scheduled_rest")  # "may not be contacted now", whatever the method


def _people_file(config: Any) -> Any:
    return config.one("people") if config is not None else None


def person_contact(config: Any, person_id: str) -> tuple[Contact, Any]:
    people = _people_file(config)
    person = next((p for p in people.people if p.id == person_id), None) if people else None
    return (person.contact if person else Contact()), (person.notify if person else None)


def steps_for(config: Any, person_id: str, urgency: str) -> list[PlannedStep]:
    people = _people_file(config)
    org = people.notification_rules if people is not None else DEFAULT_RULES
    _, own = person_contact(config, person_id)
    return effective_steps(org, own, urgency)


def step_key(page_id: int, method: str, step: int) -> str:
    return f"page:{page_id}:{method}:{step}"


def stop_reason(page: Any, incident: Any, acked_targets: set[str]) -> str | None:
    if incident is not None and incident.status != "active":
        return f"the incident is {incident.status}"
    if page.status == "acked":
        return "acknowledged"
    if page.target in acked_targets:
        return "someone else acknowledged the page"
    if page.status not in LIVE:
        return f"the page was {page.status}"
    return None


def cancel_open(session: Session, page_id: int, reason: str, at: datetime) -> int:
    done = session.execute(update(Notification).where(Notification.page_id == page_id,  # type: ignore[arg-type]
                                                      Notification.state == "pending")
                           .values(state="cancelled", outcome=reason[:1000], updated_at=at))
    return int(done.rowcount or 0)


@functools.cache
def _queries() -> tuple[Any, Any]:
    """The incident's pages and notification rows, built once (with the incident as a bound parameter): building a
    statement costs as much as running it."""
    from bot.oncall.tables import Page

    return (select(Page).where(Page.incident_id == bindparam("incident")).order_by(Page.id),
            select(Notification).where(Notification.incident_id == bindparam("incident")))


def sync_notifications(session: Session, config: Any, incident_id: int, at: datetime) -> None:
    """Make the incident's notification rows match its pages (see the module docstring)."""
    from bot.incidents.tables import Incident
    from bot.oncall.tables import Page

    at = ensure_utc(at)
    incident = session.get(Incident, incident_id)
    pages_of, notifications_of = _queries()
    pages = session.exec(pages_of, params={"incident": incident_id}).all()
    if not pages:
        return
    existing = {n.key: n for n in session.exec(notifications_of, params={"incident": incident_id})}
    _sync_pages(session, config, pages, existing, incident, at)


def sync_group_notifications(session: Session, config: Any, group_id: int, at: datetime) -> None:
    """The same for the pages of an alert group paged without an incident (rows without an incident)."""
    from bot.oncall.tables import Page

    at = ensure_utc(at)
    pages = session.exec(select(Page).where(Page.alert_group_id == group_id).order_by(Page.id)).all()
    if not pages:
        return
    existing = {n.key: n for n in session.exec(select(Notification).where(
        Notification.page_id.in_([p.id for p in pages])))}  # type: ignore[union-attr]
    _sync_pages(session, config, pages, existing, None, at)


def _sync_pages(session: Session, config: Any, pages: Any, existing: dict[str, Notification], incident: Any,
                at: datetime) -> None:
    acked_targets = {p.target for p in pages if p.status == "acked"}
    for page in pages:
        stop = stop_reason(page, incident, acked_targets)
        if stop is not None:
            cancel_open(session, page.id, stop, at)
            continue
        for index, step in enumerate(steps_for(config, page.person_id, page.urgency)):
            if step.method == "slack":
                continue
            key = step_key(page.id, step.method, index)
            due = ensure_utc(page.page_at) + step.after
            row = existing.get(key)
            if row is None:
                session.add(Notification(key=key, page_id=page.id, incident_id=page.incident_id, person_id=page.person_id,
                                         method=step.method, step=index, after_seconds=int(step.after.total_seconds()),
                                         due_at=due, next_attempt_at=due, created_at=at, updated_at=at))
            elif row.state == "pending" and ensure_utc(row.due_at) != due and row.attempts == 0:
                session.execute(update(Notification).where(Notification.id == row.id,  # type: ignore[arg-type]
                                                           Notification.state == "pending")
                                .values(due_at=due, next_attempt_at=due, updated_at=at))
    session.flush()


def contact_block(session: Session, config: Any, page: Any, at: datetime) -> str | None:
    """A labor rule that forbids contacting the paged person at ``at`` (not waived for this page), as
    "reason (citation)"; None when they may be contacted.  The fallback manager is paged whatever the
    rules say (the plan pages them only when nobody else may be), so nothing is re-checked for them."""
    if page.role == "fallback":
        return None
    from bot.oncall.eligibility import evaluate
    from bot.oncall.history import load_history
    from bot.oncall.planner import roster_for
    from bot.oncall.tables import ExceptionUse
    from bot.oncall.team import team_of

    team = team_of(config)
    if page.person_id not in team.people:
        return None
    person = team.person(page.person_id)
    history = load_history(session, [person.id], at)
    rostered = roster_for(config, team, history).is_rostered(person.id, at)
    verdict = evaluate(person, at, rostered=rostered, activity=None, history=history)
    waived = {rule for use in session.exec(select(ExceptionUse).where(ExceptionUse.page_id == page.id))
              for rule in (use.rules_waived or [])}
    for finding in verdict.blocks:
        if finding.reason_code in CONTACT_BLOCKS and finding.rule not in waived:
            return f"{finding.reason} ({finding.citation})"
    return None


def next_step_now(session: Session, page_id: int, after_id: int, at: datetime) -> Notification | None:
    """Fall through: the page's next pending step is due now instead of at its delay."""
    nxt = session.exec(select(Notification).where(Notification.page_id == page_id, Notification.id != after_id,
                                                  Notification.state == "pending")
                       .order_by(Notification.due_at, Notification.step)).first()  # type: ignore[arg-type]
    if nxt is None:
        return None
    if ensure_utc(nxt.next_attempt_at) > at:
        nxt.next_attempt_at = at
        nxt.updated_at = at
        session.add(nxt)
    return nxt


__all__ = ["LIVE", "contact_block", "next_step_now", "person_contact", "step_key", "steps_for", "stop_reason",
           "sync_notifications"]
