"""Heartbeat monitors: a missed beat raises an alert once, the next beat resolves it, a muted one pages nobody."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.alerts.tables import AlertGroup
from bot.audit.tables import TimelineEvent
from bot.incidents.tables import Incident
from tests.alerts.conftest import TOKENS
from tests.alerts.test_http import call


def kinds(store):
    with store.session() as s:
        return [(e.kind, e.data.get("key")) for e in s.exec(select(TimelineEvent)).all() if e.kind.startswith("alert.")]


def test_missed_beat_fires_once_and_the_next_beat_resolves(inbox, triage, store, night_clock):
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=9))
    assert triage.check_heartbeats() == []  # 9 of 10 minutes: still fine
    inbox.heartbeat("watchdog", TOKENS["T_HB"])
    night_clock.advance(timedelta(minutes=10))
    assert triage.check_heartbeats() == ["watchdog"]  # 10 minutes since the last beat
    night_clock.advance(timedelta(minutes=5))
    assert triage.check_heartbeats() == [], "one alert per missed period"
    [d] = triage.run_pending()
    assert d.kind == "incident"
    with store.session() as s:
        [incident] = s.exec(select(Incident)).all()
        assert incident.severity == "sev2"  # labels: severity critical -> routes[0]
        assert incident.title == "Watchdog silent: the alerting pipeline may be down"
    assert inbox.heartbeat("watchdog", TOKENS["T_HB"]) is True
    [d] = triage.run_pending()
    assert d.kind == "resolved"
    with store.session() as s:
        [group] = s.exec(select(AlertGroup)).all()
        assert (group.source, group.key, group.status) == ("heartbeats", "heartbeat:watchdog", "resolved")


def test_a_monitor_never_beating_counts_from_when_it_was_first_watched(inbox, triage, night_clock):
    assert triage.check_heartbeats() == []  # first sight: watching starts now
    night_clock.advance(timedelta(minutes=10))
    assert "watchdog" in triage.check_heartbeats()


def test_muted_monitor_is_recorded_as_suppressed_with_its_reason(inbox, triage, store, night_clock):
    triage.check_heartbeats()
    night_clock.advance(timedelta(hours=1))
    assert set(triage.check_heartbeats()) == {"watchdog", "batch"}
    got = {d.summary for d in triage.run_pending() if d.kind == "suppressed"}
    assert got == {"alert of a muted monitor (batch host decommissioned (OPS-12)); nobody paged"}
    with store.session() as s:
        assert len(s.exec(select(Incident)).all()) == 1  # only the watchdog's


def test_heartbeat_endpoint_needs_its_token(inbox, store):
    from bot.alerts_http.wsgi import alerts_app

    app = alerts_app(inbox)
    assert call(app, "/heartbeat/watchdog", None, raw=b"", method="GET", token="wrong")[0] == 401
    assert call(app, "/heartbeat/nope", None, raw=b"", method="GET", token=TOKENS["T_HB"])[0] == 401
    status, body = call(app, "/heartbeat/watchdog", None, raw=b"", method="GET", token=TOKENS["T_HB"])
    assert status == 200 and body == {"status": "ok", "resolved": False}


def test_alertmanager_watchdog_webhook_posted_to_the_heartbeat_is_a_beat(inbox, store):
    from bot.alerts_http.wsgi import alerts_app
    from tests.alerts.conftest import fixture

    status, body = call(alerts_app(inbox), "/heartbeat/watchdog", fixture("alertmanager_firing.json"),
                        token=TOKENS["T_HB"])
    assert status == 200 and body["status"] == "ok"
    with store.session() as s:
        from bot.alerts.tables import HeartbeatState

        assert s.get(HeartbeatState, "watchdog").last_beat_at is not None
