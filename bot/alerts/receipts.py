"""Where the alert receipts are stored and where triage's progress through them is recorded.

PostgreSQL locks rows, so the intake's inserts never wait for triage: the
receipts are rows of the main database's ``alert_receipt`` and their
``done``/``state``/``triaged_at`` columns are triage's progress, updated in the
transaction of its effects (as before the inbox file existed).

SQLite has one writer per file, so the receipts go to a file of their own
(:mod:`bot.alerts.inbox_file`) and accepting an alert never waits for triage.
Triage's progress must stay atomic with its effects, so its authoritative
record is ``alert_progress`` in the main database, written in the transaction
of the groups, pages, incidents and disposition events.  After that
transaction commits, the progress is copied back to the receipts' own columns
in the inbox (so that the next pass does not read them again, and so that a
receipt shows how far it got).  A crash before that copy loses nothing: the
next pass reads those receipts again, finds them triaged in ``alert_progress``
and copies the progress then.  No high-water mark: each receipt's progress is
its own row.

Triage calls the same methods on both: :meth:`Receipts.waiting`,
:meth:`Receipts.lock_progress`, :meth:`Receipts.write_progress` and, for the
heartbeats, :meth:`Receipts.add` and :meth:`Receipts.stored_at`.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from bot.alerts.batch import Receipt
from bot.alerts.events import AlertEvent
from bot.alerts.tables import AlertProgress, AlertReceipt
from bot.clock import ensure_utc
from bot.store.database import READ_ONLY, after_commit, vacuum_sqlite
from bot.store.write_turns import write_turns_for

_RECEIPTS = AlertReceipt.__table__  # type: ignore[attr-defined]
_PROGRESS = AlertProgress.__table__  # type: ignore[attr-defined]
_R, _P = _RECEIPTS.c, _PROGRESS.c
# Built once, with their lists as bound parameters: building a statement costs SQLAlchemy as much as running it.
_WAITING = (select(_R.id, _R.source, _R.format, _R.events, _R.done, _R.state).where(_R.state == "accepted")
            .order_by(_R.id).limit(bindparam("limit")))
_IDS = bindparam("ids", expanding=True)
_LOCK_RECEIPTS = select(_R.id, _R.done, _R.state).where(_R.id.in_(_IDS)).with_for_update()
_READ_PROGRESS = select(_P.receipt_id, _P.done, _P.state, _P.triaged_at).where(_P.receipt_id.in_(_IDS))
_UPDATE_RECEIPTS = (update(_RECEIPTS).where(_R.id == bindparam("rid"))
                    .values(done=bindparam("to_done"), state=bindparam("to_state"),
                            triaged_at=bindparam("to_triaged_at")))
_UPSERT = sqlite_insert(_PROGRESS).values(receipt_id=bindparam("rid"), done=bindparam("to_done"),
                                         state=bindparam("to_state"), triaged_at=bindparam("to_triaged_at"))
_UPSERT_PROGRESS = _UPSERT.on_conflict_do_update(
    index_elements=[_P.receipt_id],
    set_={"done": _UPSERT.excluded.done, "state": _UPSERT.excluded.state, "triaged_at": _UPSERT.excluded.triaged_at})
FINISHED = ("triaged", "dismissed")  # the states the purge deletes (set_aside: until a person dealt with it)
_WRITTEN = "alert_progress_written"  # session.info: progress rows to copy to the inbox after the commit


class Receipts:
    """The receipts of one main database (see the module docstring); one per engine: :meth:`of`."""

    _by_engine: "weakref.WeakKeyDictionary[Engine, Receipts]" = weakref.WeakKeyDictionary()
    _creating = threading.Lock()

    def __init__(self, main: Engine, inbox: Engine | None) -> None:
        self.main, self.inbox = main, inbox
        self.engine = inbox if inbox is not None else main  # where the intake inserts
        self.write_lock = write_turns_for(inbox) if inbox is not None else None  # taken around each inbox write
        # An in-memory inbox is one connection shared by the threads: its reads take the writers' turn too.
        self._in_memory = inbox is not None and inbox.url.database in (None, "", ":memory:")
        self._reading = self.write_lock if self._in_memory else contextlib.nullcontext()

    @classmethod
    def of(cls, store: Any) -> "Receipts":
        """The store's receipts: on SQLite the inbox file is opened (created, checked, and the receipts left in
        the main database adopted) on first use, and the store's sessions see ``AlertReceipt`` there."""
        found = cls.of_engine(store.engine)
        if found.inbox is not None:
            store.binds[AlertReceipt] = found.inbox
        return found

    @classmethod
    def of_engine(cls, main: Engine) -> "Receipts":
        """The receipts of the main database ``main`` (what :meth:`of` finds, without a store)."""
        with cls._creating:
            found = cls._by_engine.get(main)
            if found is None:
                inbox = None
                if main.dialect.name == "sqlite":
                    from bot.alerts.inbox_file import adopt_main_receipts, open_inbox

                    inbox = open_inbox(main)
                    adopt_main_receipts(main, inbox)
                found = cls._by_engine[main] = cls(main, inbox)
            return found

    def forget_triaged(self, before: datetime, *, dry_run: bool = False, session: Session | None = None,
                       journal: Callable[[int], dict[str, Any] | None] | None = None) -> int:
        """Delete the receipts received before ``before`` whose triage is finished (the retention purge): they
        repeat the alerts' words, and what triage made of them is on the chain.  A receipt not triaged yet, or
        triaged but not yet marked so here (a crash before the copy), or set aside, is kept; one a person dismissed
        after it was set aside (:mod:`bot.alerts.set_aside_review`) is deleted like a triaged one.  Returns how many.

        The purge's record of the deletion must survive a crash (:mod:`bot.purge.alert_intake`).  PostgreSQL:
        with ``session`` (the main database's unit of work that records it on the chain) the deletion is in that
        transaction.  SQLite: the receipts are in the inbox file, so what ``journal(count)`` returns (None:
        nothing to record) is written to the inbox's ``alert_purge_journal`` in the deletion's own transaction,
        until the purge has put it on the chain (:meth:`purge_journal`, :meth:`forget_journal_entry`)."""
        where = _R.state.in_(FINISHED) & (_R.received_at < before)
        if session is not None and self.inbox is None:
            count = int(session.execute(select(func.count()).select_from(_RECEIPTS).where(where)).scalar_one())
            if count and not dry_run:
                session.execute(delete(_RECEIPTS).where(where))
            return count
        with self.write_lock or contextlib.nullcontext(), self.engine.begin() as conn:
            count = int(conn.execute(select(func.count()).select_from(_RECEIPTS).where(where)).scalar_one())
            if dry_run:
                return count
            if count:
                conn.execute(delete(_RECEIPTS).where(where))
            entry = journal(count) if journal is not None and self.inbox is not None else None
            if entry is not None:
                from bot.alerts.inbox_file import PURGE_JOURNAL

                conn.execute(PURGE_JOURNAL.insert().values(entry=entry))
        return count

    def purge_journal(self) -> list[tuple[int, dict[str, Any]]]:
        """SQLite: the purge's records of deletions still in the inbox's journal (id, record), oldest first: their
        chain event may not be written yet.  PostgreSQL: none (the deletion and its event are one transaction)."""
        if self.inbox is None:
            return []
        from bot.alerts.inbox_file import PURGE_JOURNAL

        with self._reading, self.inbox.connect().execution_options(**READ_ONLY) as conn:
            return [(row.id, row.entry) for row in conn.execute(select(PURGE_JOURNAL).order_by(PURGE_JOURNAL.c.id))]

    def forget_journal_entry(self, entry_id: int) -> None:
        """SQLite: remove a record from the journal once its chain event is written."""
        from bot.alerts.inbox_file import PURGE_JOURNAL

        assert self.inbox is not None and self.write_lock is not None
        with self.write_lock, self.inbox.begin() as conn:
            conn.execute(delete(PURGE_JOURNAL).where(PURGE_JOURNAL.c.id == entry_id))

    def waiting_before(self, before: datetime) -> "Waiting":
        """The receipts received before ``before`` that triage has not finished: the purge keeps them."""
        if self.inbox is None:
            with self.engine.connect() as conn:
                return waiting_before(conn, None, before)
        with self._reading, self.inbox.connect().execution_options(**READ_ONLY) as receipts, \
                self.main.connect() as progress:
            return waiting_before(receipts, progress, before)

    def reclaim(self) -> None:
        """After a purge on SQLite: the deleted receipts' text leaves the inbox file too (VACUUM)."""
        if self.inbox is None or self._in_memory:
            return
        with self.write_lock or contextlib.nullcontext():
            vacuum_sqlite(self.inbox)

    @property
    def own_file(self) -> bool:
        return self.inbox is not None

    def waiting(self, session: Session, limit: int) -> list[Receipt]:
        """The oldest ``limit`` receipts not triaged yet, in order, their events parsed (``session``: the main
        database's)."""
        if self.inbox is None:
            return [_parsed(r, r.done) for r in session.execute(_WAITING, {"limit": limit}).all()]
        with self._reading, self.inbox.connect().execution_options(**READ_ONLY) as conn:
            rows = conn.execute(_WAITING, {"limit": limit}).all()
        progress = {p.receipt_id: p for p in session.execute(_READ_PROGRESS, {"ids": [r.id for r in rows]})} \
            if rows else {}
        finished = [progress[r.id] for r in rows if r.id in progress and progress[r.id].state != "accepted"]
        if finished:  # triaged, but a crash came before the copy to the inbox: copied now
            self.copy_to_inbox([_params(p.receipt_id, p.done, p.state, p.triaged_at) for p in finished])
        return [_parsed(r, r.done if p is None else p.done) for r in rows
                if (p := progress.get(r.id)) is None or p.state == "accepted"]

    def lock_progress(self, session: Session, receipts: Iterable[Receipt]) -> None:
        """Read (and on PostgreSQL lock) the receipts' progress again: another worker may have triaged them."""
        by_id = {r.id: r for r in receipts}
        if not by_id:
            return
        if self.inbox is None:
            found = session.execute(_LOCK_RECEIPTS, {"ids": list(by_id)}).all()
        else:  # SQLite: the transaction holds the writer lock already (BEGIN IMMEDIATE)
            found = [(p.receipt_id, p.done, p.state) for p in session.execute(_READ_PROGRESS, {"ids": list(by_id)})]
        for rid, done, state in found:
            by_id[rid].done, by_id[rid].state = done, state

    def write_progress(self, session: Session, receipts: Iterable[Receipt]) -> None:
        """Record the receipts' progress in the transaction of their effects."""
        rows = [_params(r.id, r.done, r.state, r.triaged_at) for r in receipts]
        if not rows:
            return
        if self.inbox is None:
            session.execute(_UPDATE_RECEIPTS, rows)
            return
        session.execute(_UPSERT_PROGRESS, rows)
        written = session.info.get(_WRITTEN)
        if written is None:
            written = session.info[_WRITTEN] = {}
            after_commit(session, lambda: self.copy_to_inbox(list(written.values())))
        written.update({row["rid"]: row for row in rows})

    def copy_progress(self, receipts: Iterable[Receipt]) -> None:
        """SQLite: copy the receipts' progress, as they hold it, to their own columns in the inbox now."""
        if self.inbox is not None:
            self.copy_to_inbox([_params(r.id, r.done, r.state, r.triaged_at) for r in receipts])

    def state_of(self, receipt_id: int) -> str | None:
        """Where triage stands with the receipt (SQLite: ``alert_progress`` where it has a row), or None when no
        receipt has that id (never accepted, or deleted by the purge)."""
        query = select(_R.state).where(_R.id == receipt_id)
        if self.inbox is None:
            with self.engine.connect() as conn:
                return conn.execute(query).scalar()
        with self._reading, self.inbox.connect().execution_options(**READ_ONLY) as conn:
            state = conn.execute(query).scalar()
        if state is None:
            return None
        with self.main.connect() as conn:
            return conn.execute(select(_P.state).where(_P.receipt_id == receipt_id)).scalar() or state

    def put_back(self, session: Session, receipt: Receipt) -> None:
        """Put a receipt triage had finished back to be triaged (``receipt.state`` "accepted" again), in
        ``session``'s transaction.  SQLite: the inbox copy is written before that transaction commits, not only
        after it: the triage pass reads only the receipts the inbox says are waiting, and a crash between the
        commit and a later copy would leave the receipt put back where nobody takes it; a crash before the
        commit leaves the inbox saying "accepted" where ``alert_progress`` does not, which the next pass corrects
        (:meth:`waiting`)."""
        self.copy_progress([receipt])
        self.write_progress(session, [receipt])

    def set_aside(self) -> list[Any]:
        """The receipts triage set aside, oldest first (:func:`set_aside_receipts`)."""
        if self.inbox is None:
            with self.engine.connect() as conn:
                return set_aside_receipts(conn, None)
        with self._reading, self.inbox.connect().execution_options(**READ_ONLY) as receipts, \
                self.main.connect() as progress:
            return set_aside_receipts(receipts, progress)

    def copy_to_inbox(self, rows: list[dict[str, Any]]) -> None:
        """Copy committed progress to the receipts' own columns in the inbox (a crash before it loses nothing)."""
        assert self.inbox is not None and self.write_lock is not None
        with self.write_lock, self.inbox.begin() as conn:
            conn.execute(_UPDATE_RECEIPTS, rows)

    def add(self, session: Session, row: dict[str, Any], *, key: str) -> None:
        """Store a receipt made by the bot itself (a heartbeat's alert) with the change in ``session`` that
        caused it; ``key`` names it (e.g. the heartbeat and the beat its miss counts from).  PostgreSQL: in that
        transaction, so both or neither are stored.  SQLite: committed in the inbox before that transaction
        (which is still open), unless a receipt with that key is there already: the caller's transaction
        rolled back, or the process died, after this commit and before its own, and the caller is repeating
        it; the receipt is then not stored twice (:meth:`stored_at` says so to a caller whose own record was lost).
        """
        if self.inbox is None:
            session.add(AlertReceipt(**row))
            return
        from bot.alerts.inbox_file import INBOX_RECEIPTS

        assert self.write_lock is not None
        statement = sqlite_insert(INBOX_RECEIPTS).on_conflict_do_nothing(index_elements=["dedup_key"])
        with self.write_lock, self.inbox.begin() as conn:
            conn.execute(statement, {**row, "dedup_key": key})

    def stored_at(self, key: str) -> datetime | None:
        """SQLite: when the bot's own receipt ``key`` was stored in the inbox (committed there, whatever became
        of the main transaction that wrote it), or None.  PostgreSQL: always None (the main transaction's
        record decides alone)."""
        if self.inbox is None:
            return None
        from bot.alerts.inbox_file import INBOX_RECEIPTS

        column = INBOX_RECEIPTS.c
        with self._reading, self.inbox.connect().execution_options(**READ_ONLY) as conn:
            found = conn.execute(select(column.received_at).where(column.dedup_key == key)).first()
        return None if found is None else ensure_utc(found.received_at)


