"""Alert intake after the retention period: the alerts' own words go, what triage decided stays.

An alert's summary, labels and link may name people (an on-call engineer in a label, a customer in a
summary). The global chain's disposition events lose their free text with the rest of the global chain
(:mod:`bot.purge.global_chain`); the same words are kept in two more places, cleared here:

* the receipts (each request's parsed alerts, kept for triage): those received before the cutoff whose
  triage is finished are deleted (:meth:`bot.alerts.receipts.Receipts.forget_triaged`; on SQLite in the
  inbox file of their own);
* the alert groups resolved before the cutoff lose their summary (``[redacted]``), labels and link.

Kept: each group's source, key, route, counts, times, who resolved it, and its incident.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.alerts.receipts import Receipts
from bot.alerts.tables import AlertGroup
from bot.audit.trail import REDACTED


def forget_receipts(main: Engine, *, cutoff: datetime, dry_run: bool) -> int:
    """Delete the triaged receipts received before ``cutoff``; returns how many.  Run after the purge's own
    transaction (``incident-bot purge`` does it), not inside it: on SQLite, opening the inbox file the first time may move
    receipts out of the main file, which needs the main file's write lock.  Their deletion changes nothing on
    the chain, and a purge run again finds only the newer ones."""
    return Receipts.of_engine(main).forget_triaged(cutoff, dry_run=dry_run)


def redact_groups(session: Session, *, cutoff: datetime, dry_run: bool) -> list[int]:
    """Clear the words of alert groups resolved before ``cutoff``; returns the ids of the groups changed."""
    resolved = session.exec(select(AlertGroup).where(AlertGroup.resolved_at < cutoff)  # type: ignore[operator]
                            .order_by(AlertGroup.id)).all()
    changed = [g for g in resolved if (g.summary and g.summary != REDACTED) or g.labels or g.link]
    if not dry_run:
        for group in changed:
            group.summary = REDACTED if group.summary else ""
            group.labels, group.link = None, None
            session.add(group)
    return [g.id for g in changed if g.id is not None]
