"""SQLite: the receipts in a database file of their own, triage's progress in the main database beside its
effects; restarts and crashes between the two; upgrading with receipts left in the main database."""

from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from bot.alerts.events import AlertEvent
from bot.alerts.inbox import Inbox
from bot.alerts.inbox_file import SCHEMA_VERSION, InboxFromNewerVersion, adopt_main_receipts, inbox_path, open_inbox
from bot.alerts.receipts import Receipts
from bot.alerts.tables import AlertGroup, AlertReceipt
from bot.alerts.triage import Triage
from bot.store.database import Store, make_engine
from tests.alerts.conftest import TOKENS, fixture
from tests.alerts.test_triage import accept_am, dispositions, rows
from tests.conftest import test_database_url as database_under_test

sqlite_only = pytest.mark.skipif(database_under_test() is not None, reason="PostgreSQL keeps one database")


class Crash(Exception):
    pass


def _main_receipt_count(store) -> int:
    with store.engine.connect() as conn:  # the main database itself, not the session's binding
        return conn.execute(text("SELECT count(*) FROM alert_receipt")).scalar_one()


def _reopened(store) -> Store:
    """The same database opened again, as a restarted process would."""
    return Store(make_engine(store.engine.url.render_as_string(hide_password=False)))


def test_inbox_file_is_named_after_the_main_file():
    assert inbox_path("var/incident.db") == Path("var/incident.alert-inbox.db")
    assert inbox_path("/srv/bot/incident-bot.sqlite3") == Path("/srv/bot/incident-bot.alert-inbox.sqlite3")
    assert inbox_path("data/bot") == Path("data/bot.alert-inbox.db")


@sqlite_only
def test_receipts_go_to_an_owner_only_file_of_their_own(inbox, store):
    accepted = accept_am(inbox)
    path = inbox_path(store.engine.url.database)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT id, source, state FROM alert_receipt").fetchall() == [
            (accepted.receipt, "prometheus", "accepted")]
        assert raw.execute("SELECT version FROM alert_inbox_schema").fetchall() == [(SCHEMA_VERSION,)]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert _main_receipt_count(store) == 0


@sqlite_only
def test_an_in_memory_main_database_gets_an_in_memory_inbox(alerts_config, night_clock):
    from bot.store import migrate

    store = Store(make_engine("sqlite://"))
    migrate.upgrade(store.engine)
    try:
        accepted = Inbox(store, lambda: alerts_config, night_clock, environ=TOKENS).webhook(
            "prometheus", TOKENS["T_AM"], fixture("alertmanager_firing.json"))
        places = Receipts.of(store)
        assert places.inbox is not None and places.inbox.url.database in (None, "", ":memory:")
        assert [r.id for r in rows(store, AlertReceipt)] == [accepted.receipt]
    finally:
        store.dispose()


def test_restart_between_accept_and_triage_triages_once(inbox, store, alerts_config, night_clock, incidents):
    accept_am(inbox)
    inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture("generic_firing.json"))
    restarted = _reopened(store)
    try:
        triage = Triage(restarted, lambda: alerts_config, night_clock, incidents)
        assert [d.kind for d in triage.run_pending()] == ["incident", "suppressed"]  # the generic one: a silence
        assert triage.run_pending() == []
        assert [r.state for r in rows(restarted, AlertReceipt)] == ["triaged", "triaged"]
    finally:
        restarted.dispose()
    assert len(dispositions(store)) == 2


def test_crash_after_the_main_commit_before_the_inbox_copy_triages_nothing_twice(
        inbox, store, alerts_config, night_clock, incidents, monkeypatch):
    accept_am(inbox)
    accept_am(inbox)  # a repeat: grouped
    own_file = Receipts.of(store).own_file

    def dies(self, rows_):
        raise Crash()  # the main transaction committed; the process dies before the inbox is told

    with monkeypatch.context() as patch:
        patch.setattr(Receipts, "copy_to_inbox", dies)
        triage = Triage(store, lambda: alerts_config, night_clock, incidents)
        if own_file:
            with pytest.raises(Crash):
                triage.run_pending()
        else:  # PostgreSQL: the progress is the receipt's own row, written with the effects
            triage.run_pending()
    first = ["alert.incident"] if own_file else ["alert.incident", "alert.grouped"]
    assert [e.kind for e in dispositions(store)] == first, "the first alert's effects committed"
    again = [d.kind for d in Triage(store, lambda: alerts_config, night_clock, incidents).run_pending()]
    assert again == (["grouped"] if own_file else []), "the first alert is not triaged again"
    kinds = sorted(e.kind for e in dispositions(store))
    assert kinds == ["alert.grouped", "alert.incident"], "each alert triaged exactly once"
    assert len(rows(store, AlertGroup)) == 1
    assert [r.state for r in rows(store, AlertReceipt)] == ["triaged", "triaged"], "the inbox caught up"


def _old_receipt(conn, events: list[AlertEvent], done: int, state: str, at, rid: int | None = None) -> int:
    return conn.execute(insert(AlertReceipt.__table__).values(  # type: ignore[attr-defined]
        source="prometheus", format="alertmanager", received_at=at, events=[e.to_json() for e in events],
        done=done, state=state, triaged_at=at if state == "triaged" else None, **({"id": rid} if rid else {}))
    ).inserted_primary_key[0]


