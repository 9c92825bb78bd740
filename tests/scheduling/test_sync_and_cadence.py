"""Deriving reminder rows from incident state, and firing them at the right instant (ManualClock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.incidents.tables import Incident
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.kinds import cadence
from bot.scheduling.sync import sync_incident
from tests.scheduling.fakes import FakeChat, add_incident, make_config

KINDS = (cadence,)


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)  # sev2: status update every 30m, owned by the commander


@pytest.fixture
def chat():
    return FakeChat()


def _rows(store):
    with store.session() as s:
        return {r.key: r for r in s.exec(select(Reminder)).all()}


def _declare(store, config, clock):
    with store.session() as s:
        incident = add_incident(s, declared_at=clock.now())
        sync_incident(s, config, incident.id, clock.now(), kinds=KINDS)
        return incident.id


def test_declaring_plans_the_first_status_nudge_one_cadence_after_declaration(store, clock, config):
    _declare(store, config, clock)
    rows = _rows(store)
    # Declared 09:00 with a 30 minute cadence: the first update is due 09:30.
    assert list(rows) == ["incident:1:cadence:1"]
    row = rows["incident:1:cadence:1"]
    assert row.due_at == clock.now() + timedelta(minutes=30)
    assert (row.state, row.kind, row.recipient, row.target) == ("pending", "cadence", "commander", 1)


def test_sync_twice_changes_nothing(store, clock, config):
    incident_id = _declare(store, config, clock)
    with store.session() as s:
        again = sync_incident(s, config, incident_id, clock.now(), kinds=KINDS)
    assert not again.changed


def test_the_nudge_fires_at_its_instant_not_a_second_before(store, clock, config, chat):
    _declare(store, config, clock)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    clock.advance(minutes=29, seconds=59)
    dispatcher.run_due()
    assert chat.sent == []
    clock.advance(seconds=1)  # 09:30:00 exactly
    dispatcher.run_due()
    assert chat.keys() == ["incident:1:cadence:1"]
    sent = chat.sent[0]
    assert (sent.to, sent.direct) == ("CINC1", False)  # the incident channel, mentioning the commander
    assert sent.notice.mention_users == ("UCOMMANDER",)
    assert "INC-1" in sent.notice.title
    row = _rows(store)["incident:1:cadence:1"]
    assert (row.state, row.message_ts, row.late_by_seconds, row.delivered_to) == ("sent", sent.ts, 0.0, "CINC1")
    dispatcher.run_due()
    assert len(chat.sent) == 1  # never twice


def test_without_an_update_the_next_nudge_follows_one_cadence_later(store, clock, config, chat):
    _declare(store, config, clock)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    clock.advance(minutes=30)
    dispatcher.run_due()
    rows = _rows(store)
    # Nudge 1 went out at 09:30; with still no update the 2nd is due at 10:00 (declared + 2 x 30m).
    assert rows["incident:1:cadence:2"].state == "pending"
    assert rows["incident:1:cadence:2"].due_at == clock.now() + timedelta(minutes=30)


def test_a_status_update_reschedules_the_pending_nudge(store, clock, config, chat):
    incident_id = _declare(store, config, clock)
    clock.advance(minutes=20)
    with store.session() as s:
        s.get(Incident, incident_id).last_status_at = clock.now()  # update posted at 09:20
        result = sync_incident(s, config, incident_id, clock.now(), kinds=KINDS)
    assert result.rescheduled == ["incident:1:cadence:1"]
    # Counting restarts at 09:20, so the nudge moves from 09:30 to 09:50.
    assert _rows(store)["incident:1:cadence:1"].due_at == clock.now() + timedelta(minutes=30)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    clock.advance(minutes=15)  # 09:35: the old time has passed, nothing is due
    dispatcher.run_due()
    assert chat.sent == []


def test_resolving_cancels_the_pending_nudge_at_once(store, clock, config, chat):
    incident_id = _declare(store, config, clock)
    clock.advance(minutes=10)
    with store.session() as s:
        incident = s.get(Incident, incident_id)
        incident.status, incident.resolved_at = "resolved", clock.now()
        result = sync_incident(s, config, incident_id, clock.now(), kinds=KINDS)
    assert result.cancelled == ["incident:1:cadence:1"]
    clock.advance(hours=2)
    Dispatcher(store, lambda: config, chat, clock, kinds=KINDS).run_due()
    assert chat.sent == []
    assert _rows(store)["incident:1:cadence:1"].state == "cancelled"


def test_a_nudge_whose_incident_was_resolved_behind_its_back_is_dropped_not_sent(store, clock, config, chat):
    incident_id = _declare(store, config, clock)
    with store.session() as s:  # resolved without a sync (e.g. an older process version)
        s.get(Incident, incident_id).status = "resolved"
    clock.advance(hours=1)
    counts = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS).run_due()
    assert counts == {"dropped": 1}
    assert chat.sent == []


def test_an_unfilled_owner_role_still_nudges_the_channel(store, clock, config, chat):
    with store.session() as s:
        incident = add_incident(s, declared_at=clock.now(), commander=None)
        sync_incident(s, config, incident.id, clock.now(), kinds=KINDS)
    clock.advance(minutes=30)
    Dispatcher(store, lambda: config, chat, clock, kinds=KINDS).run_due()
    assert chat.sent[0].to == "CINC1"
    assert "commander role is unfilled" in chat.sent[0].notice.as_text()
