"""Alert intake after the retention period: the alerts' own words go, what triage decided stays.

An alert's summary, labels and link may name people (an on-call engineer in a label, a customer in a
summary). The global chain's disposition events lose their free text with the rest of the global chain
(:mod:`bot.purge.global_chain`); the same words are kept in two more places, cleared here:

* the receipts (each request's parsed alerts, kept for triage): those received before the cutoff whose
  triage is finished are deleted (:meth:`bot.alerts.receipts.Receipts.forget_triaged`; on SQLite in the
  inbox file of their own);
* the alert groups resolved before the cutoff, and those never resolved whose last alert came before it (a
  source that never sends ``resolved``), lose their summary (``[redacted]``), labels and link.

Kept: each group's source, key, route, counts, times, who resolved it, and its incident (a group left open
stays open: a new alert of its key is still grouped into it).  Each step is an ``audit.purged`` event on the
global chain (which groups, how many receipts).

Receipts that triage has not finished are kept, however old: an accepted alert is never lost, and deleting
one before triage decided about it would lose it without a trace.  The purge counts them, says so (its
output, and the same ``audit.purged`` event), and ``incident-bot check`` reports a receipt waiting longer
than a few minutes as a stuck triage; once triaged, the next purge deletes it.  A receipt that triage set
aside (:mod:`bot.alerts.set_aside`: its triage failed again and again) is kept too, and ``check`` reports it,
until a person deals with it (:mod:`bot.alerts.set_aside_review`): put back, it is deleted once triaged;
dismissed, it is deleted like a triaged one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.alerts.receipts import Receipts, Waiting
from bot.alerts.tables import AlertGroup
from bot.audit.tables import TimelineEvent
from bot.audit.trail import REDACTED, append_event, chain_name


JOURNAL_KEY = "purge_journal"  # in a receipts' event written from the inbox's journal: which record it is


def forget_receipts(store: Any, *, cutoff: datetime, now: datetime, retention_days: int, actor: str = "system",
                    dry_run: bool = False, kept: Waiting | None = None) -> int:
    """Delete the triaged receipts received before ``cutoff`` and record that on the global chain with how many
    older ones were kept because triage has not finished them (``kept``: :func:`waiting_receipts`, when the
    caller has read it already); returns how many were deleted.  Run after the purge's own transaction
    (``incident-bot purge`` does it), not inside it: on SQLite, opening the inbox file the first time may move
    receipts out of the main file, which needs the main file's write lock.  A purge run again finds only the
    newer ones.

    No deletion goes unrecorded, whatever stops the process.  PostgreSQL: the receipts are in the main database,
    and their deletion and its event are one transaction.  SQLite: the receipts are in the inbox file, so the
    event is first written to the inbox's journal in the deletion's own transaction, then appended to the chain
    and removed from the journal (:func:`record_journaled`); a purge that stopped in between leaves it in the
    journal, and the next purge appends it first (once: the event names its journal record)."""
    receipts = Receipts.of_engine(store.engine)
    if dry_run:
        return receipts.forget_triaged(cutoff, dry_run=True)
    record_journaled(store, now=now)  # what an earlier purge deleted but did not get to record
    if kept is None:
        kept = receipts.waiting_before(cutoff)  # deleting triaged receipts does not change which are waiting
    token = uuid.uuid4().hex

    def record(count: int) -> dict[str, Any] | None:
        return _record(count, kept, cutoff=cutoff, retention_days=retention_days, actor=actor, at=now, token=token)

    if receipts.own_file:
        count = receipts.forget_triaged(cutoff, journal=record)
        record_journaled(store, now=now, current=token)
        return count
    with store.session() as s:
        count = receipts.forget_triaged(cutoff, session=s)
        entry = record(count)
        if entry is not None:
            append_event(s, incident_id=None, actor=actor, kind="audit.purged", at=now, summary=entry["summary"],
                         data=entry["data"])
    return count


def _record(count: int, kept: Waiting, *, cutoff: datetime, retention_days: int, actor: str, at: datetime,
            token: str) -> dict[str, Any] | None:
    """The receipts' ``audit.purged`` event as the journal keeps it (None when nothing was deleted or kept)."""
    if not (count or kept.count):
        return None
    summary = f"{count} triaged alert receipt(s) received before {cutoff.isoformat()} deleted {retention_days} " \
              "days on"
    data: dict[str, Any] = {"alert_receipts": count, "received_before": cutoff.isoformat(),
                            "retention_days": retention_days}
    if kept.count:
        summary += f"; {kept.count} not triaged yet kept (the oldest received {kept.oldest.isoformat()}): " \
                   "an alert is never deleted before triage decided about it"
        data |= {"waiting_alert_receipts_kept": kept.count, "oldest_waiting": kept.oldest.isoformat()}
    return {"token": token, "actor": actor, "at": at.isoformat(), "summary": summary, "data": data}


