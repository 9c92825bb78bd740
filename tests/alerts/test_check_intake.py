"""``incident-bot check`` on the alert intake: a stuck triage (both databases), and on SQLite the inbox file's
permissions and schema version; each a sentence saying what is wrong and how to fix it, exit 2."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from bot.alerts.inbox import Inbox
from bot.alerts.inbox_file import SCHEMA_VERSION, inbox_path
from bot.alerts.intake_health import intake_problems
from bot.alerts.triage import Triage
from bot.clock import ManualClock
from bot.incidents.service import IncidentService
from tests.alerts.conftest import TOKENS, fixture, write_alerts_config
from tests.conftest import test_database_url as database_under_test

sqlite_only = pytest.mark.skipif(database_under_test() is not None, reason="the inbox file is SQLite's")
RECEIVED = datetime.now(timezone.utc) - timedelta(minutes=10)  # `check` compares with the real time


@pytest.fixture
def received(store, alerts_config):
    """An inbox whose clock says ten minutes ago, an alert accepted then, and the triage that has not run."""
    clock = ManualClock(RECEIVED)
    inbox = Inbox(store, lambda: alerts_config, clock, environ=TOKENS)
    inbox.webhook("prometheus", TOKENS["T_AM"], fixture("alertmanager_firing.json"))
    return Triage(store, lambda: alerts_config, clock, IncidentService(store, lambda: alerts_config, clock))


def test_a_receipt_waiting_longer_than_the_threshold_is_a_stuck_triage(received, database_url):
    assert intake_problems(RECEIVED + timedelta(minutes=4), database_url=database_url) == []
    [problem] = intake_problems(RECEIVED + timedelta(minutes=6), database_url=database_url)
    assert problem.startswith("alert triage is stuck: 1 alert receipt(s) waiting longer than 5 minute(s)")
    assert RECEIVED.isoformat() in problem and "is the triage worker running" in problem
    received.run_pending()
    assert intake_problems(RECEIVED + timedelta(minutes=6), database_url=database_url) == []


@sqlite_only
def test_a_receipt_triaged_before_the_inbox_copy_is_not_stuck(received, store, database_url, monkeypatch):
    from bot.alerts.receipts import Receipts

    monkeypatch.setattr(Receipts, "copy_to_inbox", lambda self, rows: None)  # the process died before the copy
    received.run_pending()
    assert intake_problems(RECEIVED + timedelta(minutes=6), database_url=database_url) == []


@sqlite_only
def test_an_inbox_others_may_read_is_reported_with_the_fix(received, store, database_url):
    path = inbox_path(store.engine.url.database)
    os.chmod(path, 0o644)
    problems = intake_problems(RECEIVED, database_url=database_url)
    assert problems == [f"alert inbox {path}: mode 0644, others may read the alerts' words; it must be readable "
                        f"by its owner only: chmod 600 {path}"]


@sqlite_only
def test_an_inbox_from_a_newer_version_is_refused_and_left_as_it_is(received, store, database_url):
    path = inbox_path(store.engine.url.database)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alert_inbox_schema SET version = ?", (SCHEMA_VERSION + 1,))
    before = path.read_bytes()
    [problem] = intake_problems(RECEIVED + timedelta(hours=1), database_url=database_url)
    assert "was written by a newer version of the bot" in problem and "restore the inbox" in problem
    assert path.read_bytes() == before


@sqlite_only
def test_no_inbox_file_yet_is_nothing_to_report(tmp_path):
    assert intake_problems(RECEIVED, database_url=f"sqlite:///{tmp_path / 'never-ran.db'}") == []
    assert not list(tmp_path.iterdir()), "check creates nothing"


def test_check_command_exits_2_on_a_stuck_triage_and_0_once_triaged(received, database_url, tmp_path, monkeypatch,
                                                                    capsys):
    from bot.cli import main

    paths = write_alerts_config(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    args = ["check", "--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "1 problem(s) with the alert intake:" in err and "alert triage is stuck" in err
    assert main([*args, "--alerts-stuck-after", "20"]) == 0  # ten minutes is within twenty
    received.run_pending()
    assert main(args) == 0


def test_a_database_that_cannot_be_read_is_reported():
    [problem] = intake_problems(RECEIVED, database_url="postgresql+psycopg://postgres:secret@127.0.0.1:1/none")
    assert problem.startswith("alert receipts in postgresql+psycopg://postgres:***@127.0.0.1:1/none cannot be read")
    assert "incident-bot db upgrade" in problem
