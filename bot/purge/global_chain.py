"""Data minimisation on the global chain: what people typed outside incidents goes after the retention period.

The global chain holds events that belong to no incident: cover and swap
requests (their reasons: "dentist on Tuesday"), test pages, web-view links,
alerts that opened no incident, exercises. Its events older than the cutoff
lose their free text (summary and the free-text keys of their data) and the
cover requests that ended before the cutoff lose their typed reason, the same
way an incident's events do (:func:`bot.purge.redaction.redacted_event`): each
text keeps its salted hash, so the chain still verifies. Kept: who, when,
which kind, which rotation and span, the rules and citations that refused a
cover. A cover that is not over yet keeps its words, however old its proposal.

Not touched here: configuration versions (no personal text, and the evidence of
which rules decided), earlier purges, and exercises, whose findings go by the
exercise's own date (:func:`bot.learning.exercises.redact_expired`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.audit.malformed import malformed_events
from bot.audit.tables import TimelineEvent
from bot.audit.trail import REDACTED, append_event, chain_name
from bot.clock import ensure_utc
from bot.oncall.tables import CoverRequest
from bot.purge.redaction import redacted_data, redacted_event

KEPT_KINDS = frozenset({"config.version", "audit.purged", "exercise.recorded"})


def _still_running(ev: TimelineEvent, cutoff: datetime) -> bool:
    """A cover event whose span ends after the cutoff: the cover's words are still needed."""
    end = (ev.data or {}).get("end") if ev.kind.startswith("oncall.cover_") else None
    return bool(end) and ensure_utc(datetime.fromisoformat(str(end))) >= cutoff


def redact_global(session: Session, *, cutoff: datetime, now: datetime, retention_days: int, actor: str,
                  dry_run: bool = False, skipped: list[str] | None = None) -> list[int]:
    """Redact the free text of global-chain events from before ``cutoff`` (once) and the reasons of covers
    that ended before it; returns the redacted events' sequence numbers.  An event the bot could not have
    written is left as it is and named in ``skipped`` (:func:`bot.audit.malformed.malformed_events`)."""
    cutoff = ensure_utc(cutoff)
    seqs: list[int] = []
    query = (select(TimelineEvent).where(TimelineEvent.chain == chain_name(None), TimelineEvent.at < cutoff,
                                         TimelineEvent.redacted.is_(False),  # type: ignore[attr-defined]
                                         TimelineEvent.kind.not_in(KEPT_KINDS))  # type: ignore[attr-defined]
             .order_by(TimelineEvent.seq))
    for ev in session.exec(query).all():
        if (problem := malformed_events([ev])):
            (skipped if skipped is not None else []).extend(problem)
            continue
        if _still_running(ev, cutoff):
            continue
        if (ev.digest_version or 1) >= 2:
            summary, data, marks = redacted_event(ev)
        else:
            summary, data, marks = (REDACTED if ev.summary else ""), redacted_data(ev.data or {}), None
        if summary == ev.summary and data == (ev.data or {}):
            continue
        seqs.append(ev.seq)
        if not dry_run:
            ev.summary, ev.data, ev.redaction, ev.redacted = summary, data, marks, True
            session.add(ev)
    if dry_run:
        return seqs
    for cover in session.exec(select(CoverRequest).where(CoverRequest.end < cutoff,
                                                         CoverRequest.reason != REDACTED)).all():
        if cover.reason:
            cover.reason = REDACTED
            session.add(cover)
    if seqs:
        session.flush()
        append_event(session, incident_id=None, actor=actor, kind="audit.purged", at=now,
                     summary=f"free text outside incidents redacted {retention_days} days after it was written",
                     data={"redacted_seqs": seqs, "retention_days": retention_days})
    return seqs
