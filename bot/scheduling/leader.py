"""One active scheduler: a lock that exactly one process holds while it runs jobs.

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on
  a dedicated connection.  When the holder dies its connection closes and the
  lock is free at once; if its host vanishes without closing the socket, the
  server's TCP keepalives (set on that connection: 5 s idle, 3 probes 2 s
  apart) drop it within about 11 s.  Standbys try again every
  ``retry_seconds``.
* SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock``.  The
  operating system releases it when the holder dies.  SQLite is a single-host
  database, so this covers every process that can open it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from bot.store.advisory import advisory_key

log = logging.getLogger(__name__)

LOCK_NAME = "incident-bot:scheduler"


class LeaderLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if free; True if this process now holds it."""

    def still_held(self) -> bool:
        """False once the lock may have passed to another process (e.g. its connection broke)."""

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    def __init__(self, engine: Engine, name: str = LOCK_NAME, *, application_name: str | None = None) -> None:
        url = engine.url
        # A connection of its own, outside the pool: the lock lives and dies with it.
        extra = {"application_name": application_name} if application_name else {}
        self._engine = create_engine(url, poolclass=NullPool, connect_args={
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
            "connect_timeout": 5, **extra})
        self._key = advisory_key(name)
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return self.still_held()
        try:
            conn = self._engine.connect()
            conn.execute(text("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
                              "SET tcp_keepalives_count = 3"))
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar())
            conn.commit()
        except Exception as exc:  # noqa: BLE001 - the database may be down; try again later
            log.warning("could not ask for the scheduler lock: %s", exc)
            return False
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except Exception as exc:  # noqa: BLE001 - a broken connection means the lock is gone
            log.error("scheduler lock connection lost (%s); stepping down", exc)
            self._drop()
            return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing the connection frees the lock anyway
                pass
            self._conn = None
        self._engine.dispose()


class FileLock:
    """Exclusive ``flock`` on a file (POSIX); held until released or the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._releasing = threading.Lock()

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Idempotent, and safe from two threads at once (the scheduler's stop and its leadership loop): the
        descriptor is taken before it is closed, so it is closed once; closing a number twice would close
        whatever file the process opened under that number meanwhile."""
        with self._releasing:
            fd, self._fd = self._fd, None
        if fd is not None:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class AlwaysLeader:
    """For an in-memory database: only this process can see it."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        return None


def leader_lock_for(engine: Engine) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return FileLock(Path(database + ".scheduler.lock"))
    return AlwaysLeader()


# --- delivering workers: each holds a lock of its own while it may have rows in 'sending' -------------

WORKER_LOCK_PREFIX = "incident-bot:outbox-worker:"
WORKER_APPLICATION = "incident-bot-outbox-worker"  # the application_name of each worker's lock connection


def _worker_file(engine: Engine, worker_id: str) -> Path | None:
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in worker_id)
        return Path(f"{database}.worker-{safe}.lock")
    return None


def worker_lock_for(engine: Engine, worker_id: str) -> LeaderLock:
    """The lock a delivering worker holds while it runs: while it is held, the rows it claimed are its own."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine, WORKER_LOCK_PREFIX + worker_id, application_name=WORKER_APPLICATION)
    path = _worker_file(engine, worker_id)
    return FileLock(path) if path is not None else AlwaysLeader()


def worker_alive(engine: Engine, worker_id: str) -> bool:
    """Does the worker ``worker_id`` still hold its lock? False once its process is gone (its connection
    closed, its file lock released by the operating system)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            free = bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                     {"k": advisory_key(WORKER_LOCK_PREFIX + worker_id)}).scalar())
            conn.commit()  # a transaction-level lock: released at once
        return not free
    path = _worker_file(engine, worker_id)
    if path is None:
        return False  # an in-memory database: only this process can have claimed rows
    probe = FileLock(path)
    if not probe.try_acquire():
        return True
    probe.release()
    path.unlink(missing_ok=True)
    return False

