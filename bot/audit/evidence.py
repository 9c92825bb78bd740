"""Every evidence row on the chain: the tables are caches of the chain, checked against it.

When a unit of work commits, each evidence row it inserted, changed or deleted
(the incident header, roles, checklist tasks, clock-change approvals, snoozes,
obligations, pages, exceptions used, call-outs, rest owed, cover requests,
web-view links) is written, whole, into the data of its chain's newest event of
that unit of work under ``"evidence"`` (or, when the change came without an
event, into a new ``evidence.recorded`` event, at the unit of work's time by its caller's clock:
:mod:`bot.audit.unit_time`). A row's chain is its incident's;
a row of no incident (an alert group's page, a cover request) is on the global
chain. A row whose incident changed (a call-out of an alert group moved to the
incident declared from it) leaves a ``moved_to`` entry on the chain it left::

    "evidence": [{"table": "obligation", "id": 12, "row": {...every column...}},
                 {"table": "page", "id": 3, "deleted": true},
                 {"table": "engagement", "id": 5, "moved_to": 7}]

No module has to remember to do it: a SQLAlchemy ``after_flush`` listener
notes the rows and ``before_commit`` writes them, in the same transaction.
Replaying the chain gives the state every row must have (:func:`chained_rows`);
:func:`table_problems` compares it with the tables, so an edit, insert or
delete made outside the bot (plain SQL) is reported as tampering, and the
evidence pack is built from the chained state, not from the tables.

The rows of no incident already in a database when they began to be chained are
written once, as found, into an ``evidence.baseline`` event by the upgrade that
runs revision ``evidence_baseline`` (:func:`write_baseline`).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel, select

from bot.audit.digest import canonical_json
from bot.audit.malformed import evidence_entries
from bot.audit.tables import TimelineEvent
from bot.audit.trail import (APPENDED, GLOBAL_CHAIN_LOCK, append_event, before_bulk_append, chain_name, events, seal,
                             verify_chain)
from bot.audit.redactable import TYPED_TEXT, register_typed_text
from bot.audit.unit_time import forget as forget_unit_time
from bot.audit.unit_time import unit_time
from bot.audit import wanted_effects
from bot.clock import ensure_utc
from bot.store.advisory import hold_until_commit
from bot.store.migrate import UPGRADED_AT, after_upgrade, current_revision_of, head_revision
from bot.store.schema import import_all_tables

# table -> columns holding text people typed (redacted by the purge, in the table and on the chain alike);
# each domain's ``tables`` module registers its evidence tables (:func:`register`). The same dict as
# ``bot.audit.redactable.TYPED_TEXT``, where the chain's own check (below this module) reads it: one registry.
EVIDENCE_TABLES: dict[str, tuple[str, ...]] = TYPED_TEXT
PENDING = "audit.evidence_pending"
LEFT = "audit.evidence_left"  # session.info key: (table, id(obj)) -> the incident whose chain the row was on
RECORDED = "evidence.recorded"
BASELINE = "evidence.baseline"
BASELINE_DUE = "evidence_baseline_due"  # set by the migration revision evidence_baseline


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat()
    return value


_COLUMNS: dict[type, tuple[str, ...]] = {}  # mapped class -> its column attributes (mappers are fixed at import)


def snapshot(obj: Any) -> dict[str, Any]:
    """Every column of the row, as JSON gives it back (instants as ISO 8601 UTC)."""
    keys = _COLUMNS.get(type(obj))
    if keys is None:
        keys = _COLUMNS[type(obj)] = tuple(a.key for a in sa_inspect(obj).mapper.column_attrs)
    return json.loads(canonical_json({k: plain(getattr(obj, k)) for k in keys}))


def incident_of(table: str, values: dict[str, Any]) -> int | None:
    return values.get("id") if table == "incident" else values.get("incident_id")


def _note_moves(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Before a flush: for each evidence row whose incident changes, the incident it had (the chain it leaves)."""
    left: dict[tuple[str, int], Any] = session.info.setdefault(LEFT, {})
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", None)
        if table not in EVIDENCE_TABLES or table == "incident" or (table, id(obj)) in left:
            continue
        state = sa_inspect(obj)
        if "incident_id" not in state.mapper.column_attrs:
            continue
        history = state.attrs.incident_id.history
        if not history.has_changes() or not state.identity:
            continue
        if history.deleted:
            left[(table, id(obj))] = history.deleted[0]
        else:  # the old value was never loaded: the database still has it
            columns = obj.__table__.c
            with session.no_autoflush:
                left[(table, id(obj))] = session.execute(
                    select(columns.incident_id).where(columns.id == state.identity[0])).scalar_one_or_none()