@dataclass(frozen=True)
class Waiting:
    """Receipts not triaged yet: how many, and when the oldest was received."""

    count: int
    oldest: datetime | None


def waiting_before(receipts: Connection, progress: Connection | None, before: datetime) -> Waiting:
    """The receipts received before ``before`` that triage has not finished (``receipts``: where they are;
    ``progress``: on SQLite, the main database, whose ``alert_progress`` may say a receipt is triaged before the
    inbox copy does).  Used by the purge, which keeps them, and by ``incident-bot check`` (a stuck triage)."""
    rows = receipts.execute(select(_R.id, _R.received_at).where((_R.state == "accepted") & (_R.received_at < before))
                            .order_by(_R.id)).all()
    if rows and progress is not None:
        finished = {rid for (rid,) in progress.execute(
            select(_P.receipt_id).where((_P.receipt_id >= rows[0].id) & (_P.state != "accepted")))}
        rows = [r for r in rows if r.id not in finished]
    return Waiting(len(rows), min(ensure_utc(r.received_at) for r in rows) if rows else None)


def set_aside_receipts(receipts: Connection, progress: Connection | None) -> list[Any]:
    """The receipts triage set aside (:mod:`bot.alerts.set_aside`) and nobody dealt with yet, oldest first: id,
    source, format, received_at, events, done, state (``progress``: on SQLite the main database, whose
    ``alert_progress`` decides: it may say a receipt is set aside, or was dismissed, before the inbox copy does;
    a receipt it says was put back but the inbox still holds set aside is listed: nobody triages it)."""
    columns = select(_R.id, _R.source, _R.format, _R.received_at, _R.events, _R.done, _R.state).order_by(_R.id)
    if progress is None:
        return receipts.execute(columns.where(_R.state == "set_aside")).all()
    ids = {rid for (rid,) in progress.execute(select(_P.receipt_id).where(_P.state == "set_aside"))}
    where = (_R.state == "set_aside") | (_R.id.in_(sorted(ids))) if ids else _R.state == "set_aside"
    found = receipts.execute(columns.where(where)).all()
    finished = {rid for (rid,) in progress.execute(
        select(_P.receipt_id).where(_P.receipt_id.in_([r.id for r in found]) & _P.state.in_(FINISHED)))} \
        if found else set()
    return [r for r in found if r.id not in finished]


def new_receipt(source: str, fmt: str, received_at: datetime, events: Iterable[AlertEvent]) -> dict[str, Any]:
    """The row of a receipt just accepted (nothing triaged yet)."""
    return {"source": source, "format": fmt, "received_at": received_at, "events": [e.to_json() for e in events],
            "done": 0, "state": "accepted", "triaged_at": None}


def _parsed(row: Any, done: int) -> Receipt:
    """A receipt still waiting, its events parsed, ``done`` of them triaged."""
    return Receipt(row.id, row.source, row.format, [AlertEvent.from_json(e) for e in row.events], done, "accepted")


def _params(rid: int, done: int, state: str, triaged_at: Any) -> dict[str, Any]:
    return {"rid": rid, "to_done": done, "to_state": state, "to_triaged_at": triaged_at}
