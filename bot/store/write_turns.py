"""Taking turns at SQLite's one writer lock without SQLite's busy handler.

SQLite has a single writer.  A writer that finds the lock taken waits in
SQLite's busy handler, which sleeps between retries (1, 2, 5, 10 ... up to
100 ms) and is not fair: a writer that commits and begins again at once can
keep the lock for as long as it has work, and the others wait.  Writers that
must answer quickly (the alert intake) and writers that work through a backlog
(alert triage) therefore take turns on :class:`WriteTurns` around their
transactions: a thread lock within the process and an exclusive ``flock`` on
``<database file>.writes.lock`` across processes, so that a waiter is woken
the moment the holder is done.  PostgreSQL locks rows: there is nothing to
take turns on (:func:`write_turns_for` gives None).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine


class WriteTurns:
    """A context manager held by one thread of one process at a time."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: an in-memory database, which only this process can open
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> "WriteTurns":
        self._lock.acquire()
        if self.path is not None:
            import fcntl

            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise
        return self

    def __exit__(self, *_exc: Any) -> None:
        try:
            if self.path is not None and self._fd is not None:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _file(self) -> int:
        # One open file per process: a child made by fork must not share its parent's (flock is per open file).
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # type: ignore[arg-type]
            self._pid = os.getpid()
        return self._fd


def write_turns_for(engine: Engine) -> WriteTurns | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return WriteTurns(Path(database + ".writes.lock") if database and database != ":memory:" else None)
