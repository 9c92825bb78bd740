"""Assigning incident roles and handing them over. History is kept: a role row ends, a new one starts."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize, require_eligible
from bot.incidents.playbook import PlaybookFile
from bot.incidents.records import current_roles, label, load, playbook_of, require_open, subject
from bot.incidents.tables import Incident, RoleAssignment
from bot.incidents.views import Outcome, Post


def _check(pb: PlaybookFile, role: str, user: str) -> str:
    spec = pb.role(role)
    if spec is None:
        raise InvalidRequest(f'unknown role "{role}"; roles of {pb.name}: {", ".join(r.id for r in pb.roles)}')
    if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user or ""):
        raise InvalidRequest(f'expected a Slack user like @jane (id "U012AB3CD"), got "{user}"')
    return spec.title


def _switch(session: Session, incident: Incident, role: str, title: str, user: str, *, actor: str, at: Any,
            how: str, note: str) -> str | None:
    held = current_roles(session, incident.id).get(role)
    if held and held.user == user:
        raise Conflict(f"{user} already holds {title} in {label(incident.number)}")
    previous = held.user if held else None
    if held:
        held.ended_at, held.ended_by = at, actor
        session.add(held)
    session.add(RoleAssignment(incident_id=incident.id, role=role, user=user, assigned_at=at, assigned_by=actor,
                               how=how, handover_note=note))
    kind = "role.handed_over" if how == "handover" else "role.assigned"
    verb = "handed over" if how == "handover" else "assigned"
    append_event(session, incident_id=incident.id, actor=actor, kind=kind, at=at,
                 summary=f"{title} {verb}: {previous or 'unfilled'} -> {user}" + (f" ({note})" if note else ""),
                 data={"role": role, "before": previous, "after": user, "note": note})
    return previous


def _outcome(session: Session, config: Any, incident: Incident, pb: PlaybookFile, role: str, title: str, user: str,
             previous: str | None, *, key: str, at: Any, note: str) -> Outcome:
    outcome = conclude(session, config, incident, at)
    view = outcome.incident
    spec = pb.role(role)
    who = collaborators.namer(config)
    text = f"{who(user)} is now {title}" + (f" (taking over from {who(previous)})" if previous else "")
    posts = [Post("incident_channel", "", messages.in_channel(view, "role_change", text, note and f"Hand-over note: {note}",
                                                              mention=(user,)), f"{key}:post:0"),
             Post("user", user, messages.in_channel(view, "role_brief", f"You are {title} for {view.label}: {view.title}",
                                                    spec.description if spec else "", note and f"Hand-over note: {note}"),
                  f"{key}:post:1")]
    return Outcome(incident=view, posts=tuple(posts), invite=(user,), message=text)


def assign_role(ctx: Context, number: int, role: str, user: str, *, actor: str, key: str) -> Outcome:
    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "assign_role", actor, subject(session, incident, ctx.members))
        require_open(incident, "assign roles")
        pb = playbook_of(config, incident)
        title = _check(pb, role, user)
        require_eligible(config, role, user, subject(session, incident))
        previous = _switch(session, incident, role, title, user, actor=actor, at=at, how="assigned", note="")
        return _outcome(session, config, incident, pb, role, title, user, previous, key=key, at=at, note="")

    return run_once(ctx, key, "assign_role", Outcome, work)


def hand_over_role(ctx: Context, number: int, role: str, to_user: str, *, actor: str, key: str, note: str) -> Outcome:
    note = (note or "").strip()[:2000]

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        held = current_roles(session, incident.id).get(role)
        authorize(config, "hand_over_role", actor,
                  subject(session, incident, ctx.members, role_holder=held.user if held else None))
        require_open(incident, "hand over roles")
        pb = playbook_of(config, incident)
        title = _check(pb, role, to_user)
        require_eligible(config, role, to_user, subject(session, incident))
        if held is None:
            raise Conflict(f"nobody holds {title} in {label(number)}; assign it instead (/incident role {role} @person)")
        previous = _switch(session, incident, role, title, to_user, actor=actor, at=at, how="handover", note=note)
        return _outcome(session, config, incident, pb, role, title, to_user, previous, key=key, at=at, note=note)

    return run_once(ctx, key, "hand_over_role", Outcome, work)
