"""Group commit of alert receipts: the receipts of all requests waiting are committed in one transaction.

A request hands its row to :meth:`GroupCommit.store` and waits.  The first
waiting request that finds no transaction under way becomes the writer: it
takes every row queued so far (its own and those of the requests that arrived
while the previous transaction ran), inserts them in one statement, commits,
and wakes their requests, each with its own receipt id.  So under load one
transaction (one write lock, one commit) serves many requests, and alone a
request writes its own row at once, with no hand-over to another thread.

The promise is unchanged: ``store`` returns only after the transaction holding
the row has committed, so the caller answers 2xx only for a stored alert.  If
a batch fails, its rows are retried one by one, so one bad row fails only its
own request.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable

from sqlalchemy import insert
from sqlalchemy.engine import Engine


class _Waiting:
    __slots__ = ("row", "id", "error", "finished")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.id: int | None = None
        self.error: BaseException | None = None
        self.finished = False


class GroupCommit:
    def __init__(self, engine: Engine, table: Any, *, write_lock: Any = None,
                 committed: Callable[[], None] | None = None) -> None:
        """``write_lock`` is held around each transaction (SQLite's write turns); ``committed()`` is called after
        each committed transaction (it wakes triage)."""
        self.engine = engine
        self.write_lock = write_lock if write_lock is not None else contextlib.nullcontext()
        self.committed = committed
        self._insert = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        self._single = insert(table)
        self._cond = threading.Condition()
        self._queue: list[_Waiting] = []
        self._writing = False

    def store(self, row: dict[str, Any]) -> int:
        """Insert ``row``; return its id once it is committed (raise what its insert raised)."""
        mine, batch = _Waiting(row), None
        with self._cond:
            self._queue.append(mine)
            while self._writing and not mine.finished:
                self._cond.wait()
            if not mine.finished:  # no transaction under way: write everything queued, mine included
                self._writing = True
                batch, self._queue = self._queue, []
        if batch is not None:
            try:
                self._write(batch)
            finally:
                with self._cond:
                    for w in batch:
                        w.finished = True
                    self._writing = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.id is not None
        return mine.id

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            with self.write_lock, self.engine.begin() as conn:
                ids = conn.execute(self._insert, [w.row for w in batch]).scalars().all()
            for w, rid in zip(batch, ids, strict=True):
                w.id = rid
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:  # one bad row must not fail the others: each alone
                for w in batch:
                    self._write_one(w)
        if self.committed is not None and any(w.id is not None for w in batch):
            self.committed()

    def _write_one(self, w: _Waiting) -> None:
        try:
            with self.write_lock, self.engine.begin() as conn:
                w.id = conn.execute(self._single, w.row).inserted_primary_key[0]
        except Exception as exc:
            w.error = exc
