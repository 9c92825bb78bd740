"""Loading incident rows for a unit of work and copying them into plain views."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from bot.audit.tables import TimelineEvent
from bot.incidents.errors import Conflict, InvalidRequest, NotFound
from bot.incidents.permissions import Subject, hidden
from bot.incidents.playbook import PlaybookFile, playbook_for, playbooks
from bot.incidents.tables import ChecklistTask, Incident, ObligationSnooze, RoleAssignment, TriggerApproval
from bot.incidents.views import (ApprovalView, EventView, IncidentView, ObligationView, PageView, RoleView,
                                 TaskView)

if TYPE_CHECKING:
    from bot.deadlines.tables import Obligation


def label(number: int) -> str:
    return f"INC-{number}"


def next_number(session: Session) -> int:
    highest = session.exec(select(func.max(Incident.number))).one()
    return int(highest or 0) + 1


def load(session: Session, number: int, *, lock: bool = True) -> Incident:
    query = select(Incident).where(Incident.number == number)
    incident = session.exec(query.with_for_update() if lock else query).first()
    if incident is None:
        raise hidden(label(number))  # the same words a reader gets for a private incident they may not see
    return incident


def load_by_id(session: Session, incident_id: int, *, lock: bool = True) -> Incident:
    query = select(Incident).where(Incident.id == incident_id)
    incident = session.exec(query.with_for_update() if lock else query).first()
    if incident is None:
        raise NotFound(f"there is no incident with id {incident_id}")
    return incident


def require_active(incident: Incident, doing: str) -> None:
    if incident.status != "active":
        raise Conflict(f"{label(incident.number)} is {incident.status}; you can only {doing} while it is active")


def require_open(incident: Incident, doing: str) -> None:
    if incident.status == "closed":
        raise Conflict(f"{label(incident.number)} is closed; you can't {doing} any more")


def playbook_of(config: Any, incident: Incident) -> PlaybookFile:
    pb = playbook_for(config, incident.playbook)
    if pb is None:
        raise InvalidRequest(f'the playbook "{incident.playbook}" of {label(incident.number)} is no longer configured; '
                             f"configured: {', '.join(sorted(playbooks(config))) or 'none'}")
    return pb


def current_roles(session: Session, incident_id: int) -> dict[str, RoleAssignment]:
    rows = session.exec(select(RoleAssignment).where(RoleAssignment.incident_id == incident_id,
                                                     RoleAssignment.ended_at.is_(None))).all()  # type: ignore[union-attr]
    return {r.role: r for r in rows}


def response_team(session: Session, incident: Incident) -> frozenset[str]:
    """The reporter, everyone who holds or held a role, everyone the bot chose to page for it."""
    from bot.oncall.tables import Page

    held = session.exec(select(RoleAssignment.user).where(RoleAssignment.incident_id == incident.id)).all()
    paged = session.exec(select(Page.slack_user).where(Page.incident_id == incident.id)).all()
    return frozenset({incident.reporter, *held, *paged})


def subject(session: Session, incident: Incident, members: Callable[[str, str], bool] | None = None,
            **extra: Any) -> Subject:
    """Who stands where in ``incident``; ``members(channel, user)`` asks the chat whether a user is in a channel."""
    holders = {role: row.user for role, row in current_roles(session, incident.id).items()}
    channel = incident.channel_id
    in_channel = (lambda user: members(channel, user)) if members is not None and channel else None
    # The owner of the review or follow-up acted on works on the incident: they are on its response team.
    owners = {extra.get("review_owner"), extra.get("followup_owner")} - {None}
    return Subject(label=label(incident.number), roles=holders, reporter=incident.reporter, private=incident.private,
                   team=response_team(session, incident) | owners if incident.private else frozenset(),
                   in_channel=in_channel, **extra)


def incident_view(session: Session, config: Any, incident: Incident) -> IncidentView:
    pb = playbook_for(config, incident.playbook)
    held = current_roles(session, incident.id)
    specs = list(pb.roles) if pb else []
    roles = [RoleView(role=s.id, title=s.title, user=held[s.id].user if s.id in held else None,
                      assigned_at=held[s.id].assigned_at if s.id in held else None,
                      assigned_by=held[s.id].assigned_by if s.id in held else None) for s in specs]
    for role, row in sorted(held.items()):  # roles from an earlier playbook stay visible
        if not any(r.role == role for r in roles):
            roles.append(RoleView(role=role, title=role.replace("_", " "), user=row.user,
                                  assigned_at=row.assigned_at, assigned_by=row.assigned_by))
    return IncidentView(
        id=incident.id, number=incident.number, label=label(incident.number), title=incident.title,
        description=incident.description, severity=incident.severity, severity_name=pb.name if pb else incident.severity,
        status=incident.status, private=incident.private, reporter=incident.reporter, channel_id=incident.channel_id,
        channel_name=incident.channel_name, declared_at=incident.declared_at, resolved_at=incident.resolved_at,
        closed_at=incident.closed_at, facts=dict(incident.facts or {}), triggers=dict(incident.triggers or {}),
        roles=tuple(roles), regimes=tuple(incident.regimes or ()), summary=incident.summary,
        systems=tuple(incident.systems or ()), derived_facts=dict(incident.derived_facts or {}))


def task_view(row: ChecklistTask) -> TaskView:
    return TaskView(id=row.id, incident_id=row.incident_id, task=row.task, title=row.title, owner_role=row.owner_role,
                    phase=row.phase, done=row.done_at is not None, done_by=row.done_by, done_at=row.done_at)


_TASKS = select(ChecklistTask).where(ChecklistTask.incident_id == bindparam("incident")).order_by(ChecklistTask.id)


def tasks_of(session: Session, incident_id: int) -> list[ChecklistTask]:
    return list(session.exec(_TASKS, params={"incident": incident_id}).all())


def page_view(row: Any) -> PageView:
    return PageView(id=row.id, incident_id=row.incident_id, target=row.target,
                    level=row.level, person_id=row.person_id, slack_user=row.slack_user, status=row.status,
                    urgency=row.urgency, page_at=row.page_at, acked_at=row.acked_at, reason=row.reason)


def _snoozes(session: Session, obligation_ids: list[int]) -> dict[int, datetime]:
    """The latest snooze end of each obligation row that has one, in one query."""
    if not obligation_ids:
        return {}
    wanted = ObligationSnooze.obligation_id.in_(obligation_ids)  # type: ignore[attr-defined]
    rows = session.exec(select(ObligationSnooze).where(wanted).order_by(ObligationSnooze.id)).all()
    return {r.obligation_id: r.until for r in rows}  # later rows win


def obligation_views(session: Session, rows: Iterable[Obligation]) -> tuple[ObligationView, ...]:
    rows = list(rows)
    snoozed = _snoozes(session, [row.id for row in rows])
    return tuple(ObligationView(
        id=row.id, incident_id=row.incident_id, obligation=row.obligation_id, regime=row.regime,
        recipient=row.recipient, stage=row.stage, status=row.status, due_at=row.due_at, estimated=row.estimated,
        citation=row.citation or "", notified_at=row.notified_at, reference=row.reference,
        evidence_url=row.evidence_url, not_required_reason=row.not_required_reason,
        snoozed_until=snoozed.get(row.id)) for row in rows)


def obligation_view(session: Session, row: Obligation) -> ObligationView:
    return obligation_views(session, [row])[0]


def approval_view(row: TriggerApproval) -> ApprovalView:
    return ApprovalView(id=row.id, incident_id=row.incident_id, trigger=row.trigger, current=row.current,
                        proposed=row.proposed, reason=row.reason, requested_by=row.requested_by,
                        requested_at=row.requested_at, status=row.status, decided_by=row.decided_by,
                        decided_at=row.decided_at)


def event_view(row: TimelineEvent) -> EventView:
    return EventView(seq=row.seq, at=row.at, actor=row.actor, kind=row.kind, summary=row.summary,
                     data=dict(row.data or {}), hash=row.hash, redacted=row.redacted)
