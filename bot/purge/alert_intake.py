"""Alert intake after the retention period: the alerts' own words go, what triage decided stays.

An alert's summary, labels and link may name people (an on-call engineer in a label, a customer in a
summary). The global chain's disposition events lose their free text with the rest of the global chain
(:mod:`bot.purge.global_chain`); the same words are kept in two more places, cleared here:

* the receipts (each request's parsed alerts, kept for triage): those received before the cutoff whose
  triage is finished are deleted (:meth:`bot.alerts.receipts.Receipts.forget_triaged`; on SQLite in the
  inbox file of their own);
* the alert groups resolved before the cutoff lose their summary (``[redacted]``), labels and link.

Kept: each group's source, key, route, counts, times, who resolved it, and its incident. Each step is an
``audit.purged`` event on the global chain (which groups, how many receipts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.alerts.receipts import Receipts
from bot.alerts.tables import AlertGroup
from bot.audit.trail import REDACTED, append_event


def forget_receipts(store: Any, *, cutoff: datetime, now: datetime, retention_days: int, actor: str = "system",
                    dry_run: bool = False) -> int:
    """Delete the triaged receipts received before ``cutoff``, then record that on the global chain; returns how
    many.  Run after the purge's own transaction (``incident-bot purge`` does it), not inside it: on SQLite,
    opening the inbox file the first time may move receipts out of the main file, which needs the main file's
    write lock.  A purge run again finds only the newer ones."""
    count = Receipts.of_engine(store.engine).forget_triaged(cutoff, dry_run=dry_run)
    if count and not dry_run:  # recorded once done: the receipts may be in a database file of their own
        with store.session() as s:
            append_event(s, incident_id=None, actor=actor, kind="audit.purged", at=now,
                         summary=f"{count} triaged alert receipt(s) received before {cutoff.isoformat()} deleted "
                                 f"{retention_days} days on",
                         data={"alert_receipts": count, "received_before": cutoff.isoformat(),
                               "retention_days": retention_days})
    return count


def redact_groups(session: Session, *, cutoff: datetime, now: datetime, retention_days: int, actor: str,
                  dry_run: bool) -> list[int]:
    """Clear the words of alert groups resolved before ``cutoff`` and record which on the global chain, in the
    purge's unit of work; returns the ids of the groups changed."""
    resolved = session.exec(select(AlertGroup).where(AlertGroup.resolved_at < cutoff)  # type: ignore[operator]
                            .order_by(AlertGroup.id)).all()
    changed = [g for g in resolved if (g.summary and g.summary != REDACTED) or g.labels or g.link]
    ids = [g.id for g in changed if g.id is not None]
    if dry_run or not changed:
        return ids
    for group in changed:
        group.summary = REDACTED if group.summary else ""
        group.labels, group.link = None, None
        session.add(group)
    append_event(session, incident_id=None, actor=actor, kind="audit.purged", at=now,
                 summary=f"summary, labels and link of {len(ids)} alert group(s) resolved before "
                         f"{cutoff.isoformat()} cleared {retention_days} days on",
                 data={"alert_groups": ids, "resolved_before": cutoff.isoformat(), "retention_days": retention_days})
    return ids