def test_upgrade_keeps_the_receipts_left_in_the_main_database(store, alerts_config, night_clock, incidents):
    # Written by the previous version, which kept receipts in the main database: one triaged, one half-triaged
    # (its first event handled), one not started.
    at = night_clock.now() - timedelta(minutes=1)
    fire = AlertEvent(action="trigger", key="old-1", summary="old disk full", labels={"severity": "critical"})
    other = AlertEvent(action="trigger", key="old-2", summary="old queue stuck", labels={"severity": "critical"})
    with store.engine.begin() as conn:
        old = [_old_receipt(conn, [fire], 1, "triaged", at), _old_receipt(conn, [fire, other], 1, "accepted", at),
               _old_receipt(conn, [other], 0, "accepted", at)]
    triage = Triage(store, lambda: alerts_config, night_clock, incidents)
    got = [(d.receipt, d.index, d.kind) for d in triage.run_pending()]
    assert got == [(old[1], 1, "incident"), (old[2], 0, "grouped")], "the unfinished ones, from where they stopped"
    assert triage.run_pending() == []
    assert [(r.id, r.done, r.state) for r in rows(store, AlertReceipt)] == [
        (old[0], 1, "triaged"), (old[1], 2, "triaged"), (old[2], 1, "triaged")]
    new = Inbox(store, lambda: alerts_config, night_clock, environ=TOKENS).webhook(
        "prometheus", TOKENS["T_AM"], fixture("alertmanager_firing.json"))
    assert new.receipt > max(old), "a new receipt never reuses an old one's id"
    if Receipts.of(store).own_file:
        assert _main_receipt_count(store) == 0, "moved into the inbox file"


@sqlite_only
def test_moving_old_receipts_can_be_repeated_after_a_crash_at_any_step(store, alerts_config, night_clock,
                                                                        incidents):
    at = night_clock.now()
    fire = AlertEvent(action="trigger", key="old-1", summary="old disk full", labels={"severity": "critical"})
    with store.engine.begin() as conn:
        _old_receipt(conn, [fire, fire], 1, "accepted", at, rid=3)
    places = Receipts.of(store)  # moves it
    assert adopt_main_receipts(store.engine, places.inbox) == 0
    with store.engine.begin() as conn:
        _old_receipt(conn, [fire, fire], 1, "moving", at, rid=3)  # died after copying, before deleting
        _old_receipt(conn, [fire, fire], 1, "moving", at, rid=4)  # died after recording progress, before copying
        conn.execute(text("INSERT INTO alert_progress (receipt_id, done, state) VALUES (4, 1, 'accepted')"))
    assert adopt_main_receipts(store.engine, places.inbox) == 2
    got = [(d.receipt, d.index, d.kind) for d in Triage(store, lambda: alerts_config, night_clock, incidents).run_pending()]
    assert got == [(3, 1, "incident"), (4, 1, "grouped")], "each from the event it had reached before the upgrade"
    assert [(r.id, r.state) for r in rows(store, AlertReceipt)] == [(3, "triaged"), (4, "triaged")]
    assert _main_receipt_count(store) == 0


@sqlite_only
def test_an_inbox_written_by_a_newer_version_is_refused(inbox, store):
    accept_am(inbox)
    with sqlite3.connect(inbox_path(store.engine.url.database)) as raw:
        raw.execute("UPDATE alert_inbox_schema SET version = ?", (SCHEMA_VERSION + 1,))
    restarted = _reopened(store)
    try:
        with pytest.raises(InboxFromNewerVersion, match="newer version of the bot"):
            Receipts.of(restarted)
    finally:
        restarted.dispose()


@sqlite_only
def test_an_inbox_without_dedup_keys_gains_them_and_keeps_its_receipts(tmp_path):
    """A file written before the bot's own receipts carried a key: the column and its unique index are added."""
    path = tmp_path / "old.alert-inbox.db"
    with sqlite3.connect(path) as raw:
        raw.executescript(
            "CREATE TABLE alert_inbox_schema (version INTEGER NOT NULL); INSERT INTO alert_inbox_schema VALUES (1);"
            "CREATE TABLE alert_receipt (id INTEGER PRIMARY KEY AUTOINCREMENT, source VARCHAR(64) NOT NULL, "
            "format VARCHAR(16) NOT NULL, received_at DATETIME NOT NULL, events JSON NOT NULL, "
            "done INTEGER NOT NULL DEFAULT 0, state VARCHAR(16) NOT NULL DEFAULT 'accepted', triaged_at DATETIME);"
            "INSERT INTO alert_receipt (source, format, received_at, events) VALUES "
            "('prometheus', 'alertmanager', '2026-12-01 10:00:00', '[]');")
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    inbox = open_inbox(engine)
    try:
        with inbox.connect() as conn:
            assert conn.execute(text("SELECT id, source, dedup_key FROM alert_receipt")).all() == [
                (1, "prometheus", None)]
            indexes = [r[1] for r in conn.execute(text("PRAGMA index_list(alert_receipt)"))]
            assert "ux_alert_receipt_dedup_key" in indexes
            assert conn.execute(text("SELECT version FROM alert_inbox_schema")).scalar_one() == SCHEMA_VERSION
    finally:
        inbox.dispose()
        engine.dispose()
