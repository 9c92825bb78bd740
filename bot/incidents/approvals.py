"""Segregation of duties: changes one person may not make alone wait for a second person.

Which changes (``config/permissions.yaml``):

* a fact change that turns a legal duty off (an open or assumed duty becomes not applicable), unless the
  actor holds ``remove_legal_duty`` (default: the legal role, admins);
* a notification recorded with a submission time earlier than the moment it is recorded by more than
  ``backdate_tolerance_minutes`` (a time before the legal clock started is refused outright);
* a legal clock set the first time more than ``late_clock_tolerance_minutes`` after the declaration
  (that one goes through the clock-change approvals of :mod:`bot.incidents.triggers`).

Each needs a reason. The operation raises :class:`NeedsApproval` inside its unit of work (so nothing is
applied), the caller records an :class:`~bot.incidents.tables.ApprovalRequest` with an ``approval.requested``
event, and a second person allowed to ``approve_request`` - never the requester - approves it: the original
operation then runs in one unit of work that also marks the request approved (:func:`consume`).

A public statement waiting for sign-off (:mod:`bot.incidents.statements`, action ``publish_statement``) is such a
request too, decided by the same buttons and ``/incident approvals``; who may decide it (the playbook's
``approval_needed_from`` roles, ``approve_statement``) and what its rejection records are registered with
:func:`held_action`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import Subject, authorize
from bot.incidents.records import incident_view, label, load_by_id, subject
from bot.incidents.tables import ApprovalRequest
from bot.incidents import messages
from bot.incidents.views import IncidentView, Outcome, Post
from bot.incidents.decision_buttons import decision_buttons


class NeedsApproval(Exception):
    """Raised inside an operation's unit of work: roll it back and record a request instead."""

    def __init__(self, action: str, incident_id: int, payload: dict[str, Any], why: str) -> None:
        super().__init__(why)
        self.action, self.incident_id, self.payload, self.why = action, incident_id, payload, why


def request(ctx: Context, need: NeedsApproval, *, actor: str, key: str, reason: str) -> Outcome:
    """Record the request (idempotent under ``key``); the change itself is not made."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest(f"{need.why}. That needs a reason and a second person's approval: give the reason "
                             "(e.g. \"submitted by phone, portal receipt arrived later\")")

    def work(session: Session) -> Outcome:
        incident = load_by_id(session, need.incident_id)
        row, view, post = record(session, ctx, incident, need, actor=actor, key=key, reason=reason,
                                 deciders="legal, the DPO or an admin")
        return Outcome(incident=view, posts=(post,),
                       message=f"{need.why}: this needs a second person's approval (request #{row.id}); "
                               "someone allowed to approve, other than you, must approve it")

    return run_once(ctx, f"{key}:approval", "request_approval", Outcome, work)


def record(session: Session, ctx: Context, incident: Any, need: NeedsApproval, *, actor: str, key: str, reason: str,
           deciders: str) -> tuple[ApprovalRequest, IncidentView, Post]:
    """In the caller's unit of work: the request row, its ``approval.requested`` event and its message with the
    Approve / Reject buttons for the incident channel (``deciders``: who may decide, in words)."""
    now = ctx.now()
    row = ApprovalRequest(incident_id=incident.id, action=need.action, payload=need.payload, why=need.why[:2000],
                          reason=reason[:2000], requested_by=actor, requested_at=now)
    session.add(row)
    session.flush()
    append_event(session, incident_id=incident.id, actor=actor, kind="approval.requested", at=now,
                 summary=f"asks for approval: {need.why}",
                 data={"approval_id": row.id, "action": need.action, "payload": need.payload, "why": need.why,
                       "reason": row.reason})
    view = incident_view(session, ctx.config(), incident)
    notice = messages.in_channel(
        view, "approval_request", f"Approval needed: {need.why}",
        f"{actor} asks for it." + (f" Reason: {row.reason}" if row.reason else ""),
        f"Another person allowed to approve ({deciders}) must approve; the requester cannot.",
        buttons=decision_buttons("request", row.id))
    return row, view, Post("incident_channel", "", notice, f"{key}:approval:post")


# Held actions other than the built-in ones name who decides them and what a rejection does (the module that
# defines the action registers it; bot.incidents.statements for ``publish_statement``).
Decider = Callable[[Any, Any, str, Subject], None]  # (config, incident, actor, subject): raise PermissionDenied
Rejected = Callable[[Session, ApprovalRequest, Any, datetime], None]  # (session, request, incident, at)


@dataclass(frozen=True)
class HeldAction:
    authorize: Decider
    rejected: Rejected | None = None


_HELD: dict[str, HeldAction] = {}


def held_action(action: str, held: HeldAction) -> None:
    _HELD[action] = held


def authorize_decision(config: Any, row: ApprovalRequest, incident: Any, actor: str, who: Subject) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may approve or reject ``row`` (not checking the requester)."""
    held = _HELD.get(row.action)
    if held is not None:
        held.authorize(config, incident, actor, who)
    else:
        authorize(config, "approve_request", actor, who)


