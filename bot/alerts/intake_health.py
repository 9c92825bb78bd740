"""What ``incident-bot check`` finds wrong with the alert intake's stored state, each with how to fix it.

* **SQLite**: the inbox file beside the main one (:mod:`bot.alerts.inbox_file`), if it exists: its schema
  version (a file written by a newer version of the bot is refused, as triage refuses it), its permissions
  (owner only, 0600: it holds the alerts' words), and its receipts waiting for triage longer than
  ``stuck_after`` (a stuck triage; the main file's ``alert_progress`` is read too, where a receipt may be
  triaged before the inbox copy says so), and the receipts triage set aside (:mod:`bot.alerts.set_aside`:
  their triage failed again and again, nobody was paged for them) until a person put them back or dismissed
  them (``incident-bot alerts``; the main file's ``alert_progress`` decides where the inbox copy is behind).
* **PostgreSQL**: the same two checks on the ``alert_receipt`` table.

Everything is read only: the files are opened read-only (nothing is created, migrated, adopted or fixed), and
nothing is done where there is no database yet (``check`` also runs on a checkout, before any bot ran).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

STUCK_AFTER = timedelta(minutes=5)  # triage takes a receipt within seconds while the bot runs


def intake_problems(now: datetime, *, stuck_after: timedelta = STUCK_AFTER,
                    database_url: str | None = None) -> list[str]:
    """The problems found, as sentences (none: nothing wrong, or nothing stored yet).  ``database_url``:
    default ``DATABASE_URL``, else the default SQLite file, as the bot itself chooses."""
    from bot.store.database import DEFAULT_SQLITE_PATH, normalise_url

    url = database_url or os.environ.get("DATABASE_URL")
    if not url:
        return _sqlite_problems(DEFAULT_SQLITE_PATH, now, stuck_after)
    from sqlalchemy.engine import make_url

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        return _sqlite_problems(Path(database), now, stuck_after) if database and database != ":memory:" else []
    return _server_problems(parsed, now, stuck_after)


def _sqlite_problems(main: Path, now: datetime, stuck_after: timedelta) -> list[str]:
    from bot.alerts.inbox_file import SCHEMA_VERSION, inbox_path, newer_version_message

    inbox = inbox_path(str(main))
    if not inbox.exists():
        return []  # no alert accepted yet (the bot creates it on the first)
    problems = []
    mode = stat.S_IMODE(inbox.stat().st_mode)
    if mode & 0o077:
        problems.append(f"alert inbox {inbox}: mode {mode:04o}, others may read the alerts' words; it must be "
                        f"readable by its owner only: chmod 600 {inbox}")
    try:
        with contextlib.closing(_read_only(inbox)) as raw:
            version = raw.execute("SELECT max(version) FROM alert_inbox_schema").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return problems + [f"alert inbox {inbox}: cannot be read as an alert inbox ({exc}); restore it from the "
                           "backup taken with the main database"]
    if version is not None and version > SCHEMA_VERSION:
        return problems + [newer_version_message(str(inbox), version)]
    problems += _unrecorded_purges(inbox)
    receipts = _read_only_engine(inbox)
    progress = _read_only_engine(main) if _has_progress(main) else None
    try:
        with receipts.connect() as conn:
            if progress is None:
                return problems + _stuck(conn, None, now, stuck_after)
            with progress.connect() as main_conn:
                return problems + _stuck(conn, main_conn, now, stuck_after)
    finally:
        receipts.dispose()
        if progress is not None:
            progress.dispose()


def _unrecorded_purges(inbox: Path) -> list[str]:
    """SQLite: a purge that deleted receipts and stopped before recording it leaves its record in the inbox's
    journal (:mod:`bot.purge.alert_intake`); the chain lacks that ``audit.purged`` event until a purge runs."""
    try:
        with contextlib.closing(_read_only(inbox)) as raw:
            entries = raw.execute("SELECT count(*) FROM alert_purge_journal").fetchone()[0]
    except sqlite3.OperationalError:  # an inbox from before the journal: nothing can wait there
        return []
    if not entries:
        return []
    return [f"alert inbox {inbox}: {entries} deletion(s) of alert receipts by a purge that stopped before it "
            "recorded them on the audit chain: run `incident-bot purge` again, which records each once"]


def _server_problems(url: Any, now: datetime, stuck_after: timedelta) -> list[str]:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.error_text import database_error_text

    options = {"connect_args": {"connect_timeout": 10}} if url.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, **options)  # an unreachable server is reported, not waited for
    try:
        with engine.connect() as conn:
            return _stuck(conn, None, now, stuck_after)
    except SQLAlchemyError as exc:
        return [f"alert receipts in {url.render_as_string(hide_password=True)} cannot be read "
                f"({database_error_text(exc)}): is the database up, and migrated (incident-bot db upgrade)?"]
    finally:
        engine.dispose()


def _stuck(receipts: Any, progress: Any, now: datetime, stuck_after: timedelta) -> list[str]:
    from bot.alerts.receipts import waiting_before

    set_aside = _set_aside(receipts, progress)
    waiting = waiting_before(receipts, progress, now - stuck_after)
    if not waiting.count:
        return set_aside
    minutes = int(stuck_after.total_seconds() // 60)
    return set_aside + [
        f"alert triage is stuck: {waiting.count} alert receipt(s) waiting longer than {minutes} minute(s), the "
        f"oldest received {waiting.oldest.isoformat()}: is the triage worker running (incident-bot serve, or "
        "the scheduler worker with serve --no-scheduler)? Its log says why it stopped. The alerts are kept, "
        "and triaged once it runs"]


def _set_aside(receipts: Any, progress: Any) -> list[str]:
    from bot.alerts.receipts import set_aside_receipts
    from bot.alerts.set_aside import ATTEMPTS
    from bot.clock import ensure_utc

    found = set_aside_receipts(receipts, progress)
    if not found:
        return []
    listed = ", ".join(f"{r.id} (from {r.source}, received {ensure_utc(r.received_at).isoformat()})"
                       for r in found[:20])
    more = f" and {len(found) - 20} more" if len(found) > 20 else ""
    return [f"alert triage set aside {len(found)} alert receipt(s) whose triage failed {ATTEMPTS} times, nobody "
            f"paged for their alerts: receipt(s) {listed}{more}. Each has an alert.set_aside event on the global "
            "chain with the error (the bot's log has its trace): handle the alerts by hand in their senders, and "
            "report the error as a bug. The receipts are kept, not purged, until a person deals with each: "
            "`incident-bot alerts retriage ID --by PERSON --reason TEXT` once the cause is fixed, or `incident-bot "
            "alerts dismiss ID ...` once handled by hand (docs/alerts.md: an alert triage cannot handle is set "
            "aside)"]


def _has_progress(main: Path) -> bool:
    """Does the main file hold triage's progress (it exists, and is migrated)?"""
    if not main.exists():
        return False
    try:
        with contextlib.closing(_read_only(main)) as raw:
            return raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'alert_progress'").fetchone() is not None
    except sqlite3.DatabaseError:
        return False


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _read_only_engine(path: Path) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine("sqlite://", creator=lambda: _read_only(path), poolclass=NullPool)


__all__ = ["STUCK_AFTER", "intake_problems"]
