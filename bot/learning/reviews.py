"""The post-incident review: required by the playbook, due within N business days, owned, nudged, done.

When an incident is resolved (or closed straight from active) and its
playbook's ``review.required`` is true, :func:`open_for` fixes the review in the
same unit of work: the owner (the holder of ``review.owner`` at that moment,
else the commander, else the reporter), the calendar whose business days count
and the due day, with a ``review.due`` event on the chain.  The due date is
fixed then and there: a later playbook edit does not move it.  The reminder
kind ``review`` (bot/scheduling/kinds/review.py) announces it in the incident
channel with a "Draft the review" button, and nudges the owner before the due
day, on it and on every business day after it until the review is marked done.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.audit.export import evidence_pack
from bot.audit.trail import append_event, events
from bot.incidents import collaborators
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.playbook import playbook_for
from bot.incidents.records import current_roles, label, load, playbook_of, subject
from bot.incidents.views import Outcome
from bot.learning import followups, review_draft
from bot.learning.business_days import BusinessCalendar, calendar_for
from bot.learning.milestones import from_events
from bot.learning.tables import IncidentReview
from bot.learning.views import DraftOutcome, ReviewView


_REVIEW = select(IncidentReview).where(IncidentReview.incident_id == bindparam("incident"))
_REVIEW_LOCKED = _REVIEW.with_for_update()


def review_of(session: Session, incident_id: int, *, lock: bool = False) -> IncidentReview | None:
    return session.exec(_REVIEW_LOCKED if lock else _REVIEW, params={"incident": incident_id}).first()


def _owner(session: Session, incident: Any, role: str) -> str:
    held = current_roles(session, incident.id)
    for candidate in (role, "commander"):
        if candidate in held:
            return held[candidate].user
    return incident.reporter


def calendar_of(config: Any, spec: Any, owner: str) -> BusinessCalendar:
    return calendar_for(config, site=spec.site, slack_user=owner)


def open_for(session: Session, config: Any, incident: Any, at: datetime, *, actor: str) -> IncidentReview | None:
    """Fix the review of a just-resolved incident if its playbook requires one (once; later calls keep it)."""
    playbook = playbook_for(config, incident.playbook)
    spec = playbook.review if playbook is not None else None
    if spec is None or not spec.required:
        return None
    existing = review_of(session, incident.id)
    if existing is not None:
        return existing
    owner = _owner(session, incident, spec.owner)
    calendar = calendar_of(config, spec, owner)
    resolved_day = calendar.local_day(at)
    due_day = calendar.add(resolved_day, spec.within_business_days)
    row = IncidentReview(incident_id=incident.id, owner=owner, owner_role=spec.owner,
                         business_days=spec.within_business_days, calendar=calendar.label, zone=calendar.zone,
                         due_day=due_day, due_at=calendar.end_of(due_day), created_at=at)
    session.add(row)
    session.flush()
    append_event(session, incident_id=incident.id, actor=actor, kind="review.due", at=at,
                 summary=f"post-incident review due by the end of {due_day:%a %d %b %Y} ({calendar.zone}): "
                         f"{spec.within_business_days} business days after {resolved_day:%a %d %b} on the "
                         f"{calendar.label}; owner {owner}",
                 data={"owner": owner, "owner_role": spec.owner, "business_days": spec.within_business_days,
                       "calendar": calendar.label, "zone": calendar.zone, "resolved_day": resolved_day.isoformat(),
                       "due_day": due_day.isoformat(), "due_at": row.due_at.isoformat(),
                       "days_off": _days_off(calendar, resolved_day, due_day)})
    return row


def _days_off(calendar: BusinessCalendar, first: Any, last: Any) -> dict[str, str]:
    """The days between resolution and due day that did not count, and why (for the record)."""
    out: dict[str, str] = {}
    day = first + timedelta(days=1)
    while day < last:
        why = calendar.day_off(day)
        if why:
            out[day.isoformat()] = why
        day += timedelta(days=1)
    return out


def review_view(row: IncidentReview, number: int) -> ReviewView:
    return ReviewView(id=row.id, incident_id=row.incident_id, incident=f"INC-{number}", owner=row.owner, owner_role=row.owner_role,
                      business_days=row.business_days, calendar=row.calendar, zone=row.zone,
                      due_day=row.due_day.isoformat(), due_at=row.due_at, state=row.state, drafts=row.drafts,
                      drafted_at=row.drafted_at, completed_at=row.completed_at, completed_by=row.completed_by,
                      document_url=row.document_url)


# --- drafting and completing -----------------------------------------------------------------

MAX_URL = 2000


def _review_or_refuse(session: Session, incident: Any, doing: str) -> IncidentReview:
    row = review_of(session, incident.id, lock=True)
    if row is None:
        why = ("it is not resolved yet" if incident.status == "active"
               else "its playbook does not require one (review.required)")
        raise Conflict(f"{label(incident.number)} has no post-incident review to {doing}: {why}")
    return row


def draft(ctx: Context, number: int, *, actor: str, key: str) -> DraftOutcome:
    """Draft the review from the verified timeline; store it and post it to the incident channel (reminder
    kind ``review``, so it goes out once even when drafted from the command line)."""
    def work(session: Session) -> DraftOutcome:
        config, now = ctx.config(), ctx.now()
        incident = load(session, number)
        row = review_of(session, incident.id)
        authorize(config, "draft_review", actor,
                  subject(session, incident, ctx.members, review_owner=row.owner if row else None))
        row = _review_or_refuse(session, incident, "draft")
        pack = evidence_pack(session, number, now=now, min_retention_days=config.settings.retention_days)
        markdown = review_draft.render(
            pack, from_events(events(session, incident.id)), followups.of_incident(session, incident.id, number),
            review_view(row, number), zone=config.settings.timezone, name=collaborators.namer(config),
            person_name=lambda person: collaborators.person_name(config, person),
            severity_name=playbook_of(config, incident).name, made_at=now)
        digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
        row.drafts, row.drafted_at, row.draft, row.draft_sha256 = row.drafts + 1, now, markdown, digest
        session.add(row)
        session.flush()
        append_event(session, incident_id=incident.id, actor=actor, kind="review.drafted", at=now,
                     summary=f"post-incident review draft {row.drafts} made from the verified timeline"
                             + ("" if pack["audit"]["verified"] else " (the chain did NOT verify)"),
                     data={"draft": row.drafts, "sha256": digest, "chain_verified": pack["audit"]["verified"],
                           "head_hash": pack["audit"]["head_hash"]})
        outcome = conclude(session, config, incident, now)
        message = (f"Review draft {row.drafts} of INC-{number} made (sha256 {digest[:12]}); it is posted to the "
                   "incident channel")
        return DraftOutcome(outcome=Outcome(incident=outcome.incident, message=message),
                            review=review_view(row, number), markdown=markdown)

    return run_once(ctx, key, "draft_review", DraftOutcome, work)


def complete(ctx: Context, number: int, *, actor: str, key: str, link: str = "") -> Outcome:
    """Mark the review done (with a link to the final document); nudges stop; on the chain with on time or late."""
    link = (link or "").strip()
    if len(link) > MAX_URL or (link and not link.startswith(("https://", "http://"))):
        raise InvalidRequest(f"expected a link to the final review (https://…, at most {MAX_URL} characters), "
                             f"got \"{link[:80]}\"")

    def work(session: Session) -> Outcome:
        config, now = ctx.config(), ctx.now()
        incident = load(session, number)
        row = review_of(session, incident.id)
        authorize(config, "complete_review", actor,
                  subject(session, incident, ctx.members, review_owner=row.owner if row else None))
        row = _review_or_refuse(session, incident, "mark done")
        if row.state == "done":
            raise Conflict(f"the review of {label(number)} was already marked done on {row.completed_at:%Y-%m-%d}")
        row.state, row.completed_at, row.completed_by, row.document_url = "done", now, actor, link or None
        session.add(row)
        session.flush()
        on_time = now <= row.due_at
        append_event(session, incident_id=incident.id, actor=actor, kind="review.completed", at=now,
                     summary=f"post-incident review done {'on time' if on_time else 'late'} "
                             f"(due by the end of {row.due_day})" + (f": {link}" if link else ""),
                     data={"on_time": on_time, "due_at": row.due_at.isoformat(), "document_url": link or None,
                           "drafts": row.drafts})
        outcome = conclude(session, config, incident, now)
        return Outcome(incident=outcome.incident,
                       message=f"Review of {label(number)} marked done ({'on time' if on_time else 'late'})")

    return run_once(ctx, key, "complete_review", Outcome, work)
