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

The evidence rows of no incident on the chain (an alert group's pages, call-outs,
exceptions used, cover requests) lose the same typed text as an incident's
(:func:`bot.purge.redaction.personal_text`), and so do their rows in the tables
where the chain now holds the redacted text, so tables and chain still agree.

Not touched here: configuration versions (no personal text, and the evidence of
which rules decided), earlier purges, and exercises, whose findings go by the
exercise's own date (:func:`bot.learning.exercises.redact_expired`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.audit.evidence import EVIDENCE_TABLES, chained_rows, table_class
from bot.audit.malformed import malformed_events
from bot.audit.tables import TimelineEvent
from bot.audit.trail import DECLINED, REDACTED, append_event, chain_name, events
from bot.clock import ensure_utc
from bot.oncall.tables import CoverRequest
from bot.purge.redaction import personal_text, redacted_data, redacted_event

KEPT_KINDS = frozenset({"config.version", "audit.purged", "exercise.recorded"})


def _still_running(ev: TimelineEvent, cutoff: datetime) -> bool:
    """A cover event whose span ends after the cutoff: the cover's words are still needed."""
    end = (ev.data or {}).get("end") if ev.kind.startswith("oncall.cover_") else None
    return bool(end) and ensure_utc(datetime.fromisoformat(str(end))) >= cutoff


def _cover_running(entry: dict, cutoff: datetime) -> bool:
    """A chained cover request whose span ends after the cutoff: it keeps its reason."""
    end = (entry.get("row") or {}).get("end") if entry.get("table") == "cover_request" else None
    return isinstance(end, str) and ensure_utc(datetime.fromisoformat(end)) >= cutoff


def _evidence_only(ev: TimelineEvent, data: dict, marks: dict[str, str]) -> tuple[str, dict, dict[str, str]]:
    """The event as it was but for its redacted evidence rows (a cover event still running, which holds the rows of
    other covers its unit of work changed)."""
    kept = dict(ev.data or {})
    if "evidence" in data:
        kept["evidence"] = data["evidence"]
    before = ev.redaction or {}
    return ev.summary, kept, {p: h for p, h in marks.items() if p.startswith("/data/evidence/") or p in before}


def _redacted_text(text: object) -> bool:
    return isinstance(text, str) and (text == REDACTED or text.endswith(DECLINED + REDACTED))


def _tables_like_the_chain(session: Session) -> None:
    """Each row of no incident whose typed text the global chain now holds redacted gets the same text in its table:
    the purge redacted the chain's copy, so the row must follow (and its new state is chained at commit)."""
    for (table, row_id), row in chained_rows(ev.data for ev in events(session, None)).items():
        columns = [c for c in EVIDENCE_TABLES.get(table, ()) if row is not None and _redacted_text(row.get(c))]
        obj = session.get(table_class(table), row_id) if columns else None
        if obj is None or getattr(obj, "incident_id", None) is not None:
            continue
        for column in columns:
            current = getattr(obj, column) or ""
            if current != row[column] and personal_text(table, column, current) == row[column]:
                setattr(obj, column, row[column])
                session.add(obj)


def redact_global(session: Session, *, cutoff: datetime, now: datetime, retention_days: int, actor: str,
                  dry_run: bool = False, skipped: list[str] | None = None) -> list[int]:
    """Redact the free text of global-chain events from before ``cutoff`` (once) and the reasons of covers
    that ended before it (in their rows and their chained copies); returns the redacted events' sequence numbers.
    An event the bot could not have written is left as it is and named in ``skipped``
    (:func:`bot.audit.malformed.malformed_events`)."""
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
        running = _still_running(ev, cutoff)
        if (ev.digest_version or 1) >= 2:
            summary, data, marks = redacted_event(ev, keep_row=lambda entry: _cover_running(entry, cutoff))
            if running:  # its words stay; only the chained rows of covers already over lose theirs
                summary, data, marks = _evidence_only(ev, data, marks)
        elif running:
            continue
        else:
            summary, data, marks = (REDACTED if ev.summary else ""), redacted_data(ev.data or {}), None
        if summary == ev.summary and data == (ev.data or {}):
            continue
        seqs.append(ev.seq)
        if not dry_run:  # a cover event still running stays unmarked: a later purge redacts the rest of it
            ev.summary, ev.data, ev.redaction, ev.redacted = summary, data, marks, not running
            session.add(ev)
    if dry_run:
        return seqs
    for cover in session.exec(select(CoverRequest).where(CoverRequest.end < cutoff,
                                                         CoverRequest.reason != REDACTED)).all():
        if cover.reason:
            cover.reason = REDACTED
            session.add(cover)
    _tables_like_the_chain(session)
    if seqs:
        session.flush()
        append_event(session, incident_id=None, actor=actor, kind="audit.purged", at=now,
                     summary=f"free text outside incidents redacted {retention_days} days after it was written",
                     data={"redacted_seqs": seqs, "retention_days": retention_days})
    return seqs
