"""Read-only lookups for the Slack adapter, the web view, the CLI and the drill.

``reader`` is the Slack user asking.  A private incident is shown only to
those ``read_private`` names (``config/permissions.yaml``); anyone else gets
the very answer a number that does not exist gets.  ``reader=None`` is an
in-process caller that answers to the operator (the CLI, the drill, the
scheduler); every adapter that serves a person passes the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, select

from bot.audit.trail import events
from bot.incidents import collaborators
from bot.incidents.approvals import may_decide
from bot.incidents.context import Context
from bot.incidents.decision_buttons import decision_buttons
from bot.incidents.playbook import playbooks
from bot.incidents.permissions import hidden, may, may_read
from bot.incidents.records import (approval_view, event_view, incident_view, label, load, obligation_views, page_view,
                                   subject, task_view, tasks_of)
from bot.incidents.tables import ApprovalRequest, Incident, RoleAssignment, TriggerApproval
from bot.incidents.views import (ApprovalView, EventView, IncidentView, ObligationView, PageView, SeverityOption,
                                 TaskView)
from bot.ports import Button


def severities(ctx: Context) -> list[SeverityOption]:
    books = sorted(playbooks(ctx.config()).values(), key=lambda p: (p.rank, p.id))
    return [SeverityOption(id=p.id, name=p.name, rank=p.rank, criteria=tuple(p.criteria), private=p.channel.private,
                           facts=tuple(p.regulations.ask_facts)) for p in books]


def can_read(ctx: Context, s: Session, incident: Incident, reader: str | None) -> bool:
    return reader is None or may_read(ctx.config(), reader, subject(s, incident, ctx.members))


def readable(ctx: Context, s: Session, number: int, reader: str | None) -> Incident:
    """The incident if ``reader`` may see it; otherwise the not-found answer, word for word."""
    incident = load(s, number, lock=False)
    if not can_read(ctx, s, incident, reader):
        raise hidden(label(number))
    return incident


def may_read_incident(ctx: Context, number: int, reader: str) -> bool:
    """Whether ``reader`` may see incident ``number`` (False as well when there is no such incident)."""
    with ctx.store.session() as s:
        incident = s.exec(select(Incident).where(Incident.number == number)).first()
        return incident is not None and can_read(ctx, s, incident, reader)


def get(ctx: Context, number: int, reader: str | None = None) -> IncidentView:
    with ctx.store.session() as s:
        return incident_view(s, ctx.config(), readable(ctx, s, number, reader))


def incident_by_channel(ctx: Context, channel_id: str, reader: str | None = None) -> IncidentView | None:
    with ctx.store.session() as s:
        row = s.exec(select(Incident).where(Incident.channel_id == channel_id)).first()
        return incident_view(s, ctx.config(), row) if row and can_read(ctx, s, row, reader) else None


def timeline(ctx: Context, number: int, reader: str | None = None) -> list[EventView]:
    with ctx.store.session() as s:
        return [event_view(e) for e in events(s, readable(ctx, s, number, reader).id)]


def obligations(ctx: Context, number: int, reader: str | None = None) -> list[ObligationView]:
    with ctx.store.session() as s:
        incident = readable(ctx, s, number, reader)
        return list(obligation_views(s, collaborators.obligations_of(s, incident.id)))


def open_obligations(ctx: Context, number: int, reader: str | None = None) -> list[ObligationView]:
    return [o for o in obligations(ctx, number, reader) if o.status in ("open", "qualitative")]


def tasks(ctx: Context, number: int, reader: str | None = None) -> list[TaskView]:
    with ctx.store.session() as s:
        return [task_view(t) for t in tasks_of(s, readable(ctx, s, number, reader).id)]


def pages(ctx: Context, number: int, reader: str | None = None) -> list[PageView]:
    with ctx.store.session() as s:
        return [page_view(p) for p in collaborators.pages_of(s, readable(ctx, s, number, reader).id)]


def pending_approvals(ctx: Context, number: int, reader: str | None = None) -> list[ApprovalView]:
    with ctx.store.session() as s:
        incident = readable(ctx, s, number, reader)
        rows = s.exec(select(TriggerApproval).where(TriggerApproval.incident_id == incident.id,
                                                    TriggerApproval.status == "pending").order_by(TriggerApproval.id)).all()
        return [approval_view(r) for r in rows]


@dataclass(frozen=True)
class ApprovalToDecide:
    """A change of the incident waiting for a second person, as one reader may act on it.

    ``kind`` ``clock``: moving (or late starting) a legal clock (:mod:`bot.incidents.triggers`); ``request``: a
    change one person may not make alone (:mod:`bot.incidents.approvals`). ``buttons`` are those of the request's
    own message that the reader may press: the same permission checks the decision itself makes (the
    requester never approves their own request)."""

    kind: Literal["clock", "request"]
    id: int
    what: str  # plain text; instants in ISO 8601
    reason: str
    requested_by: str
    requested_at: datetime
    buttons: tuple[Button, ...]


def _decision_buttons(prefix: str, row_id: int, *, may_decide: bool, requester: bool) -> tuple[Button, ...]:
    """The Approve / Reject buttons of the request's message that the reader may press."""
    return decision_buttons(prefix, row_id, approve=not requester) if may_decide else ()


def approvals_to_decide(ctx: Context, number: int, reader: str) -> list[ApprovalToDecide]:
    """Every pending approval of the incident, oldest first, with the buttons ``reader`` may press."""
    config = ctx.config()
    with ctx.store.session() as s:
        incident = readable(ctx, s, number, reader)
        who = subject(s, incident, ctx.members)
        open_ = incident.status != "closed"  # a closed incident's clocks no longer move (records.require_open)
        clocks = s.exec(select(TriggerApproval).where(TriggerApproval.incident_id == incident.id,
                                                      TriggerApproval.status == "pending")).all()
        requests = s.exec(select(ApprovalRequest).where(ApprovalRequest.incident_id == incident.id,
                                                        ApprovalRequest.status == "pending")).all()
        may_move = open_ and may(config, "approve_trigger_change", reader, who)
        found = [ApprovalToDecide(
            "clock", c.id, f"move the legal clock {c.trigger} from {c.current or 'not started'} to {c.proposed}",
            c.reason, c.requested_by, c.requested_at,
            _decision_buttons("trigger", c.id, may_decide=may_move, requester=c.requested_by == reader))
            for c in clocks]
        found += [ApprovalToDecide(
            "request", r.id, r.why, r.reason, r.requested_by, r.requested_at,
            _decision_buttons("request", r.id, may_decide=may_decide(config, r, incident, reader, who),
                              requester=r.requested_by == reader))
            for r in requests]
        return sorted(found, key=lambda a: (a.requested_at, a.kind, a.id))


def open_incidents(ctx: Context, reader: str | None = None) -> list[IncidentView]:
    with ctx.store.session() as s:
        rows = s.exec(select(Incident).where(Incident.status != "closed").order_by(Incident.number)).all()
        return [incident_view(s, ctx.config(), r) for r in rows if can_read(ctx, s, r, reader)]


def incidents_for_user(ctx: Context, user: str) -> list[IncidentView]:
    with ctx.store.session() as s:
        held = set(s.exec(select(RoleAssignment.incident_id).where(RoleAssignment.user == user,
                                                                   RoleAssignment.ended_at.is_(None))).all())  # type: ignore[union-attr]
        rows = s.exec(select(Incident).where(Incident.status != "closed").order_by(Incident.number)).all()
        return [incident_view(s, ctx.config(), r) for r in rows
                if (r.id in held or r.reporter == user) and can_read(ctx, s, r, user)]
