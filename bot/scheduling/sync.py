"""Deriving an incident's reminder rows from its current state, idempotently.

The lifecycle service calls :func:`sync_incident` at the end of every
operation, in the same unit of work.  It asks every reminder kind what it
wants now and makes the rows match:

* a wanted key without a row            -> inserted ``pending``
* a ``pending`` row whose time changed   -> rescheduled
* a ``cancelled`` row that is wanted again -> reopened ``pending``
* a ``pending`` row nobody wants anymore -> ``cancelled`` (ack, notified, resolved ...)
* ``sending``, ``sent`` and ``failed`` rows are history and never touched;
* rows of other kinds (the effects a command wrote: posts, invites …) are never touched.

Running it twice in a row changes nothing the second time.  Updates are
conditional on ``state = 'pending'`` so a reminder the scheduler has just
claimed is never rewritten underneath it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.scheduling.tables import Reminder
from bot.scheduling.wanted import ReminderKind, Wanted


@dataclass
class SyncResult:
    inserted: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.rescheduled or self.reopened or self.cancelled)


def default_kinds() -> tuple[ReminderKind, ...]:
    from bot.scheduling.kinds import PLANNED_KINDS

    return PLANNED_KINDS


def _names(kinds: Iterable[ReminderKind]) -> set[str]:
    return {n for k in kinds for n in getattr(k, "names", (k.name,))}


@functools.cache
def _locked_incident() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.incidents.tables import Incident

    return select(Incident).where(Incident.id == bindparam("incident")).with_for_update()


@functools.cache
def _rows_of_kinds() -> Any:
    return select(Reminder).where(Reminder.incident_id == bindparam("incident"),
                                  Reminder.kind.in_(bindparam("kinds", expanding=True)))  # type: ignore[attr-defined]


def _load_incident(session: Session, incident_id: int) -> Any:
    # Serialise syncs of one incident (row lock on PostgreSQL; SQLite serialises writers anyway).
    incident = session.exec(_locked_incident(), params={"incident": incident_id}).first()
    if incident is None:
        raise ValueError(f"expected an existing incident id, got {incident_id}")
    return incident


def wanted_for(session: Session, config: Any, incident: Any, at: datetime,
               kinds: Iterable[ReminderKind]) -> dict[str, Wanted]:
    wanted: dict[str, Wanted] = {}
    for kind in kinds:
        for item in kind.wanted(session, config, incident, at):
            if item.key in wanted:
                raise ValueError(f"expected unique reminder keys, got {item.key!r} twice (kind {kind.name})")
            wanted[item.key] = item
    return wanted


def sync_incident(session: Session, config: Any, incident_id: int | None, at: datetime, *,
                  kinds: Iterable[ReminderKind] | None = None) -> SyncResult:
    """Make the incident's reminder rows match what its current state wants.  ``None`` (the row of an alert
    group's page, which has no incident) changes nothing: those rows are derived by
    :func:`bot.scheduling.kinds.alert_pages.sync_group`, which their kind calls itself."""
    if incident_id is None:
        return SyncResult()
    at = ensure_utc(at)
    incident = _load_incident(session, incident_id)
    kinds = tuple(kinds if kinds is not None else default_kinds())
    wanted = wanted_for(session, config, incident, at, kinds)
    owed = _names(k for k in kinds if getattr(k, "RESEND_AS_CLAIMED", False))
    result = apply_wanted(session, incident_id, wanted, at, _names(kinds), owed=owed)
    from bot.notify.plan import sync_notifications

    sync_notifications(session, config, incident_id, at)  # the pages' SMS, voice and email steps, same transaction
    return result


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
