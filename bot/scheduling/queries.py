"""The outbox worker's statements, built once.

A claim and a record run the same few statements for every batch.  Building a
statement (and SQLAlchemy's cache key for it, a walk over the whole expression)
cost more than running it, the lane condition's aliased tables most of all; a
statement built once keeps its cache key, and the values of a batch (``now``,
the limit, the ids) are bound when it runs (a list of ids as one array on
PostgreSQL, :mod:`bot.store.one_of`).

Writing a batch's claims and records (:func:`claim_rows`, :func:`record_rows`):
on PostgreSQL one ``UPDATE … FROM unnest(arrays)`` for the whole batch, sent
through the driver as it is; elsewhere one statement per row (``executemany``).
psycopg runs an ``executemany`` as one statement per row in pipeline mode, which
cost a worker about a tenth of its CPU in a burst (and the server a statement
per row); the single statement writes the same values.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from sqlalchemy import Integer, bindparam, exists, func
from sqlalchemy.engine import Connection
from sqlmodel import select

from bot.outbox.tables import OPEN_STATES, Reminder
from bot.store.one_of import one_of

_TABLE = Reminder.__table__  # type: ignore[attr-defined]

# A claimed row of a batch: the outbox row's columns as plain attributes (it stands in for a detached ``Reminder``),
# read by the claim as a row of the table rather than loaded as an ORM object. Loading, detaching and then setting
# six instrumented attributes cost 0.06 ms of CPU a row against 0.03 ms for this copy (measured on PostgreSQL,
# batches of 35); nothing after the claim needs the ORM object (every write is a statement by id) and the kinds
# only read attributes.
ClaimedRow = dataclasses.make_dataclass("ClaimedRow", [column.name for column in _TABLE.columns], slots=True)


def _now() -> Any:
    return bindparam("now", type_=_TABLE.c.next_attempt_at.type)


@functools.cache
def waiting() -> Any:
    """SQL condition: an older row of the same lane, or the row this one comes after, is still open."""
    row, older, first = _TABLE.c, _TABLE.alias("older").c, _TABLE.alias("first").c
    lane_busy = exists().where(older.lane == row.lane, older.id < row.id, older.state.in_(OPEN_STATES))
    before_busy = exists().where(first.key == row.after_key, first.state.in_(OPEN_STATES))
    return lane_busy | before_busy


@functools.cache
def due_rows(skip_locked: bool) -> Any:
    """Pending rows due by ``:now`` whose lane and predecessor let them go, oldest first, at most ``:limit``, every
    column in the table's order (:data:`ClaimedRow`'s); locked ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) so that
    workers claiming at once take different rows."""
    query = (select(*_TABLE.columns)
             .where(_TABLE.c.state == "pending", _TABLE.c.next_attempt_at <= _now(), ~waiting())
             .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id).limit(bindparam("limit", type_=Integer)))
    return query.with_for_update(skip_locked=True, of=_TABLE) if skip_locked else query


@functools.cache
def next_due() -> Any:
    return select(func.min(Reminder.next_attempt_at)).where(Reminder.state == "pending")


@functools.cache
def incidents(postgresql: bool) -> Any:
    """The incidents of ``:ids``."""
    from bot.incidents.tables import Incident

    return select(Incident).where(one_of(Incident.id, "ids", postgresql=postgresql))


@functools.cache
def in_state(postgresql: bool) -> Any:
    """The ids of ``:ids`` whose state is ``:state``."""
    return select(Reminder.id).where(one_of(Reminder.id, "ids", postgresql=postgresql),
                                     Reminder.state == bindparam("state"))


@functools.cache
def lock_sending(postgresql: bool) -> Any:
    """The ids of ``:ids`` still ``sending``, locked in id order."""
    return (select(Reminder.id).where(one_of(Reminder.id, "ids", postgresql=postgresql),
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


# PostgreSQL: a batch in one statement, the rows' values as arrays (one element per row, in the same order).
_CLAIM_ALL = (
    "UPDATE reminder SET state = 'sending', attempts = v.attempts, delivered_to = v.delivered_to, "
    "message = v.message, claimed_by = %(worker)s, updated_at = %(now)s "
    "FROM unnest(%(rid)b::integer[], %(attempts)b::integer[], %(to)b::varchar[], %(message)b::json[]) "
    "AS v(id, attempts, delivered_to, message) WHERE reminder.id = v.id")
_RECORD_ALL = (
    "UPDATE reminder SET state = 'sent', sent_at = v.sent_at, message_ts = v.ts, late_by_seconds = v.late, "
    "updated_at = %(now)s{message} "
    "FROM unnest(%(rid)b::integer[], %(sent_at)b::timestamptz[], %(ts)b::varchar[], %(late)b::float8[]{messages}) "
    "AS v(id, sent_at, ts, late{message_column}) WHERE reminder.id = v.id")
_RECORD_WITH_MESSAGE = _RECORD_ALL.format(message=", message = v.message", messages=", %(message)b::json[]",
                                          message_column=", message")
_RECORD_WITHOUT_MESSAGE = _RECORD_ALL.format(message="", messages="", message_column="")


def _bound(connection: Connection, column: str, values: list[Any]) -> list[Any]:
    """``values`` as the column's type binds them for this database (aware UTC instants, JSON documents)."""
    process = _TABLE.c[column].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return [process(v) for v in values] if process is not None else values


def claim_rows(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Write the claims of a batch (:func:`mark_sending` for each of ``rows``)."""
    if not rows:
        return
    if connection.dialect.name != "postgresql" or len(rows) < 2:
        connection.execute(mark_sending(), rows)
        return
    worker, now = rows[0]["worker"], rows[0]["now"]
    assert all(r["worker"] == worker and r["now"] == now for r in rows)  # one claim's batch
    connection.exec_driver_sql(_CLAIM_ALL, {
        "worker": worker, "now": _bound(connection, "updated_at", [now])[0], "rid": [r["rid"] for r in rows],
        "attempts": [r["attempts"] for r in rows], "to": [r["to"] for r in rows],
        "message": _bound(connection, "message", [r["message"] for r in rows])})


def record_rows(connection: Connection, with_message: bool, rows: list[dict[str, Any]]) -> None:
    """Write the records of a batch (:func:`mark_sent` for each of ``rows``)."""
    if not rows:
        return
    if connection.dialect.name != "postgresql" or len(rows) < 2:
        connection.execute(mark_sent(with_message), rows)
        return
    now = rows[0]["now"]
    assert all(r["now"] == now for r in rows)  # one record's batch
    params = {"now": _bound(connection, "updated_at", [now])[0], "rid": [r["rid"] for r in rows],
              "sent_at": _bound(connection, "sent_at", [r["sent_at"] for r in rows]),
              "ts": [r["ts"] for r in rows], "late": [float(r["late"]) for r in rows]}
    if with_message:
        params["message"] = _bound(connection, "message", [r["message"] for r in rows])
    connection.exec_driver_sql(_RECORD_WITH_MESSAGE if with_message else _RECORD_WITHOUT_MESSAGE, params)
