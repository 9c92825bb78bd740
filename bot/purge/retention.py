"""Data minimisation: redact personal text of incidents closed longer ago than the retention period.

What is redacted: in every evidence table the columns people type into
(:data:`bot.audit.evidence.EVIDENCE_TABLES`: title, description, summary,
channel name, hand-over notes, clock-change reasons, decline reasons,
exception justifications, call-out notes, follow-up titles, impact, cost and
decision reasons, the review draft), the incident's reminders (rendered
messages, errors, texts), and in the timeline every event's summary, the
free-text values inside its data and the same columns of the chained evidence
rows. Stored results of requests older than the cutoff (kept to answer
retries; they repeat titles and texts) are deleted. Kept: who, when, which
kind of change, severities, due and notification times, references, the
review draft's SHA-256. An incident whose follow-up actions are still open or
deferred is kept until they are finished: the work it asked for still needs
its words. The findings of tabletop exercises older than the retention period
go too (:func:`bot.learning.exercises.redact_expired`), and so does the free text of other events outside
incidents and the typed text of the evidence rows of no incident (cover reasons, decline words, call-out notes, test
pages, links: :mod:`bot.purge.global_chain`) and the alerts' own words
(triaged receipts, resolved groups: :mod:`bot.purge.alert_intake`). Live calendar links revoked before the
cutoff are deleted (who a link was for; :func:`bot.oncall.calendar_links.forget_revoked`): their issue and
revocation stay on the global chain by id.

The chain and everything kept stay verifiable: a redacted event keeps its
``content_digest`` and, for each text it lost, the salted leaf hash
(:mod:`bot.audit.digest`), so the digest still recomputes; the purge itself is
appended as an ``audit.purged`` event listing the redacted sequence numbers.
``Store.reclaim`` (run by the CLI after a purge) vacuums the freed text away.

An event the bot could not have written (:mod:`bot.audit.malformed`: data written by hand in another shape) is
left as it is and named in the report: its incident is kept whole, a global-chain event is skipped, and the
rest of the purge goes ahead. ``audit verify`` reports the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, select

from bot.audit.digest import redact
from bot.audit.evidence import EVIDENCE_TABLES, table_class
from bot.audit.malformed import malformed_events
from bot.audit.trail import REDACTED, append_event, events
from bot.clock import ensure_utc
from bot.deadlines.tables import Obligation
from bot.incidents.tables import IdempotencyRecord, Incident
from bot.learning.exercises import redact_expired
from bot.learning.followups import ACTIVE
from bot.learning.tables import FollowUp
from bot.oncall.calendar_links import forget_revoked
from bot.purge.alert_intake import redact_groups
from bot.purge.global_chain import redact_global
from bot.purge.redaction import personal_text, redacted_data, redacted_event
from bot.purge.status_subscribers import forget_subscribers
from bot.outbox.tables import Reminder

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
    held_for_followups: list[int] = field(default_factory=list)  # incidents with follow-ups still open or deferred
    exercises: list[int] = field(default_factory=list)  # global-chain events of exercises whose findings went
    global_events: list[int] = field(default_factory=list)  # other global-chain events whose free text went
    alert_receipts: int = 0  # triaged alert receipts received before the cutoff, deleted (after: forget_receipts)
    alert_groups: list[int] = field(default_factory=list)  # alert groups resolved, or last alerted, before the cutoff: words cleared
    calendar_links: int = 0  # live calendar links revoked before the cutoff, deleted (who they were for)
    # Events the bot could not have written (bot.audit.malformed), each "<chain> event #<seq> (<kind>): <what>":
    # left as they are; an incident with one is kept whole (held_malformed), a global-chain event is skipped.
    malformed: list[str] = field(default_factory=list)
    held_malformed: list[int] = field(default_factory=list)
    status_subscribers: int = 0  # unsubscribed before the cutoff, or never confirmed: deleted


def _due(session: Session, cutoff: datetime) -> list[Any]:
    return list(session.exec(select(Incident).where(Incident.status == "closed", Incident.closed_at < cutoff,
                                                    Incident.purged_at.is_(None))  # type: ignore[union-attr]
                             .order_by(Incident.number)).all())


def _held_until(session: Session, incident_id: int, now: datetime) -> datetime | None:
    """The latest retention end a legal duty sets on the incident's record, if it is still ahead."""
    ends = [ensure_utc(r.retain_until) for r in session.exec(select(Obligation).where(
        Obligation.incident_id == incident_id, Obligation.retain_until.is_not(None))).all()]  # type: ignore[union-attr]
    latest = max(ends, default=None)
    return latest if latest is not None and latest > now else None


