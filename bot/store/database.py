"""Engine and unit-of-work sessions for SQLite (default) and PostgreSQL.

``DATABASE_URL`` selects the database.  The default is an SQLite file under
``./var/`` with WAL, ``busy_timeout`` and foreign keys switched on for every
connection.  PostgreSQL works with ``postgresql+psycopg://…`` (plain
``postgres://`` and ``postgresql://`` URLs are mapped to psycopg 3).

One :class:`Session` per unit of work (a request, a listener, a job): use
``store.session()`` as a context manager; it commits on success and rolls
back on any exception, so nothing is half-applied.
"""

from __future__ import annotations

import functools
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlmodel import Session, create_engine

from bot.store import error_text

DEFAULT_SQLITE_PATH = Path("var") / "incident-bot.db"
# A database error's text leaves out the statement's values: it is logged, kept as an outbox row's last error and
# told to people, and the values are rows (names, phone numbers, what people typed). The statement stays.
HIDE_PARAMETERS = True
# The driver's message quotes values too (PostgreSQL's DETAIL: "Key (email)=(…) already exists"): every engine's
# errors say bot.store.error_text's text instead.
error_text.install()


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - exercised via engine use
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN IMMEDIATE itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")  # before WAL: switching modes may need to wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted and overwritten text is zeroed, not left in free pages
    cursor.close()


# Execution option for a connection that only reads an SQLite database: its transaction begins DEFERRED and, in
# WAL mode, neither waits for the writer nor makes it wait (``engine.connect().execution_options(**READ_ONLY)``).
READ_ONLY = {"sqlite_read_only": True}


def _begin(conn) -> None:
    # Take the write lock when a transaction starts (BEGIN IMMEDIATE): a unit of work that
    # reads then writes can then never fail with "database is locked" halfway through.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("sqlite_read_only") else "BEGIN IMMEDIATE")


def sqlite_engine(url: str, *, echo: bool = False, **options) -> Engine:
    """An SQLite engine with the bot's pragmas (WAL, busy timeout, foreign keys) and BEGIN IMMEDIATE; a file
    database is created readable by its owner only. ``options`` go to ``create_engine`` (e.g. ``poolclass``)."""
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        _owner_only_file(Path(parsed.database))
    options.setdefault("hide_parameters", HIDE_PARAMETERS)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _begin)
    return engine


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    resolved = database_url(url)
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_engine(resolved, echo=echo)
    engine = create_engine(resolved, echo=echo, pool_size=5, max_overflow=10, hide_parameters=HIDE_PARAMETERS)
    event.listen(engine, "checkin", _idle_from)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


# A pooled connection idle at least this long is pinged before it is handed out (see :func:`_ping_if_idle`).
IDLE_PING_SECONDS = 2.0
_IDLE_SINCE = "idle_since"  # connection record info: time.monotonic() when it was returned to the pool


def _idle_from(_dbapi_connection, record) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, record, _proxy) -> None:
    """Pre-ping a pooled connection that sat idle for :data:`IDLE_PING_SECONDS` or more; a dead one is replaced (and,
    as with ``pool_pre_ping``, the pool's other connections with it) before the unit of work starts.

    ``pool_pre_ping`` pinged at every checkout: a round trip per transaction, which in a burst of deliveries is most
    transactions. A connection the server closed (a restart, an idle timeout, ``pg_terminate_backend``) has nearly
    always been idle for longer than that; one killed within the last seconds of its use fails its next unit of
    work, which rolls back (and the pool is renewed for the ones after)."""
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return  # a fresh connection, or one returned moments ago
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            raise InvalidatePoolError() from error
        raise


def _owner_only_file(path: Path) -> None:
    """The database holds personal data: create it (and its folder) readable by the owner only. SQLite gives its
    -wal and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


_AFTER_COMMIT = "after_commit"


def after_commit(session: Session, callback) -> None:
    """Call ``callback()`` once the unit of work of ``store.session()`` has committed and closed (not if it rolls
    back); an exception it raises reaches the caller of the unit of work."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def vacuum_sqlite(engine: Engine) -> None:
    """Move an SQLite file's WAL into it and VACUUM it: text deleted or redacted leaves the file."""
    raw = engine.raw_connection()
    try:
        for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
            raw.driver_connection.execute(statement)
    finally:
        raw.close()


class Store:
    """The database behind the bot: an engine plus unit-of-work sessions."""

    def __init__(self, engine: Engine) -> None:
        # Evidence rows go on their incident's chain by session listeners that each evidence table's module
        # installs when it registers the table (bot.audit.evidence.register), not by the store.
        self.engine = engine
        # Tables kept in a database of their own (on SQLite the alert receipts: bot.alerts.receipts): a session's
        # statements on them go there.
        self.binds: dict[Any, Engine] = {}

    @classmethod
    def connect(cls, url: str | None = None) -> "Store":
        return cls(make_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = Session(self.engine, expire_on_commit=False, binds=self.binds or None)
        try:
            yield session
            session.commit()
            then = session.info.pop(_AFTER_COMMIT, ())
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        for callback in then:
            callback()

    def reclaim(self) -> None:
        """After a purge: make redacted text unrecoverable from the files. SQLite: move the WAL into the database
        and VACUUM (a fresh file; with ``secure_delete`` freed pages were zeroed already). PostgreSQL: a plain
        VACUUM makes old row versions reusable but does not overwrite them (see docs/audit.md)."""
        if self.dialect != "sqlite":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM")
            return
        vacuum_sqlite(self.engine)

    def dispose(self) -> None:
        for engine in {self.engine, *self.binds.values()}:
            engine.dispose()