def record_journaled(store: Any, *, now: datetime, current: str | None = None) -> int:
    """SQLite: append to the global chain each receipts' deletion the inbox's journal holds, unless an event
    naming its record is there already (a purge that stopped after appending it), then remove it from the journal;
    returns how many events were appended.  A record other than ``current`` (this purge's) was left by a purge
    that stopped before recording its deletion: its event says so and when the receipts were deleted."""
    receipts = Receipts.of_engine(store.engine)
    appended = 0
    for entry_id, entry in receipts.purge_journal():
        with store.session() as s:  # SQLite: its first statement takes the write lock, so two purges take turns
            found = s.exec(select(TimelineEvent.id).where(
                TimelineEvent.chain == chain_name(None), TimelineEvent.kind == "audit.purged",
                TimelineEvent.data[JOURNAL_KEY].as_string() == entry["token"])).first()  # type: ignore[index]
            if found is None:
                summary, data = entry["summary"], {**entry["data"], JOURNAL_KEY: entry["token"]}
                if entry["token"] != current:
                    summary += f" (at {entry['at']}, by a purge that stopped before it recorded this)"
                    data["deleted_at"] = entry["at"]
                append_event(s, incident_id=None, actor=entry["actor"], kind="audit.purged", at=now, summary=summary,
                             data=data)
                appended += 1
        receipts.forget_journal_entry(entry_id)
    return appended


def waiting_receipts(store: Any, *, cutoff: datetime) -> Waiting:
    """The receipts received before ``cutoff`` that triage has not finished (the purge keeps them)."""
    return Receipts.of_engine(store.engine).waiting_before(cutoff)


def redact_groups(session: Session, *, cutoff: datetime, now: datetime, retention_days: int, actor: str,
                  dry_run: bool) -> list[int]:
    """Clear the words of the alert groups resolved before ``cutoff``, and of those never resolved whose last
    alert came before it, and record which on the global chain (one event each), in the purge's unit of work;
    returns the ids of the groups changed."""
    resolved = _with_words(session, AlertGroup.resolved_at < cutoff)  # type: ignore[operator]
    never_resolved = AlertGroup.resolved_at.is_(None)  # type: ignore[union-attr]
    stale = _with_words(session, never_resolved & (AlertGroup.last_at < cutoff))  # type: ignore[operator]
    ids = sorted(g.id for g in resolved + stale if g.id is not None)
    if dry_run:
        return ids
    for changed, kind, data_key, time_key in ((resolved, "resolved", "alert_groups", "resolved_before"),
                                              (stale, "never resolved, last alerted", "unresolved_alert_groups",
                                               "last_alert_before")):
        if not changed:
            continue
        for group in changed:
            group.summary = REDACTED if group.summary else ""
            group.labels, group.link = None, None
            session.add(group)
        changed_ids = [g.id for g in changed]
        append_event(session, incident_id=None, actor=actor, kind="audit.purged", at=now,
                     summary=f"summary, labels and link of {len(changed_ids)} alert group(s) {kind} before "
                             f"{cutoff.isoformat()} cleared {retention_days} days on",
                     data={data_key: changed_ids, time_key: cutoff.isoformat(), "retention_days": retention_days})
    return ids


def _with_words(session: Session, where: Any) -> list[AlertGroup]:
    """The groups matching ``where`` that still have words to clear."""
    found = session.exec(select(AlertGroup).where(where).order_by(AlertGroup.id)).all()
    return [g for g in found if (g.summary and g.summary != REDACTED) or g.labels or g.link]
