"""Data minimisation: redact free text of incidents closed longer ago than the retention period.

What is redacted: the incident's title, description and summary; hand-over
notes and clock-change reasons; and in the timeline every event's summary and
the free-text values inside its data (titles, reasons, notes, texts).  Stored
results of requests older than the cutoff (kept to answer retries; they
repeat titles and texts) are deleted.
Structured facts needed as evidence stay: who, when, which kind of change,
severities, due and notification times, references.

The hash chain stays verifiable: a redacted event keeps its ``content_digest``
(the hash covers the digest, not the text), and the purge itself is appended
as an ``audit.purged`` event listing the redacted sequence numbers, so
``verify_chain`` knows which events may no longer match their digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.audit.trail import REDACTED, append_event, events
from bot.clock import ensure_utc

FREE_TEXT_KEYS = frozenset({"title", "description", "summary", "reason", "note", "text", "error", "justification",
                            "message", "handover_note"})


@dataclass
class PurgedIncident:
    number: int
    closed_at: datetime
    redacted_seqs: list[int] = field(default_factory=list)


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    incidents: list[PurgedIncident] = field(default_factory=list)
    request_records: int = 0  # stored results of old requests (they contain free text) deleted
    held: list[tuple[int, datetime]] = field(default_factory=list)  # (incident number, kept until): a law keeps it


def _redact_value(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _redact_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, key) for v in value]
    if key in FREE_TEXT_KEYS and isinstance(value, str) and value:
        return REDACTED
    return value


def redacted_data(data: dict[str, Any]) -> dict[str, Any]:
    return _redact_value(data)


def _due(session: Session, cutoff: datetime) -> list[Any]:
    from bot.incidents.tables import Incident

    return list(session.exec(select(Incident).where(Incident.status == "closed", Incident.closed_at < cutoff,
                                                    Incident.purged_at.is_(None))  # type: ignore[union-attr]
                             .order_by(Incident.number)).all())


def _held_until(session: Session, incident_id: int, now: datetime) -> datetime | None:
    """The latest retention end a legal duty sets on the incident's record, if it is still ahead."""
    from bot.deadlines.tables import Obligation

    ends = [ensure_utc(r.retain_until) for r in session.exec(select(Obligation).where(
        Obligation.incident_id == incident_id, Obligation.retain_until.is_not(None))).all()]  # type: ignore[union-attr]
    latest = max(ends, default=None)
    return latest if latest is not None and latest > now else None


def _redact_rows(session: Session, incident: Any) -> None:
    from bot.incidents.tables import RoleAssignment, TriggerApproval

    incident.title, incident.description = REDACTED, REDACTED if incident.description else ""
    incident.summary = REDACTED if incident.summary else incident.summary
    session.add(incident)
    for row in session.exec(select(RoleAssignment).where(RoleAssignment.incident_id == incident.id)).all():
        if row.handover_note:
            row.handover_note = REDACTED
            session.add(row)
    for row in session.exec(select(TriggerApproval).where(TriggerApproval.incident_id == incident.id)).all():
        if row.reason:
            row.reason = REDACTED
            session.add(row)
    from bot.oncall.paging import DECLINED
    from bot.oncall.tables import Page

    for page in session.exec(select(Page).where(Page.incident_id == incident.id)).all():
        # Why the bot chose someone (rule, citation) stays as evidence; what a person typed when declining goes.
        why, sep, _ = page.reason.partition(DECLINED)
        if sep:
            page.reason = f"{why}{DECLINED}{REDACTED}"
            session.add(page)


def purge(session: Session, *, retention_days: int, now: datetime, actor: str = "system",
          dry_run: bool = False) -> PurgeReport:
    """Redact every incident closed before ``now - retention_days`` (once); report what was (or would be) done."""
    now = ensure_utc(now)
    report = PurgeReport(cutoff=now - timedelta(days=retention_days), dry_run=dry_run)
    for incident in _due(session, report.cutoff):
        held = _held_until(session, incident.id, now)
        if held is not None:  # e.g. PIPEDA: the breach record is kept 24 months after the determination
            report.held.append((incident.number, held))
            continue
        item = PurgedIncident(number=incident.number, closed_at=incident.closed_at)
        for ev in events(session, incident.id):
            if ev.redacted:
                continue
            new_data = redacted_data(ev.data or {})
            if ev.summary or new_data != (ev.data or {}):
                item.redacted_seqs.append(ev.seq)
                if not dry_run:
                    ev.summary, ev.data, ev.redacted = (REDACTED if ev.summary else ""), new_data, True
                    session.add(ev)
        report.incidents.append(item)
        if dry_run:
            continue
        _redact_rows(session, incident)
        incident.purged_at = now
        session.flush()
        append_event(session, incident_id=incident.id, actor=actor, kind="audit.purged", at=now,
                     summary=f"free text redacted {retention_days} days after close",
                     data={"redacted_seqs": item.redacted_seqs, "retention_days": retention_days})
    report.request_records = _forget_requests(session, report.cutoff, dry_run=dry_run)
    return report


def _forget_requests(session: Session, cutoff: datetime, *, dry_run: bool) -> int:
    """Stored results of requests older than the cutoff: only needed to answer retries, which come within
    minutes. Every request about an incident closed before the cutoff is older than the cutoff."""
    from sqlalchemy import delete, func

    from bot.incidents.tables import IdempotencyRecord

    old = IdempotencyRecord.created_at < cutoff  # type: ignore[operator]
    count = int(session.exec(select(func.count()).select_from(IdempotencyRecord).where(old)).one())
    if count and not dry_run:
        session.exec(delete(IdempotencyRecord).where(old))  # type: ignore[call-overload]
    return count
