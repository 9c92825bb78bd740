"""Setting milestones: ``/incident mitigated`` and corrections of detected / acknowledged / mitigated / resolved.

A milestone set here is a ``milestone.set`` event on the incident's chain with
the time it happened, the value it replaces and the reason.  Marking
*mitigated* needs the incident not closed; a correction of an earlier
milestone needs a reason, because it changes what the metrics and the review
say happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.audit.trail import append_event, events
from bot.clock import ensure_utc
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import label, load, require_open, subject
from bot.incidents.views import Outcome, Post
from bot.learning.milestones import SET_KIND, SETTABLE, check_order, from_events, instant_text

MAX_REASON = 2000


def set_milestone(ctx: Context, number: int, name: str, at: datetime | None, *, actor: str, key: str,
                  reason: str = "") -> Outcome:
    name = (name or "").strip().lower()
    if name not in SETTABLE:
        raise InvalidRequest(f'expected a milestone to set ({", ".join(SETTABLE)}), got "{name}"; "closed" is set '
                             "by closing the incident")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"expected a reason of at most {MAX_REASON} characters, got {len(reason)}")

    def work(session: Session) -> Outcome:
        config, now = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "set_milestone", actor, subject(session, incident, ctx.members))
        require_open(incident, f"set {name}")
        when = ensure_utc(at) if at is not None else now
        current = from_events(events(session, incident.id))
        before = current.get(name)
        if before is not None and not reason:
            raise InvalidRequest(f"{label(number)} already has {name} at {instant_text(before.at)} "
                                 f"({before.source}); changing it needs a reason")
        if name == "mitigated" and incident.status == "resolved" and before is None and at is None:
            raise Conflict(f"{label(number)} is already resolved; give the time it was mitigated "
                           "(e.g. /incident mitigated 2026-03-02T09:40+01:00)")
        try:
            check_order(current, name, when, now)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        text = f"{name} at {instant_text(when)}" + (f"; {reason}" if reason else "")
        append_event(session, incident_id=incident.id, actor=actor, kind=SET_KIND, at=now, summary=text,
                     data={"milestone": name, "at": when.isoformat(),
                           "before": before.at.isoformat() if before else None, "reason": reason})
        outcome = conclude(session, config, incident, now)
        view = outcome.incident
        title = f"{view.label} {name}" if before is None else f"{view.label}: {name} corrected"
        lines = [f"{name.capitalize()} at {instant_text(when)} (set by {collaborators.namer(config)(actor)})."]
        if before is not None:
            lines.append(f"Was {instant_text(before.at)} ({before.source}).")
        if reason:
            lines.append(reason)
        post = Post("incident_channel", "", messages.in_channel(view, "milestone", title, *lines), f"{key}:post:0")
        return Outcome(incident=view, posts=(post,), message=f"{view.label}: {text}")

    return run_once(ctx, key, "set_milestone", Outcome, work)