def _open_followups(session: Session, incident_id: int) -> bool:
    return session.exec(select(FollowUp.id).where(FollowUp.incident_id == incident_id,
                                                  FollowUp.state.in_(ACTIVE))).first() is not None  # type: ignore[attr-defined]


def _redact_rows(session: Session, incident: Any) -> None:
    """Every row holding text people typed about the incident: the evidence tables (by the same rules as their
    copies on the chain, so both still agree) and the reminders (their rendered messages repeat titles)."""
    for table, columns in EVIDENCE_TABLES.items():
        cls = table_class(table)
        if not columns or (table != "incident" and "incident_id" not in cls.__table__.c):
            continue  # nothing typed, or rows of no incident (a cover request): bot.purge.global_chain
        where = cls.id if table == "incident" else cls.incident_id
        for row in session.exec(select(cls).where(where == incident.id)).all():
            for column in columns:
                new = personal_text(table, column, getattr(row, column) or "")
                if new is not None:
                    setattr(row, column, new)
            session.add(row)
    def every_text(_path: str, text: str) -> str | None:
        return REDACTED if text and text != REDACTED else None

    for reminder in session.exec(select(Reminder).where(Reminder.incident_id == incident.id)).all():
        # Outbox rows (posts, reminders) carry the rendered notice: every text in it goes.
        reminder.message = None if reminder.message is None else redact(reminder.message, "", "", 0, every_text, {})
        reminder.last_error = REDACTED if reminder.last_error else reminder.last_error
        reminder.payload = redact(dict(reminder.payload or {}), "", "", 0, every_text, {})
        session.add(reminder)


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
        if _open_followups(session, incident.id):  # the work it asked for is not finished: keep what it says
            report.held_for_followups.append(incident.number)
            continue
        timeline = events(session, incident.id)
        found = malformed_events(timeline)
        if found:  # redacting around a hand-written event would leave its words, and mark the incident purged
            report.held_malformed.append(incident.number)
            report.malformed += found
            continue
        item = PurgedIncident(number=incident.number, closed_at=incident.closed_at)
        for ev in timeline:
            if ev.redacted:
                continue
            if (ev.digest_version or 1) >= 2:
                summary, new_data, marks = redacted_event(ev)
            else:
                summary, new_data, marks = (REDACTED if ev.summary else ""), redacted_data(ev.data or {}), None
            if summary != ev.summary or new_data != (ev.data or {}):
                item.redacted_seqs.append(ev.seq)
                if not dry_run:
                    ev.summary, ev.data, ev.redaction, ev.redacted = summary, new_data, marks, True
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
    report.exercises = redact_expired(session, retention_days=retention_days, now=now, actor=actor, dry_run=dry_run,
                                      skipped=report.malformed)
    report.global_events = redact_global(session, cutoff=report.cutoff, now=now, retention_days=retention_days,
                                         actor=actor, dry_run=dry_run, skipped=report.malformed)
    report.request_records = _forget_requests(session, report.cutoff, dry_run=dry_run)
    report.calendar_links = forget_revoked(session, cutoff=report.cutoff, dry_run=dry_run)
    report.alert_groups = redact_groups(session, cutoff=report.cutoff, now=now, retention_days=retention_days,
                                        actor=actor, dry_run=dry_run)
    report.status_subscribers = forget_subscribers(session, cutoff=report.cutoff, now=now, dry_run=dry_run)
    return report


def _forget_requests(session: Session, cutoff: datetime, *, dry_run: bool) -> int:
    """Stored results of requests older than the cutoff: only needed to answer retries, which come within
    minutes. Every request about an incident closed before the cutoff is older than the cutoff."""
    old = IdempotencyRecord.created_at < cutoff  # type: ignore[operator]
    count = int(session.exec(select(func.count()).select_from(IdempotencyRecord).where(old)).one())
    if count and not dry_run:
        session.exec(delete(IdempotencyRecord).where(old))  # type: ignore[call-overload]
    return count
