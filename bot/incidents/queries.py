"""Read-only lookups for the Slack adapter, the CLI and the drill."""

from __future__ import annotations

from sqlmodel import select

from bot.audit.trail import events
from bot.incidents import collaborators
from bot.incidents.context import Context
from bot.incidents.playbook import playbooks
from bot.incidents.records import (approval_view, event_view, incident_view, load, obligation_views, page_view,
                                   task_view, tasks_of)
from bot.incidents.tables import Incident, RoleAssignment, TriggerApproval
from bot.incidents.views import (ApprovalView, EventView, IncidentView, ObligationView, PageView, SeverityOption,
                                 TaskView)


def severities(ctx: Context) -> list[SeverityOption]:
    books = sorted(playbooks(ctx.config()).values(), key=lambda p: (p.rank, p.id))
    return [SeverityOption(id=p.id, name=p.name, rank=p.rank, criteria=tuple(p.criteria), private=p.channel.private,
                           facts=tuple(p.regulations.ask_facts)) for p in books]


def get(ctx: Context, number: int) -> IncidentView:
    with ctx.store.session() as s:
        return incident_view(s, ctx.config(), load(s, number, lock=False))


def incident_by_channel(ctx: Context, channel_id: str) -> IncidentView | None:
    with ctx.store.session() as s:
        row = s.exec(select(Incident).where(Incident.channel_id == channel_id)).first()
        return incident_view(s, ctx.config(), row) if row else None


def timeline(ctx: Context, number: int) -> list[EventView]:
    with ctx.store.session() as s:
        return [event_view(e) for e in events(s, load(s, number, lock=False).id)]


def obligations(ctx: Context, number: int) -> list[ObligationView]:
    with ctx.store.session() as s:
        incident = load(s, number, lock=False)
        return list(obligation_views(s, collaborators.obligations_of(s, incident.id)))


def open_obligations(ctx: Context, number: int) -> list[ObligationView]:
    return [o for o in obligations(ctx, number) if o.status in ("open", "qualitative")]


def tasks(ctx: Context, number: int) -> list[TaskView]:
    with ctx.store.session() as s:
        return [task_view(t) for t in tasks_of(s, load(s, number, lock=False).id)]


def pages(ctx: Context, number: int) -> list[PageView]:
    with ctx.store.session() as s:
        return [page_view(p) for p in collaborators.pages_of(s, load(s, number, lock=False).id)]


def pending_approvals(ctx: Context, number: int) -> list[ApprovalView]:
    with ctx.store.session() as s:
        incident = load(s, number, lock=False)
        rows = s.exec(select(TriggerApproval).where(TriggerApproval.incident_id == incident.id,
                                                    TriggerApproval.status == "pending").order_by(TriggerApproval.id)).all()
        return [approval_view(r) for r in rows]


def open_incidents(ctx: Context) -> list[IncidentView]:
    with ctx.store.session() as s:
        rows = s.exec(select(Incident).where(Incident.status != "closed").order_by(Incident.number)).all()
        return [incident_view(s, ctx.config(), r) for r in rows]


def incidents_for_user(ctx: Context, user: str) -> list[IncidentView]:
    with ctx.store.session() as s:
        held = set(s.exec(select(RoleAssignment.incident_id).where(RoleAssignment.user == user,
                                                                   RoleAssignment.ended_at.is_(None))).all())  # type: ignore[union-attr]
        rows = s.exec(select(Incident).where(Incident.status != "closed").order_by(Incident.number)).all()
        return [incident_view(s, ctx.config(), r) for r in rows if r.id in held or r.reporter == user]