def may_decide(config: Any, row: ApprovalRequest, incident: Any, actor: str, who: Subject) -> bool:
    try:
        authorize_decision(config, row, incident, actor, who)
    except (PermissionDenied, NotFound):
        return False
    return True


def guarded(ctx: Context, operation: Callable[[], Outcome], *, actor: str, key: str, reason: str) -> Outcome:
    """Run ``operation``; when it needs approval, record the request instead."""
    try:
        return operation()
    except NeedsApproval as need:
        return request(ctx, need, actor=actor, key=key, reason=reason)


def consume(session: Session, ctx: Context, approval: tuple[int, str], incident: Any, action: str) -> ApprovalRequest:
    """Inside the approved operation's unit of work: check the approver and mark the request approved."""
    approval_id, approver = approval
    row = session.exec(select(ApprovalRequest).where(ApprovalRequest.id == approval_id).with_for_update()).first()
    if row is None or row.incident_id != incident.id or row.action != action:
        raise NotFound(f"there is no {action.replace('_', ' ')} request #{approval_id} in {label(incident.number)}")
    _not_the_requester(row, approver)
    authorize_decision(ctx.config(), row, incident, approver, subject(session, incident, ctx.members))
    if row.status != "pending":
        raise Conflict(f"request #{approval_id} was already {row.status} by {row.decided_by}")
    row.status, row.decided_by, row.decided_at = "approved", approver, ctx.now()
    session.add(row)
    append_event(session, incident_id=incident.id, actor=approver, kind="approval.approved", at=ctx.now(),
                 summary=f"approved request #{row.id}: {row.why}",
                 data={"approval_id": row.id, "action": row.action, "requested_by": row.requested_by})
    return row


def pending_row(ctx: Context, approval_id: int, approver: str) -> tuple[ApprovalRequest, int]:
    """The request and its incident's number, once ``approver`` may decide it there (checked again when it is
    applied, :func:`consume`): nothing about the change is said to someone who may not, and someone who may
    not read a private incident is answered as if it did not exist."""
    with ctx.store.session() as s:
        row = s.get(ApprovalRequest, approval_id)
        if row is None:
            raise NotFound(f"there is no approval request #{approval_id}")
        incident = load_by_id(s, row.incident_id, lock=False)
        _not_the_requester(row, approver)
        authorize_decision(ctx.config(), row, incident, approver, subject(s, incident, ctx.members))
        return row, incident.number


def _not_the_requester(row: ApprovalRequest, approver: str) -> None:
    if approver == row.requested_by:
        raise PermissionDenied(f"{approver} asked for request #{row.id} and cannot approve it too (segregation "
                               "of duties); another person allowed to approve must do it", action="approve_request")


def reject(ctx: Context, approval_id: int, *, actor: str, key: str, note: str) -> Outcome:
    def work(session: Session) -> Outcome:
        now = ctx.now()
        row = session.exec(select(ApprovalRequest).where(ApprovalRequest.id == approval_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"there is no approval request #{approval_id}")
        incident = load_by_id(session, row.incident_id)
        authorize_decision(ctx.config(), row, incident, actor, subject(session, incident, ctx.members))
        if row.status != "pending":
            raise Conflict(f"request #{approval_id} was already {row.status} by {row.decided_by}")
        row.status, row.decided_by, row.decided_at = "rejected", actor, now
        row.decision_note = (note or "").strip()[:2000]
        session.add(row)
        append_event(session, incident_id=incident.id, actor=actor, kind="approval.rejected", at=now,
                     summary=f"rejected request #{row.id}: {row.why}",
                     data={"approval_id": row.id, "action": row.action, "note": row.decision_note})
        held = _HELD.get(row.action)
        if held is not None and held.rejected is not None:
            held.rejected(session, row, incident, now)
        return Outcome(incident=incident_view(session, ctx.config(), incident),
                       message=f"request #{row.id} rejected; nothing was changed")

    return run_once(ctx, key, "reject_request", Outcome, work)
