"""Public statements: what customers are told about an incident, drafted, signed off and published on the chain.

``/incident statement <status> <text>``; the status is one of Atlassian Statuspage's incident statuses.

* Who drafts: the holder of the playbook's ``communications.external_owner`` role, and whoever
  ``draft_statement`` in ``config/permissions.yaml`` allows.
* Who signs off: with ``communications.approval_needed_from`` empty the statement is published at once;
  otherwise it waits (an :class:`~bot.incidents.tables.ApprovalRequest`, decided with ``/incident approvals``
  like every held change) for a holder of one of those roles on this incident, or someone ``approve_statement``
  allows, and never the drafter (:func:`bot.incidents.approvals.consume`). A rejected statement is never
  published.
* Every step is an event on the incident's chain with the exact text: ``statement.drafted``,
  ``statement.published`` (status, text, drafted by, approved by, when), ``statement.rejected``. The status page
  (:func:`published`, ``bot/web/status_page.py``) reads the ``statement.published`` events, never the
  ``public_statement`` rows, which are a cache of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import append_event, digest_matches, hash_matches
from bot.incidents import messages
from bot.incidents.approvals import HeldAction, NeedsApproval, consume, held_action, record
from bot.incidents.context import Context
from bot.incidents.errors import InvalidRequest, NotFound
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import Subject, authorize
from bot.incidents.records import label, load, playbook_of, require_open, subject
from bot.incidents.tables import ApprovalRequest, Incident, PublicStatement
from bot.incidents.views import Outcome, Post
from bot.subscriptions.fan_out import statement_mails

STATUSES = ("investigating", "identified", "monitoring", "resolved")
MAX_TEXT = 2000
ACTION = "publish_statement"


def _status(status: str) -> str:
    value = (status or "").strip().lower()
    if value not in STATUSES:
        raise InvalidRequest(f"expected a statement status, one of {', '.join(STATUSES)}, got "
                             f"\"{status or ''}\"; e.g. /incident statement investigating We are looking into …")
    return value


def _text(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidRequest("expected the statement's text after its status, got nothing; write what customers "
                             "should read")
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"expected a statement of at most {MAX_TEXT} characters, got {len(value)}; shorten it")
    return value


def _approvers(config: Any, incident: Incident) -> tuple[str, ...]:
    return tuple(playbook_of(config, incident).communications.approval_needed_from)


def _may_sign_off(config: Any, incident: Incident, actor: str, who: Subject) -> None:
    authorize(config, "approve_statement", actor, who, roles=_approvers(config, incident))


def _rejected(session: Session, request: ApprovalRequest, incident: Incident, at: datetime) -> None:
    row = session.get(PublicStatement, request.payload["statement_id"])
    row.state, row.decided_by, row.decided_at = "rejected", request.decided_by, at
    session.add(row)
    append_event(session, incident_id=incident.id, actor=request.decided_by or "system", kind="statement.rejected",
                 at=at, summary=f"rejected the {row.status} statement: {row.text}",
                 data={"statement_id": row.id, "status": row.status, "text": row.text, "drafted_by": row.drafted_by,
                       "rejected_by": request.decided_by, "note": request.decision_note})


held_action(ACTION, HeldAction(authorize=_may_sign_off, rejected=_rejected))


def draft(ctx: Context, number: int, status: str, text: str, *, actor: str, key: str) -> Outcome:
    status, text = _status(status), _text(text)

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        pb = playbook_of(config, incident)
        authorize(config, "draft_statement", actor, subject(session, incident, ctx.members),
                  roles=(pb.communications.external_owner,))
        require_open(incident, "publish statements")
        row = PublicStatement(incident_id=incident.id, status=status, text=text, drafted_by=actor, drafted_at=at)
        session.add(row)
        session.flush()
        append_event(session, incident_id=incident.id, actor=actor, kind="statement.drafted", at=at,
                     summary=f"drafted a {status} statement: {text}",
                     data={"statement_id": row.id, "status": status, "text": text, "drafted_by": actor})
        approvers = _approvers(config, incident)
        if not approvers:
            return _publish(session, ctx, incident, row, approver=None, key=key)
        roles = " or ".join(pb.role(r).title if pb.role(r) else r.replace("_", " ") for r in approvers)
        need = NeedsApproval(ACTION, incident.id, {"statement_id": row.id, "status": status, "text": text},
                             f"publish the {status} statement \"{text}\" (sign-off by the {roles})")
        request, view, post = record(session, ctx, incident, need, actor=actor, key=key, reason="",
                                     deciders=f"the {roles}, or someone approve_statement allows")
        row.approval_id = request.id
        session.add(row)
        outcome = conclude(session, config, incident, at)
        return Outcome(incident=outcome.incident, posts=(post,),
                       message=f"statement drafted; it is published once the {roles} signs it off "
                               f"(request #{request.id}); see /incident approvals. You cannot sign it off yourself")

    return run_once(ctx, key, "draft_statement", Outcome, work)


def publish_approved(ctx: Context, number: int, statement_id: int, *, approval: tuple[int, str], key: str) -> Outcome:
    """The sign-off of a held statement (:meth:`IncidentService.approve_request`): publish it, in one unit of work
    with the approval (which checks the approver: allowed, and not the drafter)."""

    def work(session: Session) -> Outcome:
        incident = load(session, number)
        request = consume(session, ctx, approval, incident, ACTION)
        row = session.get(PublicStatement, statement_id)
        if row is None or row.incident_id != incident.id:
            raise NotFound(f"there is no statement #{statement_id} in {label(number)}")
        return _publish(session, ctx, incident, row, approver=request.decided_by, key=key)

    return run_once(ctx, key, "publish_statement", Outcome, work)


def _publish(session: Session, ctx: Context, incident: Incident, row: PublicStatement, *, approver: str | None,
             key: str) -> Outcome:
    config, at = ctx.config(), ctx.now()
    row.state, row.decided_by, row.decided_at = "published", approver, at
    session.add(row)
    event = append_event(session, incident_id=incident.id, actor=approver or row.drafted_by,
                         kind="statement.published", at=at, summary=f"published the {row.status} statement: {row.text}",
                         data={"statement_id": row.id, "status": row.status, "text": row.text,
                               "drafted_by": row.drafted_by, "approved_by": approver, "published_at": at.isoformat()})
    mails = statement_mails(session, event_id=int(event.id or 0), incident_id=incident.id, at=at)
    outcome = conclude(session, config, incident, at)
    signed = (f"Drafted by {row.drafted_by}, signed off by {approver}." if approver
              else f"Drafted by {row.drafted_by}; the playbook asks for no sign-off.")
    notice = messages.in_channel(outcome.incident, "statement_published",
                                 f"{outcome.incident.label} public statement published ({row.status})", row.text,
                                 signed, _mailed(mails), footer="On the status page and the audit trail as written here.")
    return Outcome(incident=outcome.incident, posts=(Post("incident_channel", "", notice, f"{key}:statement"),),
                   message=f"{row.status} statement published")


def _mailed(count: int) -> str:
    """The publication's line about the status page's email subscribers (nothing when there are none)."""
    if not count:
        return ""
    return (f"Being emailed to {count} confirmed subscriber{'s' if count != 1 else ''} of the status page; this "
            "channel is told how many were sent once they are all out.")


@dataclass(frozen=True)
class PublishedStatement:
    """One ``statement.published`` event as the public may read it: no incident title, people or facts."""

    incident_id: int  # to group by; not shown
    status: str
    text: str
    at: datetime
    hash: str  # the event's hash on the incident's chain
    sealed: bool = True  # the event still matches its own seal (content digest and hash)


def _matches_its_seal(event: TimelineEvent) -> bool:
    """The event's content and fields still give its digest and hash: a text changed in the database after it was
    published (by SQL, outside the bot) does not. Whether the chain around it is whole is ``audit verify``'s."""
    return hash_matches(event) and digest_matches(event)


def published(ctx: Context) -> list[PublishedStatement]:
    """Every published statement, oldest first, from the chain's ``statement.published`` events; one whose event no
    longer matches its seal is marked (the page withholds its text rather than show what someone changed)."""
    with ctx.store.session() as s:
        rows = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "statement.published")
                      .order_by(TimelineEvent.at, TimelineEvent.id)).all()
        return [PublishedStatement(r.incident_id, str((r.data or {}).get("status", "")),
                                   str((r.data or {}).get("text", "")), r.at, r.hash, _matches_its_seal(r))
                for r in rows if r.incident_id is not None]
