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

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.alerts.receipts import Receipts, Waiting
from bot.alerts.tables import AlertGroup
from bot.audit.trail import REDACTED, append_event


def forget_receipts(store: Any, *, cutoff: datetime, now: datetime, retention_days: int, actor: str = "system",
                    dry_run: bool = False, kept: Waiting | None = None) -> int:
    """Delete the triaged receipts received before ``cutoff``, then record that on the global chain with how many
    older ones were kept because triage has not finished them (``kept``: :func:`waiting_receipts`, when the
    caller has read it already); returns how many were deleted.  Run after the purge's own transaction
    (``incident-bot purge`` does it), not inside it: on SQLite, opening the inbox file the first time may move
    receipts out of the main file, which needs the main file's write lock.  A purge run again finds only the
    newer ones."""
    receipts = Receipts.of_engine(store.engine)
    count = receipts.forget_triaged(cutoff, dry_run=dry_run)
    if dry_run:
        return count
    if kept is None:
        kept = receipts.waiting_before(cutoff)  # deleting triaged receipts does not change which are waiting
    if count or kept.count:  # recorded once done: the receipts may be in a file of their own
        summary = f"{count} triaged alert receipt(s) received before {cutoff.isoformat()} deleted {retention_days} " \
                  "days on"
        data: dict[str, Any] = {"alert_receipts": count, "received_before": cutoff.isoformat(),
                                "retention_days": retention_days}
        if kept.count:
            summary += f"; {kept.count} not triaged yet kept (the oldest received {kept.oldest.isoformat()}): " \
                       "an alert is never deleted before triage decided about it"
            data |= {"waiting_alert_receipts_kept": kept.count, "oldest_waiting": kept.oldest.isoformat()}
        with store.session() as s:
            append_event(s, incident_id=None, actor=actor, kind="audit.purged", at=now, summary=summary, data=data)
    return count


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
