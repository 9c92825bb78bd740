"""SQLite: the alert receipts in a database file of their own, beside the main one.

SQLite has one writer per file.  Triage's transactions (a declaration takes
50 to 70 ms) would make the intake's receipt inserts wait for the write lock;
with the receipts in ``<main>.alert-inbox.db`` (``incident-bot.db`` ->
``incident-bot.alert-inbox.db``; an in-memory main database gets an in-memory
inbox) accepting an alert never waits for triage.  The file is in WAL mode,
readable by its owner only like the main file, and is part of the data: back
it up with the main file (docs/alerts.md).

Its schema is created and checked here, not by Alembic (which migrates the
main database): a version row in ``alert_inbox_schema``; a file written by a
newer version of the bot is refused with :class:`InboxFromNewerVersion`.  An
addition that older versions can ignore keeps the version: ``dedup_key`` (the
receipts the bot makes itself, a heartbeat's alert, carry one, so that writing
one twice is a no-op: :mod:`bot.alerts.heartbeats`) is added to a file that
lacks it, and so is ``alert_purge_journal`` (what a retention purge deleted,
until its chain event is written: :mod:`bot.purge.alert_intake`); older
versions never read or write them.

Receipts accepted before the inbox file existed are in the main database's
``alert_receipt`` table; :func:`adopt_main_receipts` moves them here, their
progress first (see its docstring for why no step can lose or re-triage one).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from bot.alerts.tables import AlertProgress, AlertReceipt
from bot.store.database import sqlite_engine

SCHEMA_VERSION = 1
SUFFIX = ".alert-inbox"

# AUTOINCREMENT: an id is never used twice (the main database's progress rows refer to receipts by id).
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS alert_inbox_schema (version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alert_receipt (id INTEGER PRIMARY KEY AUTOINCREMENT, source VARCHAR(64) NOT NULL, "
    "format VARCHAR(16) NOT NULL, received_at DATETIME NOT NULL, events JSON NOT NULL, "
    "done INTEGER NOT NULL DEFAULT 0, state VARCHAR(16) NOT NULL DEFAULT 'accepted', triaged_at DATETIME)",
    "CREATE INDEX IF NOT EXISTS ix_alert_receipt_state ON alert_receipt (state)",
    "CREATE INDEX IF NOT EXISTS ix_alert_receipt_source ON alert_receipt (source)",
    # What a retention purge deleted here, written in the deletion's transaction, until its chain event is written
    # in the main database (bot.purge.alert_intake): a crash between the two files loses no record.
    "CREATE TABLE IF NOT EXISTS alert_purge_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, entry JSON NOT NULL)",
)
_DEDUP_COLUMN = "ALTER TABLE alert_receipt ADD COLUMN dedup_key VARCHAR(300)"
_DEDUP_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS ux_alert_receipt_dedup_key ON alert_receipt (dedup_key)"

_RECEIPTS = AlertReceipt.__table__  # type: ignore[attr-defined]
_PROGRESS = AlertProgress.__table__  # type: ignore[attr-defined]
# The inbox's receipts table as the bot's own receipts are written to it: the main table's columns and dedup_key.
INBOX_RECEIPTS = _RECEIPTS.to_metadata(MetaData())
INBOX_RECEIPTS.append_column(Column("dedup_key", String(300), nullable=True))
PURGE_JOURNAL = Table("alert_purge_journal", MetaData(), Column("id", Integer, primary_key=True),
                      Column("entry", JSON, nullable=False))
MOVING = "moving"  # a main-database receipt whose progress is recorded and which is being copied to the inbox


class InboxFromNewerVersion(RuntimeError):
    """The inbox file was written by a newer version of the bot."""


def inbox_path(main_database: str) -> Path:
    """``var/incident-bot.db`` -> ``var/incident-bot.alert-inbox.db``."""
    main = Path(main_database)
    return main.with_name(main.stem + SUFFIX + (main.suffix or ".db"))


def open_inbox(main: Engine) -> Engine:
    """The inbox engine for an SQLite main engine, its schema created or checked."""
    database = main.url.database
    if database and database != ":memory:":
        engine = sqlite_engine(f"sqlite:///{inbox_path(database)}")
    else:  # one connection shared by the process's threads: an in-memory database exists per connection
        engine = sqlite_engine("sqlite://", poolclass=StaticPool)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def ensure_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in _SCHEMA:
            conn.exec_driver_sql(statement)
        versions = [v for (v,) in conn.exec_driver_sql("SELECT version FROM alert_inbox_schema")]
        if not versions:
            conn.exec_driver_sql("INSERT INTO alert_inbox_schema (version) VALUES (?)", (SCHEMA_VERSION,))
        elif max(versions) > SCHEMA_VERSION:
            raise InboxFromNewerVersion(newer_version_message(engine.url.database or "(in memory)", max(versions)))
        if "dedup_key" not in {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(alert_receipt)")}:
            conn.exec_driver_sql(_DEDUP_COLUMN)
        conn.exec_driver_sql(_DEDUP_INDEX)


def newer_version_message(path: str, version: int) -> str:
    """What is wrong with an inbox file written by a newer version, and what to do (triage and ``check``)."""
    return (f"the alert inbox {path} was written by a newer version of the bot (inbox schema {version}; this "
            f"version knows up to {SCHEMA_VERSION}): run the newer version, or restore the inbox and the main "
            "database from the same backup")


def adopt_main_receipts(main: Engine, inbox: Engine) -> int:
    """Move the receipts of the main database's ``alert_receipt`` (accepted before the inbox file existed) into
    the inbox, with their ids; returns how many.  Three steps, each safe to repeat after a crash:

    1. main: each receipt's progress is recorded in ``alert_progress`` and the receipt marked ``moving``;
    2. inbox: the ``moving`` receipts are inserted (an id already there is skipped), and the inbox's ids are
       made to continue above the main table's;
    3. main: the ``moving`` receipts are deleted.

    Triage reads receipts from the inbox and progress from ``alert_progress``: before 2 a receipt waits, after
    it its progress is there, so none is lost or triaged twice."""
    r = _RECEIPTS.c
    with main.begin() as conn:
        top = conn.execute(select(r.id).order_by(r.id.desc()).limit(1)).scalar()
        if top is None:
            return 0
        fresh = conn.execute(select(r.id, r.done, r.state, r.triaged_at).where(r.state != MOVING)).all()
        if fresh:
            conn.execute(sqlite_insert(_PROGRESS).on_conflict_do_nothing(), [
                {"receipt_id": f.id, "done": f.done, "state": f.state, "triaged_at": f.triaged_at} for f in fresh])
            conn.execute(update(_RECEIPTS).where(r.state != MOVING).values(state=MOVING))
        moving = conn.execute(select(_RECEIPTS).where(r.state == MOVING)).all()
        progress = {p.receipt_id: p for p in conn.execute(select(_PROGRESS).where(
            _PROGRESS.c.receipt_id.in_(bindparam("ids", expanding=True))), {"ids": [m.id for m in moving]})}
    with inbox.begin() as conn:
        if moving:
            conn.execute(sqlite_insert(_RECEIPTS).on_conflict_do_nothing(), [
                {**m._asdict(), "done": progress[m.id].done, "state": progress[m.id].state,
                 "triaged_at": progress[m.id].triaged_at} for m in moving])
        conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) SELECT 'alert_receipt', 0 WHERE NOT EXISTS "
                             "(SELECT 1 FROM sqlite_sequence WHERE name = 'alert_receipt')")
        conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'alert_receipt'", (top,))
    with main.begin() as conn:
        conn.execute(delete(_RECEIPTS).where(r.state == MOVING))
    return len(moving)


__all__ = ["INBOX_RECEIPTS", "PURGE_JOURNAL", "InboxFromNewerVersion", "SCHEMA_VERSION", "adopt_main_receipts", "ensure_schema",
           "inbox_path", "newer_version_message", "open_inbox"]
