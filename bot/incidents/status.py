"""Status updates, timeline notes and incident facts."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import InvalidRequest
from bot.incidents.facts import normalise_fact
from bot.incidents.finish import conclude, with_notifications
from bot.incidents.idempotency import run_once
from bot.incidents.approvals import NeedsApproval, consume
from bot.incidents.permissions import authorize, may
from bot.incidents.records import load, obligation_views, playbook_of, require_active, require_open, subject
from bot.incidents.triggers import clock_posts
from bot.incidents.views import Outcome, Post

MAX_TEXT = 3000


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidRequest(f"expected the {what} text, got nothing")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"expected a {what} of at most {MAX_TEXT} characters, got {len(text)}; shorten it")
    return text


def post_status(ctx: Context, number: int, text: str, *, actor: str, key: str) -> Outcome:
    text = _text(text, "status update")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "post_status", actor, subject(session, incident, ctx.members))
        require_active(incident, "post status updates")
        pb = playbook_of(config, incident)
        before = incident.last_status_at.isoformat() if incident.last_status_at else None
        incident.last_status_at = at
        append_event(session, incident_id=incident.id, actor=actor, kind="status.posted", at=at, summary=text,
                     data={"before": before, "after": at.isoformat()})
        outcome = conclude(session, config, incident, at)
        view = outcome.incident
        notice = messages.in_channel(view, "status_update", f"{view.label} status update", text,
                                     footer=f"Next update due in {int(pb.cadence.total_seconds() // 60)} min")
        posts = [Post("incident_channel", "", notice, f"{key}:post:0")]
        if pb.status_updates.to_feed:
            feed = (messages.announcement(pb, view, headline="status updated", redacted=True) if view.private else notice)
            posts.append(Post("channel", config.settings.incidents_channel, feed, f"{key}:post:1"))
        posts = with_notifications(config, pb, view, posts, "status_update", headline="status update", key=key)
        return Outcome(incident=view, posts=tuple(posts), message=f"{view.label} status update recorded")

    return run_once(ctx, key, "post_status", Outcome, work)


def add_note(ctx: Context, number: int, text: str, *, actor: str, key: str) -> Outcome:
    text = _text(text, "note")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "add_note", actor, subject(session, incident, ctx.members))
        require_open(incident, "add notes")
        append_event(session, incident_id=incident.id, actor=actor, kind="note.added", at=at, summary=text, data={})
        return conclude(session, config, incident, at, message="note added to the timeline")

    return run_once(ctx, key, "add_note", Outcome, work)


def set_fact(ctx: Context, number: int, name: str, value: Any, *, actor: str, key: str, reason: str = "",
             approval: tuple[int, str] | None = None) -> Outcome:
    """``approval``: (request id, approver) when a second person approved a change that turns duties off."""
    reason = (reason or "").strip()[:2000]

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "set_fact", actor, subject(session, incident, ctx.members))
        require_open(incident, "change facts")
        base = (name or "").strip().lower().partition(".")[0]
        fact, parsed = normalise_fact(config, name, value, current=(incident.facts or {}).get(base))
        before = (incident.facts or {}).get(fact)
        unresolved = {o.obligation_id for o in collaborators.obligations_of(session, incident.id)
                      if o.status in ("open", "qualitative") and o.legal}
        incident.facts = {**(incident.facts or {}), fact: parsed}
        approved = consume(session, ctx, approval, incident, "set_fact") if approval else None
        append_event(session, incident_id=incident.id, actor=actor, kind="fact.set", at=at,
                     summary=f"fact {fact}: {before!r} -> {parsed!r}",
                     data={"fact": fact, "before": before, "after": parsed})
        obligations = collaborators.recompute(session, config, incident, actor=actor, why=f"fact {fact} set", at=at)
        removed = sorted(o.obligation_id for o in collaborators.obligations_of(session, incident.id)
                         if o.obligation_id in unresolved and o.status == "not_applicable")
        if removed:
            why = f"setting {fact} to {parsed!r} turns off {', '.join(removed)}"
            if approved is None and not may(config, "remove_legal_duty", actor, subject(session, incident)):
                raise NeedsApproval("set_fact", incident.id, {"number": number, "name": name, "value": value}, why)
            append_event(session, incident_id=incident.id, actor=actor, kind="obligation.turned_off", at=at,
                         summary=f"{why}: {reason}",
                         data={"fact": fact, "after": parsed, "obligations": removed, "reason": reason,
                               "approved_by": approved.decided_by if approved else None,
                               "approval_id": approved.id if approved else None})
        outcome = conclude(session, config, incident, at)
        views = obligation_views(session, obligations)
        return Outcome(incident=outcome.incident, obligations=views, message=f"{fact} = {parsed!r}; deadlines recomputed",
                       posts=clock_posts(config, outcome.incident, views, f"updated ({fact} recorded)", key))

    return run_once(ctx, key, "set_fact", Outcome, work)