def _note(session: OrmSession, _context: Any) -> None:
    pending: dict[tuple[str, int], Any] = session.info.setdefault(PENDING, {})
    changed = list(session.new) + [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    for obj in changed:
        table = getattr(obj, "__tablename__", None)
        if table in EVIDENCE_TABLES:
            pending[(table, id(obj))] = obj
    for obj in session.deleted:
        table = getattr(obj, "__tablename__", None)
        if table in EVIDENCE_TABLES:
            loaded = sa_inspect(obj).dict
            pending[(table, id(obj))] = {"table": table, "id": loaded.get("id"), "deleted": True,
                                         "incident": incident_of(table, loaded)}


def _record(session: OrmSession) -> None:
    for _ in range(5):  # the events written below change no evidence row; one more pass is a safeguard
        session.flush()
        pending = session.info.pop(PENDING, {})
        if not pending:
            return
        left = session.info.pop(LEFT, {})
        by_incident: dict[int | None, list[dict[str, Any]]] = {}
        for (table, obj), item in pending.items():
            if isinstance(item, dict):
                entry, incident = {k: item[k] for k in ("table", "id", "deleted")}, item["incident"]
            else:
                row = snapshot(item)
                entry, incident = {"table": table, "id": row.get("id"), "row": row}, incident_of(table, row)
            by_incident.setdefault(incident, []).append(entry)
            if (table, obj) in left and left[(table, obj)] != incident:  # not on the chain it left any more
                by_incident.setdefault(left[(table, obj)], []).append(
                    {"table": table, "id": entry["id"], "moved_to": incident})
        for entries in by_incident.values():
            entries.sort(key=lambda e: (e["table"], e["id"] or 0))
        appended = session.info.get(APPENDED, {})
        for incident, entries in sorted(by_incident.items(), key=lambda item: (item[0] is not None, item[0] or 0)):
            head = appended.get(chain_name(incident))
            if head is not None and head in session:
                head.data = {**head.data, "evidence": list(head.data.get("evidence", [])) + entries}
                seal(head)
                session.add(head)
            else:
                at = unit_time(session, f"evidence rows of the {chain_name(incident)} chain were changed "
                                        f"({', '.join(sorted({e['table'] for e in entries}))})")
                append_event(session, incident_id=incident, actor="system", kind=RECORDED, at=at,
                             summary="evidence rows recorded", data={"evidence": entries})


def record(session: OrmSession) -> None:
    """Write the pending evidence rows now (before reading a head hash that must be final)."""
    _record(session)
    wanted_effects.heads_read(session)


def _forget(session: OrmSession, *_args: Any) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(LEFT, None)
    session.info.pop(APPENDED, None)
    forget_unit_time(session)


def install() -> None:
    """Register the listeners on every ORM session (idempotent)."""
    if not sa_event.contains(OrmSession, "after_flush", _note):
        sa_event.listen(OrmSession, "before_flush", _note_moves)
        sa_event.listen(OrmSession, "after_flush", _note)
        sa_event.listen(OrmSession, "before_commit", _record)
        sa_event.listen(OrmSession, "after_commit", _forget)
        sa_event.listen(OrmSession, "after_rollback", _forget)
    wanted_effects.install()  # after the listeners above: a unit of work's evidence is recorded first
    before_bulk_append(record)
    after_upgrade(_baseline_after_upgrade)


def register(table: str, typed_text: tuple[str, ...] = ()) -> None:
    """Put every row of ``table`` on its incident's chain (the global chain for a row of no incident, or of a table
    without an ``incident_id``); ``typed_text``: its columns holding text people typed.

    The module defining the table calls this beside the class, so the listeners are installed before any row
    of an evidence table can be flushed (the audit layer does not import the domains above it). The typed-text
    columns are also the ones a purge may redact (:mod:`bot.audit.redactable`, read by the chain's own check)."""
    register_typed_text(table, typed_text)  # into EVIDENCE_TABLES, which is redactable's registry
    install()


# --- reading the chained state back ---------------------------------------------------------------


def chained_rows(event_data: Iterable[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any] | None]:
    """(table, id) -> the row's newest state on the chain (None once deleted), from the events' data in order; a row
    that moved to another chain (``moved_to``) is no longer in this one."""
    state: dict[tuple[str, int], dict[str, Any] | None] = {}
    for data in event_data:
        for entry in evidence_entries(data):  # a malformed one is reported by the chain's check
            key = (entry["table"], entry["id"])
            if "moved_to" in entry:
                state.pop(key, None)
            else:
                state[key] = None if entry.get("deleted") else entry["row"]
    return state


@functools.cache
def _every_table_registered() -> None:
    """Import every ``tables`` module once: each registers its evidence tables (see :func:`register`)."""
    import_all_tables()


def table_class(table: str) -> Any:
    _every_table_registered()
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    raise LookupError(table)


def table_rows(session: Any, incident_id: int | None) -> dict[tuple[str, int], dict[str, Any]]:
    """The evidence rows of one incident as they stand in the tables; with None, the rows of no incident (those
    whose ``incident_id`` is NULL, and every row of a table without one)."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    _every_table_registered()
    for table in EVIDENCE_TABLES:
        cls = table_class(table)
        if table == "incident":
            query = select(cls).where(cls.id == incident_id) if incident_id is not None else None
        elif "incident_id" in cls.__table__.c:
            query = select(cls).where(cls.incident_id == incident_id if incident_id is not None
                                      else cls.incident_id.is_(None))
        else:
            query = select(cls) if incident_id is None else None
        for obj in session.exec(query.order_by(cls.id)).all() if query is not None else ():
            rows[(table, obj.id)] = snapshot(obj)
    return rows


def differences(chained: dict[tuple[str, int], dict[str, Any] | None], tables: dict[tuple[str, int], dict[str, Any]],
                where: str) -> list[str]:
    """Each disagreement between the chained state and the tables, in words."""
    problems: list[str] = []
    for key in sorted(set(chained) | set(tables), key=lambda k: (k[0], k[1])):
        on_chain, in_table = chained.get(key), tables.get(key)
        name = f"{where} {key[0]} row {key[1]}"
        if in_table is None and on_chain is not None:
            problems.append(f"{name}: on the chain but missing from the table (deleted outside the bot)")
        elif in_table is not None and key not in chained:
            problems.append(f"{name}: in the table but never recorded on the chain (inserted outside the bot)")
        elif in_table is not None and on_chain is None:
            problems.append(f"{name}: deleted on the chain but present in the table")
        elif in_table is not None and on_chain is not None and in_table != on_chain:
            # A column a later migration added is absent from rows chained before it: still empty, it is no edit.
            cols = sorted(c for c in set(in_table) | set(on_chain) if in_table.get(c) != on_chain.get(c))
            if not cols:
                continue
            detail = "; ".join(f"{c} is {in_table.get(c)!r} in the table but {on_chain.get(c)!r} on the chain"
                               for c in cols)
            problems.append(f"{name}: edited outside the bot: {detail}")
    return problems


def table_problems(session: Any, incident_id: int | None, event_data: list[dict[str, Any]]) -> list[str]:
    """The disagreements between a chain's evidence and the tables. The global chain is always compared: the rows
    of no incident written before they were chained are vouched for by its ``evidence.baseline`` event
    (:func:`write_baseline`)."""
    chained = chained_rows(event_data)
    if incident_id is not None and not chained and not any("evidence" in (d or {}) for d in event_data):
        return []  # an incident from before evidence was chained: nothing to compare with (see docs/audit.md)
    return differences(chained, table_rows(session, incident_id), chain_name(incident_id))


def verify_incident(session: Any, incident_id: int | None, *, now: datetime | None = None,
                    min_retention_days: int = 1) -> Any:
    """The chain's own check (:func:`bot.audit.trail.verify_chain`, with ``now`` and ``min_retention_days`` for
    its purges) plus every evidence table row against it (for the global chain, the rows of no incident), and the
    outbox rows it wanted (:mod:`bot.audit.wanted_effects`)."""
    outbox = wanted_effects.outbox_rows(session, incident_id)  # before the events: see outbox_rows
    result = verify_chain(session, incident_id, now=now, min_retention_days=min_retention_days)
    chain = events(session, incident_id)
    result.problems.extend(table_problems(session, incident_id, [e.data for e in chain]))
    result.problems.extend(wanted_effects.problems(session, incident_id, outbox, chain))
    return result


# --- the baseline of the rows of no incident written before they were chained -----------------------------------


def write_baseline(session: Any, now: datetime) -> Any:
    """Chain the rows of no incident as they are now, once: one ``evidence.baseline`` event on the global chain
    holding each such row not chained yet, whose summary says they were recorded as found (the chain vouches for
    them from this event on, not for what they were before). None when there is nothing to record or a baseline
    exists (a second process upgrading at the same time waits for the global chain's lock, then finds it)."""
    hold_until_commit(session, GLOBAL_CHAIN_LOCK)
    if session.exec(select(TimelineEvent.id).where(TimelineEvent.chain == chain_name(None),
                                                   TimelineEvent.kind == BASELINE)).first() is not None:
        return None
    chained = chained_rows(e.data for e in events(session, None))
    found = {key: row for key, row in table_rows(session, None).items() if chained.get(key) != row}
    if not found:
        return None
    now = ensure_utc(now)
    return append_event(
        session, incident_id=None, actor="system", kind=BASELINE, at=now,
        summary=(f"{len(found)} evidence rows of no incident recorded as found at {now:%Y-%m-%d %H:%M} UTC, when "
                 "rows of no incident began to be chained: the chain vouches for them from this event on, not for "
                 "what they were before"),
        data={"evidence": [{"table": t, "id": i, "row": found[(t, i)]} for t, i in sorted(found)],
              "recorded_as_found": now.isoformat()})


def _baseline_after_upgrade(connection: Any, attributes: dict[str, Any]) -> None:
    """After the upgrade that ran revision ``evidence_baseline`` (once per database), in its transaction; only at
    the newest revision, whose schema the models describe (an upgrade to an older target leaves it undone). The
    rows are recorded as found when the upgrade runs (``migrate.upgrade``'s ``now``)."""
    if not attributes.get(BASELINE_DUE) or current_revision_of(connection) != head_revision(connection.engine):
        return
    from sqlmodel import Session

    with Session(bind=connection) as session:  # joins the upgrade's transaction, which commits it
        write_baseline(session, attributes[UPGRADED_AT])
        session.flush()
