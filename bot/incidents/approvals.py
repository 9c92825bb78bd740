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
"""

from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import incident_view, label, load_by_id, subject
from bot.incidents.tables import ApprovalRequest
from bot.incidents import messages
from bot.incidents.views import Outcome, Post
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
        now = ctx.now()
        incident = load_by_id(session, need.incident_id)
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
            view, "approval_request", f"Approval needed: {need.why}", f"{actor} asks for it. Reason: {row.reason}",
            "Another person allowed to approve (legal, the DPO or an admin) must approve; the requester cannot.",
            buttons=decision_buttons("request", row.id))
        return Outcome(incident=view, posts=(Post("incident_channel", "", notice, f"{key}:approval:post"),),
                       message=f"{need.why}: this needs a second person's approval (request #{row.id}); "
                               "someone allowed to approve, other than you, must approve it")

    return run_once(ctx, f"{key}:approval", "request_approval", Outcome, work)


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
    authorize(ctx.config(), "approve_request", approver, subject(session, incident, ctx.members))
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
        authorize(ctx.config(), "approve_request", approver, subject(s, incident, ctx.members))
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
        authorize(ctx.config(), "approve_request", actor, subject(session, incident, ctx.members))
        if row.status != "pending":
            raise Conflict(f"request #{approval_id} was already {row.status} by {row.decided_by}")
        row.status, row.decided_by, row.decided_at = "rejected", actor, now
        row.decision_note = (note or "").strip()[:2000]
        session.add(row)
        append_event(session, incident_id=incident.id, actor=actor, kind="approval.rejected", at=now,
                     summary=f"rejected request #{row.id}: {row.why}",
                     data={"approval_id": row.id, "action": row.action, "note": row.decision_note})
        return Outcome(incident=incident_view(session, ctx.config(), incident),
                       message=f"request #{row.id} rejected; nothing was changed")

    return run_once(ctx, key, "reject_request", Outcome, work)
