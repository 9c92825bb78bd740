"""Making an incident's (or an alert group's) stored reminder rows match the rows its state wants.

:func:`apply_wanted` is the second half of :func:`bot.scheduling.sync.sync_incident` and of
:func:`bot.scheduling.kinds.alert_pages.sync_group` (see :mod:`bot.scheduling.sync` for the rules); it knows
no reminder kind, so the kinds may use it without importing the list of kinds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.scheduling.wanted import Wanted


@dataclass
class SyncResult:
    inserted: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.rescheduled or self.reopened or self.cancelled)


@functools.cache
def _rows_of_kinds() -> Any:
    return select(Reminder).where(Reminder.incident_id == bindparam("incident"),
                                  Reminder.kind.in_(bindparam("kinds", expanding=True)))  # type: ignore[attr-defined]


def apply_wanted(session: Session, incident_id: int | None, wanted: dict[str, Wanted], at: datetime,
                 kinds: set[str], *, owed: set[str] = frozenset(),  # type: ignore[assignment]
                 existing: dict[str, Reminder] | None = None) -> SyncResult:
    """Only rows of ``kinds`` are touched: effects written by the lifecycle are nobody's wish to take back.
    Rows of the ``owed`` kinds that were claimed before (their side effect happened; only the message is
    still owed, retrying) are kept even when their cause is gone.  ``existing``: the rows to compare with
    (by key) when they are not the incident's (an alert group's, ``incident_id`` None)."""
    result = SyncResult()
    rows = existing if existing is not None else {
        r.key: r for r in session.exec(_rows_of_kinds(), params={"incident": incident_id,
                                                                 "kinds": sorted(kinds)}).all()}
    for key, item in wanted.items():
        row = rows.get(key)
        if row is None:
            session.add(Reminder(key=key, kind=item.kind, incident_id=incident_id, target=item.target,
                                 recipient=item.recipient, due_at=item.due_at, next_attempt_at=item.due_at,
                                 payload=dict(item.payload), lane=item.lane, created_at=at, updated_at=at))
            result.inserted.append(key)
        elif row.state == "cancelled":
            if _set_pending(session, row, item, at, from_state="cancelled"):
                result.reopened.append(key)
        elif row.state == "pending" and _differs(row, item):
            if _set_pending(session, row, item, at, from_state="pending"):
                result.rescheduled.append(key)
    for key, row in rows.items():
        if key not in wanted and row.state == "pending" and not (row.kind in owed and row.attempts and row.message):
            done = session.execute(
                update(Reminder).where(Reminder.id == row.id, Reminder.state == "pending")  # type: ignore[arg-type]
                .values(state="cancelled", updated_at=at)
            )
            if done.rowcount:
                result.cancelled.append(key)
    session.flush()
    for row in rows.values():
        session.expire(row)  # the core updates above bypass the identity map
    return result


def _differs(row: Reminder, item: Wanted) -> bool:
    return (row.due_at != item.due_at or row.recipient != item.recipient or row.target != item.target
            or (row.payload or {}) != item.payload)


def _set_pending(session: Session, row: Reminder, item: Wanted, at: datetime, *, from_state: str) -> bool:
    # A held reminder keeps its later attempt time as long as its due time is unchanged.
    keep_hold = from_state == "pending" and row.due_at == item.due_at and row.next_attempt_at > row.due_at
    next_attempt = row.next_attempt_at if keep_hold else item.due_at
    done = session.execute(
        update(Reminder).where(Reminder.id == row.id, Reminder.state == from_state)  # type: ignore[arg-type]
        .values(state="pending", due_at=item.due_at, next_attempt_at=next_attempt, recipient=item.recipient,
                target=item.target, payload=dict(item.payload), updated_at=at)
    )
    return bool(done.rowcount)
