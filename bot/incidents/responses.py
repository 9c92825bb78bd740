"""Answers to what the bot sent: page acknowledgements and declines, notifications made or not required."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.incidents import addressing, collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.approvals import NeedsApproval, consume
from bot.incidents.permissions import authorize, permissions
from bot.incidents.records import incident_view, label, obligation_view, page_view, require_open, subject
from bot.incidents.tables import ObligationSnooze
from bot.incidents.views import Outcome, Post

UNRESOLVED = ("open", "qualitative")  # a decision is still owed
PAGE_STATES = {"acked": "acknowledged", "declined": "declined", "cancelled": "cancelled", "escalated": "escalated"}
SAME_SNOOZE = timedelta(minutes=1)  # times are shown to the minute: ends closer than this are the same snooze


def acknowledge_page(ctx: Context, page_id: int, *, actor: str, key: str,
                     incident_number: int | None = None) -> Outcome:
    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        page, incident = addressing.page(session, page_id, incident_number, sees)
        authorize(config, "acknowledge_page", actor,
                  subject(session, incident, ctx.members, page_recipient=page.slack_user))
        require_open(incident, "acknowledge pages")
        if page.status in ("acked", "declined", "cancelled"):
            raise Conflict(f"page #{page_id} is already {PAGE_STATES.get(page.status, page.status)}")
        row = collaborators.acknowledge(session, page_id, by=actor, at=at)
        outcome = conclude(session, config, incident, at)
        text = f"{collaborators.person_name(config, page.person_id)} acknowledged the page for {label(incident.number)}"
        return Outcome(incident=outcome.incident, pages=(page_view(row),), invite=(page.slack_user,), message=text,
                       posts=(Post("incident_channel", "", messages.in_channel(outcome.incident, "page_ack", text),
                                   f"{key}:post:0"),))

    return run_once(ctx, key, "acknowledge_page", Outcome, work)


def decline_page(ctx: Context, page_id: int, reason: str, *, actor: str, key: str,
                 incident_number: int | None = None) -> Outcome:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("expected a reason for not taking the page (e.g. \"driving, 30 min away\"), got nothing")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        page, incident = addressing.page(session, page_id, incident_number, sees)
        authorize(config, "decline_page", actor,
                  subject(session, incident, ctx.members, page_recipient=page.slack_user))
        require_open(incident, "decline pages")
        if page.status in ("acked", "declined", "cancelled"):
            raise Conflict(f"page #{page_id} is already {PAGE_STATES.get(page.status, page.status)}")
        rows = collaborators.decline(session, config, page_id, by=actor, at=at, reason=reason)
        outcome = conclude(session, config, incident, at)
        nxt = rows[1:]
        text = f"{collaborators.person_name(config, page.person_id)} can't take the page: {reason}" + (
            f"; paging {', '.join(collaborators.person_name(config, r.person_id) for r in nxt)} next" if nxt else "")
        return Outcome(incident=outcome.incident, pages=tuple(page_view(r) for r in rows), message=text,
                       posts=(Post("incident_channel", "", messages.in_channel(outcome.incident, "page_decline", text),
                                   f"{key}:post:0"),))

    return run_once(ctx, key, "decline_page", Outcome, work)


def _require_open_obligation(row, what: str) -> None:
    if row.status not in UNRESOLVED:
        raise Conflict(f"{row.obligation_id} is {row.status.replace('_', ' ')}; you can only {what} an open obligation")


def mark_notified(ctx: Context, obligation_id: int, *, actor: str, key: str, reference: str, submitted_at: datetime,
                  evidence_url: str, incident_number: int | None = None, reason: str = "",
                  approval: tuple[int, str] | None = None) -> Outcome:
    """``approval``: (request id, approver) when a second person approved a backdated submission time."""
    reference, evidence_url = (reference or "").strip(), (evidence_url or "").strip()
    if not reference:
        raise InvalidRequest("expected the submission reference (case number, e-mail subject, portal receipt), got nothing")
    if evidence_url and not re.fullmatch(r"https?://\S+", evidence_url):
        raise InvalidRequest(f'expected an evidence link like "https://drive.example.org/...", got "{evidence_url}"')

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        row, incident = addressing.obligation(session, obligation_id, incident_number, sees)
        authorize(config, "mark_notified", actor, subject(session, incident, ctx.members))
        _require_open_obligation(row, "mark notified")
        try:
            submitted = ensure_utc(submitted_at)
        except ValueError:
            raise InvalidRequest("expected the submission time with a UTC offset") from None
        if submitted > at + timedelta(minutes=5):
            raise InvalidRequest(f"expected a submission time that has passed, got {submitted.isoformat()}")
        if row.window_start is not None and submitted < ensure_utc(row.window_start):
            raise InvalidRequest(f"{submitted.isoformat()} is before the legal clock of {row.obligation_id} started "
                                 f"({ensure_utc(row.window_start).isoformat()}); a notification cannot precede it")
        tolerance = timedelta(minutes=permissions(config).backdate_tolerance_minutes)
        approved = consume(session, ctx, approval, incident, "mark_notified") if approval else None
        if approved is None and submitted < at - tolerance:
            raise NeedsApproval("mark_notified", incident.id, {"obligation_id": obligation_id, "reference": reference,
                                                               "submitted_at": submitted.isoformat(),
                                                               "evidence_url": evidence_url},
                                f"{row.obligation_id} submitted at {submitted.isoformat()} but recorded only at "
                                f"{at.isoformat()}, more than {int(tolerance.total_seconds() // 60)} minutes later")
        first = collaborators.must_go_first(session, row)
        updated = collaborators.mark_notified(session, incident, obligation_id, by=actor, submitted_at=submitted,
                                              reference=reference, evidence_url=evidence_url, at=at)
        if approved is not None:
            append_event(session, incident_id=incident.id, actor=actor, kind="obligation.backdated", at=at,
                         summary=f"{row.obligation_id}: submission time {submitted.isoformat()} recorded at "
                                 f"{at.isoformat()}, approved by {approved.decided_by}",
                         data={"obligation": row.obligation_id, "submitted_at": submitted.isoformat(),
                               "recorded_at": at.isoformat(), "reason": approved.reason,
                               "approved_by": approved.decided_by, "approval_id": approved.id})
        outcome = conclude(session, config, incident, at)
        text = f"{row.obligation_id}: {row.recipient} notified at {submitted.isoformat()} (reference {reference})"
        if first:
            text += (". Warning: the law requires " + ", ".join(f"{r.obligation_id} ({r.recipient})" for r in first)
                     + " before this notice, and it is still open: send it now and record it")
        return Outcome(incident=outcome.incident, obligations=(obligation_view(session, updated),), message=text,
                       posts=(Post("incident_channel", "", messages.in_channel(outcome.incident, "obligation_notified", text),
                                   f"{key}:post:0"),))

    return run_once(ctx, key, "mark_notified", Outcome, work)


def mark_not_required(ctx: Context, obligation_id: int, reason: str, *, actor: str, key: str,
                      incident_number: int | None = None) -> Outcome:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("expected the reason the notification is not required (it is kept as documentation), "
                             "got nothing")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        row, incident = addressing.obligation(session, obligation_id, incident_number, sees)
        authorize(config, "mark_not_required", actor, subject(session, incident, ctx.members))
        _require_open_obligation(row, "mark not required")
        updated = collaborators.mark_not_required(session, obligation_id, by=actor, reason=reason, at=at)
        outcome = conclude(session, config, incident, at)
        text = f"{row.obligation_id}: not required - {reason}"
        return Outcome(incident=outcome.incident, obligations=(obligation_view(session, updated),), message=text,
                       posts=(Post("incident_channel", "", messages.in_channel(outcome.incident, "obligation_not_required",
                                                                               text), f"{key}:post:0"),))

    return run_once(ctx, key, "mark_not_required", Outcome, work)


def snooze_obligation(ctx: Context, obligation_id: int, until: datetime, *, actor: str, key: str,
                      incident_number: int | None = None) -> Outcome:
    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        row, incident = addressing.obligation(session, obligation_id, incident_number, sees)
        authorize(config, "snooze_obligation", actor, subject(session, incident, ctx.members))
        require_open(incident, "snooze reminders")
        _require_open_obligation(row, "snooze")
        try:
            wanted = ensure_utc(until)
        except ValueError:
            raise InvalidRequest("expected the snooze end with a UTC offset") from None
        if wanted <= at:
            raise InvalidRequest(f"expected a snooze end in the future, got {wanted.isoformat()}")
        capped = row.due_at is not None and wanted > row.due_at
        if capped:  # never silenced past the deadline: the snooze ends at the deadline
            if row.due_at <= at:
                raise InvalidRequest(f"{row.obligation_id} is already past its deadline {row.due_at.isoformat()}; "
                                     "overdue reminders cannot be snoozed")
            wanted = row.due_at
        current = obligation_view(session, row).snoozed_until
        if current is not None and current > at and abs(current - wanted) < SAME_SNOOZE:
            # A second press moments after the first (a double click): the snooze running now already
            # ends then.  Say so instead of recording a second, identical snooze.
            return Outcome(incident=incident_view(session, config, incident),
                           obligations=(obligation_view(session, row),),
                           message=f"reminders for {row.obligation_id} are already snoozed until {current.isoformat()}")
        session.add(ObligationSnooze(incident_id=incident.id, obligation_id=row.id, until=wanted, by=actor, at=at))
        append_event(session, incident_id=incident.id, actor=actor, kind="obligation.snoozed", at=at,
                     summary=f"{row.obligation_id} reminders snoozed until {wanted.isoformat()}",
                     data={"obligation_row": row.id, "obligation": row.obligation_id, "before": None,
                           "after": wanted.isoformat(), "requested": ensure_utc(until).isoformat()})
        session.flush()
        outcome = conclude(session, config, incident, at)
        return Outcome(incident=outcome.incident, obligations=(obligation_view(session, row),),
                       message=f"reminders for {row.obligation_id} snoozed until {wanted.isoformat()}"
                               + (" (its deadline: a snooze never goes past it)" if capped else ""))

    return run_once(ctx, key, "snooze_obligation", Outcome, work)
