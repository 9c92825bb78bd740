"""The outbox worker's statements, built once.

A claim and a record run the same few statements for every batch.  Building a
statement (and SQLAlchemy's cache key for it, a walk over the whole expression)
cost more than running it, the lane condition's aliased tables most of all; a
statement built once keeps its cache key, and the values of a batch (``now``,
the limit, the ids) are bound when it runs.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, bindparam, exists, func
from sqlalchemy.orm import aliased
from sqlmodel import select

from bot.scheduling.tables import OPEN_STATES, Reminder

_TABLE = Reminder.__table__  # type: ignore[attr-defined]


def _now() -> Any:
    return bindparam("now", type_=_TABLE.c.next_attempt_at.type)


@functools.cache
def waiting() -> Any:
    """SQL condition: an older row of the same lane, or the row this one comes after, is still open."""
    older, first = aliased(Reminder), aliased(Reminder)
    lane_busy = exists().where(older.lane == Reminder.lane, older.id < Reminder.id,  # type: ignore[arg-type]
                               older.state.in_(OPEN_STATES))  # type: ignore[attr-defined]
    before_busy = exists().where(first.key == Reminder.after_key, first.state.in_(OPEN_STATES))  # type: ignore[attr-defined]
    return lane_busy | before_busy


@functools.cache
def due_rows(skip_locked: bool) -> Any:
    """Pending rows due by ``:now`` whose lane and predecessor let them go, oldest first, at most ``:limit``;
    locked ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) so that workers claiming at once take different rows."""
    query = (select(Reminder).where(Reminder.state == "pending", Reminder.next_attempt_at <= _now(), ~waiting())
             .order_by(Reminder.next_attempt_at, Reminder.id).limit(bindparam("limit", type_=Integer)))
    return query.with_for_update(skip_locked=True, of=Reminder) if skip_locked else query  # type: ignore[arg-type]


@functools.cache
def next_due() -> Any:
    return select(func.min(Reminder.next_attempt_at)).where(Reminder.state == "pending")


@functools.cache
def incidents() -> Any:
    """The incidents of ``:ids``."""
    from bot.incidents.tables import Incident

    return select(Incident).where(Incident.id.in_(bindparam("ids", expanding=True)))  # type: ignore[union-attr]


@functools.cache
def in_state() -> Any:
    """The ids of ``:ids`` whose state is ``:state``."""
    return select(Reminder.id).where(Reminder.id.in_(bindparam("ids", expanding=True)),  # type: ignore[union-attr]
                                     Reminder.state == bindparam("state"))


@functools.cache
def lock_sending() -> Any:
    """The ids of ``:ids`` still ``sending``, locked in id order."""
    return (select(Reminder.id).where(Reminder.id.in_(bindparam("ids", expanding=True)),  # type: ignore[union-attr]
                                      Reminder.state == "sending").order_by(Reminder.id).with_for_update())


@functools.cache
def mark_sending() -> Any:
    """Claim one row of a batch (executemany: ``rid``, ``attempts``, ``to``, ``message``, ``worker``, ``now``)."""
    return (_TABLE.update().where(_TABLE.c.id == bindparam("rid"))
            .values(state="sending", attempts=bindparam("attempts"), delivered_to=bindparam("to"),
                    message=bindparam("message"), claimed_by=bindparam("worker"), updated_at=_now()))


@functools.cache
def mark_sent(with_message: bool) -> Any:
    """Record one delivered row (executemany: ``rid``, ``sent_at``, ``ts``, ``late``, ``now``, and ``message`` when
    it changed)."""
    values = dict(state="sent", sent_at=bindparam("sent_at"), message_ts=bindparam("ts"),
                  late_by_seconds=bindparam("late"), updated_at=_now())
    if with_message:
        values["message"] = bindparam("message")
    return _TABLE.update().where(_TABLE.c.id == bindparam("rid")).values(**values)
