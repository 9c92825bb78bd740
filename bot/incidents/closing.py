"""Resolving (impact over) and closing (post-incident summary, audit head posted)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.audit.evidence import record as record_evidence
from bot.audit.wanted_effects import expect as expect_effects
from bot.audit.trail import append_event, verify_chain
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.finish import conclude, with_notifications
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import label, load, playbook_of, subject, tasks_of
from bot.incidents.tables import Incident
from bot.incidents.views import Outcome, Post

MAX_SUMMARY = 20000


def _resolve(session: Session, config: Any, incident: Incident, *, actor: str, at: Any, summary: str) -> None:
    incident.status, incident.resolved_at = "resolved", at
    append_event(session, incident_id=incident.id, actor=actor, kind="incident.resolved", at=at,
                 summary=summary or "impact is over", data={"before": "active", "after": "resolved"})
    collaborators.cancel_pending_pages(session, incident.id, actor=actor, at=at)
    collaborators.end_callouts(session, config, incident.id, at)
    collaborators.open_review(session, config, incident, actor=actor, at=at)


def resolve(ctx: Context, number: int, *, actor: str, key: str, summary: str) -> Outcome:
    summary = (summary or "").strip()[:4000]

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "resolve", actor, subject(session, incident, ctx.members))
        if incident.status != "active":
            raise Conflict(f"{label(number)} is already {incident.status}")
        pb = playbook_of(config, incident)
        _resolve(session, config, incident, actor=actor, at=at, summary=summary)
        outcome = conclude(session, config, incident, at)
        view = outcome.incident
        after = [t for t in tasks_of(session, incident.id) if t.phase == "resolved" and t.done_at is None]
        lines = [summary, *(f"Follow-up: {t.title} ({(t.owner_role or 'anyone').replace('_', ' ')})" for t in after)]
        posts = [Post("incident_channel", "", messages.in_channel(view, "resolved", f"{view.label} resolved", *lines),
                      f"{key}:post:0"),
                 Post("channel", config.settings.incidents_channel,
                      messages.announcement(pb, view, headline="resolved", redacted=view.private, extra=summary,
                                            name=collaborators.namer(config)),
                      f"{key}:post:1")]
        posts = with_notifications(config, pb, view, posts, "resolved", headline="resolved", key=key)
        return Outcome(incident=view, posts=tuple(posts), message=f"{view.label} resolved")

    return run_once(ctx, key, "resolve", Outcome, work)


def close(ctx: Context, number: int, summary: str, *, actor: str, key: str) -> Outcome:
    summary = (summary or "").strip()
    if not summary:
        raise InvalidRequest("expected a post-incident summary (what happened, impact, causes, follow-ups), got nothing")
    if len(summary) > MAX_SUMMARY:
        raise InvalidRequest(f"expected a summary of at most {MAX_SUMMARY} characters, got {len(summary)}")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "close", actor, subject(session, incident, ctx.members))
        if incident.status == "closed":
            raise Conflict(f"{label(number)} is already closed")
        still_open = [o for o in collaborators.obligations_of(session, incident.id) if o.status in ("open", "qualitative")]
        if still_open:
            names = ", ".join(o.obligation_id for o in still_open)
            raise Conflict(f"{label(number)} still has open notification duties ({names}); mark each notified or "
                           "not required (with the reason) before closing")
        pb = playbook_of(config, incident)
        if incident.status == "active":
            _resolve(session, config, incident, actor=actor, at=at, summary="resolved on close")
        incident.status, incident.closed_at, incident.summary = "closed", at, summary
        open_tasks = [t.task for t in tasks_of(session, incident.id) if t.done_at is None]
        append_event(session, incident_id=incident.id, actor=actor, kind="incident.closed", at=at, summary=summary,
                     data={"before": "resolved", "after": "closed", "open_tasks": open_tasks})
        outcome = conclude(session, config, incident, at)
        view = outcome.incident

        def posts_with(footer: str) -> list[Post]:
            lines = [summary[:2500]]
            if open_tasks:
                lines.append("Still open checklist tasks: " + ", ".join(open_tasks))
            posts = [Post("incident_channel", "", messages.in_channel(view, "closed", f"{view.label} closed", *lines,
                                                                      footer=footer), f"{key}:post:0"),
                     Post("channel", config.settings.incidents_channel,
                          messages.announcement(pb, view, headline="closed", redacted=view.private,
                                                name=collaborators.namer(config)), f"{key}:post:1")]
            return with_notifications(config, pb, view, posts, "closed", headline="closed", key=key)

        # The posts carry the head hash, so the chain names them (and the answer) before the head is read.
        wanted = [(p.key, "post") for p in posts_with("")] + ([(f"{key}:reply", "reply")] if ctx.reply_to else [])
        expect_effects(session, incident.id, wanted, at)
        record_evidence(session)  # the rows closed here go on the chain first: the posted head is the final one
        head = verify_chain(session, incident.id)
        footer = f"Audit trail: {head.events} events, head hash {head.head_hash}"
        posts = posts_with(footer)
        return Outcome(incident=view, posts=tuple(posts), message=f"{view.label} closed; {footer}")

    return run_once(ctx, key, "close", Outcome, work)
