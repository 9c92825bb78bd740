"""A missed heartbeat raises exactly one alert per miss, whatever fails between the receipt and the monitor's
state: a rollback, or the process dying between the two commits (SQLite: the inbox file's and the main file's;
PostgreSQL: one transaction, the same scenario)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.alerts import heartbeats
from bot.alerts.tables import AlertGroup
from tests.alerts.conftest import TOKENS

ROOT = Path(__file__).resolve().parents[2]


class Rollback(Exception):
    pass


def _fail_after_the_receipt(monkeypatch) -> None:
    """The next heartbeat receipt is written, then its main transaction fails (and rolls back)."""
    real = heartbeats._receipt

    def write_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        monkeypatch.setattr(heartbeats, "_receipt", real)
        raise Rollback("the main transaction fails after the receipt was written")

    monkeypatch.setattr(heartbeats, "_receipt", write_then_fail)


def _groups(store) -> list[tuple[str, int, str]]:
    with store.session() as s:
        return [(g.key, g.alerts, g.status) for g in s.exec(select(AlertGroup).order_by(AlertGroup.id)).all()]


def test_a_rolled_back_check_raises_the_alert_once(inbox, triage, store, night_clock, monkeypatch):
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=10))
    _fail_after_the_receipt(monkeypatch)
    with pytest.raises(Rollback):
        triage.check_heartbeats()
    night_clock.advance(timedelta(seconds=5))
    assert "watchdog" in triage.check_heartbeats()  # the monitor's state records the miss now
    night_clock.advance(timedelta(seconds=5))
    assert triage.check_heartbeats() == []
    assert [d.kind for d in triage.run_pending() if "muted" not in d.summary] == ["incident"]
    assert _groups(store) == [("heartbeat:watchdog", 1, "open")]
    assert inbox.heartbeat("watchdog", TOKENS["T_HB"]) is True
    assert [d.kind for d in triage.run_pending()] == ["resolved"]


def test_a_beat_after_a_rolled_back_check_resolves_whatever_was_raised(inbox, triage, store, night_clock,
                                                                       monkeypatch):
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=10))
    _fail_after_the_receipt(monkeypatch)
    with pytest.raises(Rollback):
        triage.check_heartbeats()
    inbox.heartbeat("watchdog", TOKENS["T_HB"])  # the beat comes before the next check
    triage.run_pending()
    # SQLite: the receipt reached the inbox, so the alert was raised and the beat resolved it; PostgreSQL:
    # nothing was stored. Either way no alert is left open.
    assert all(status == "resolved" for _, _, status in _groups(store)), _groups(store)
    assert len(_groups(store)) <= 1


def test_a_rolled_back_beat_resolves_once(inbox, triage, store, night_clock, monkeypatch):
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=10))
    assert "watchdog" in triage.check_heartbeats()
    triage.run_pending()
    _fail_after_the_receipt(monkeypatch)
    with pytest.raises(Rollback):
        inbox.heartbeat("watchdog", TOKENS["T_HB"])
    assert inbox.heartbeat("watchdog", TOKENS["T_HB"]) is True  # the sender's retry
    assert [d.kind for d in triage.run_pending()] == ["resolved"]  # one resolve, not an "unmatched" second one
    assert _groups(store) == [("heartbeat:watchdog", 1, "resolved")]


def test_silence_after_a_rolled_back_beat_raises_the_next_miss(inbox, triage, store, night_clock, monkeypatch):
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=10))
    assert "watchdog" in triage.check_heartbeats()
    triage.run_pending()
    night_clock.advance(timedelta(minutes=1))
    _fail_after_the_receipt(monkeypatch)
    with pytest.raises(Rollback):
        inbox.heartbeat("watchdog", TOKENS["T_HB"])  # SQLite: its resolve reached the inbox; then the monitor died
    triage.run_pending()
    night_clock.advance(timedelta(minutes=10))
    # SQLite: the resolve ended the first miss, and the silence since is a second one; PostgreSQL: the beat left
    # nothing, the first miss goes on (its alert still open). Either way an alert is open now.
    triage.check_heartbeats()
    triage.run_pending()
    assert [status for _, _, status in _groups(store)][-1] == "open", _groups(store)
    night_clock.advance(timedelta(minutes=10))
    assert triage.check_heartbeats() == [], "one alert per miss"


CRASHING_CHECK = textwrap.dedent("""
    import os, sys
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    from sqlmodel import Session

    from bot.alerts import heartbeats
    from bot.alerts.config import Heartbeat
    from bot.store.database import Store, make_engine

    def die(self):  # the process dies after the receipt was written, before the main commit
        os._exit(17)

    Session.commit = die
    hb = Heartbeat(id="watchdog", every=timedelta(minutes=10), token_env="T_HB",
                   summary="Watchdog silent: the alerting pipeline may be down", labels={"severity": "critical"})
    heartbeats.check(Store(make_engine(sys.argv[1])), SimpleNamespace(heartbeats=[hb]),
                     datetime.fromisoformat(sys.argv[2]))
    sys.exit(0)
""")


def test_a_crash_between_the_two_commits_raises_the_alert_once(inbox, triage, store, night_clock, database_url):
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=10))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    crashed = subprocess.run([sys.executable, "-c", CRASHING_CHECK, database_url, night_clock.now().isoformat()],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 17, crashed.stderr
    night_clock.advance(timedelta(seconds=5))
    assert "watchdog" in triage.check_heartbeats()  # the restarted bot: the miss was not recorded
    night_clock.advance(timedelta(seconds=5))
    assert triage.check_heartbeats() == []
    assert [d.kind for d in triage.run_pending() if "muted" not in d.summary] == ["incident"]
    assert _groups(store) == [("heartbeat:watchdog", 1, "open")]
