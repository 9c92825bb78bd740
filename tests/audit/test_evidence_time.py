"""The events the audit layer writes by itself carry the caller's time, never the wall clock's: an evidence row
changed without an event of its own gets an ``evidence.recorded`` event at the time the unit of work stated
(``happens_at``), else at its newest event's; a unit of work that states neither is refused with what to do; the
upgrade's ``evidence.baseline`` is stamped with the upgrade's ``now``; the worker's units of work state theirs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from bot.audit.evidence import BASELINE, RECORDED
from bot.audit.tables import TimelineEvent
from bot.audit.trail import NewEvent, append_rows
from bot.audit.unit_time import happens_at
from bot.clock import ManualClock
from bot.oncall.tables import RestDebt
from bot.store import migrate
from tests.audit.test_evidence_baseline import _written_before_the_change, engine  # noqa: F401  (fixture)
from tests.scheduling.test_lifecycle_reminders import _declare, config, world  # noqa: F401  (fixtures)

FAR = datetime(2041, 7, 1, 3, 4, 5, tzinfo=timezone.utc)  # nowhere near the wall clock of any run of this test


@pytest.fixture
def far_clock() -> ManualClock:
    return ManualClock(FAR)


def _rest_owed(clock) -> RestDebt:
    return RestDebt(person_id="anna", hours=11, owed_since=clock.now(), source="engagement:1", created_at=clock.now())


def _recorded(store) -> list[TimelineEvent]:
    with store.session() as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.kind == RECORDED)).all())


def test_a_row_written_without_an_event_is_recorded_at_the_time_the_unit_of_work_states(store, far_clock):
    with store.session() as s:
        happens_at(s, far_clock.now())
        s.add(_rest_owed(far_clock))
    far_clock.advance(hours=5)
    with store.session() as s:  # a second unit of work on the same row: its own time, not the first one's
        happens_at(s, far_clock.now())
        s.exec(select(RestDebt)).one().hours = 9
    first, second = _recorded(store)
    assert (first.chain, first.at, first.data["evidence"][0]["row"]["hours"]) == ("global", FAR, 11)
    assert (second.at, second.data["evidence"][0]["row"]["hours"]) == (FAR + timedelta(hours=5), 9)


def test_without_a_stated_time_the_newest_event_of_the_unit_of_work_gives_it(store, far_clock):
    later = far_clock.now() + timedelta(minutes=3)
    with store.session() as s:  # events written in bulk (as alert triage does): the row's evidence comes after them
        append_rows(s, [NewEvent(None, "system", "test.second", later), NewEvent(None, "system", "test.first",
                                                                                  far_clock.now())])
        s.add(_rest_owed(far_clock))
    recorded, = _recorded(store)
    assert recorded.at == later


def test_a_unit_of_work_that_states_no_time_is_named_in_a_warning_and_its_change_kept(store, far_clock, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.audit.unit_time"):
        with store.session() as s:
            s.add(_rest_owed(far_clock))
    warning, = [r.getMessage() for r in caplog.records if r.name == "bot.audit.unit_time"]
    assert "evidence rows of the global chain were changed (rest_debt)" in warning
    assert "happens_at(session, clock.now())" in warning and "anna" not in warning  # no personal data
    recorded, = _recorded(store)  # the change it records is not lost for a defect of time-keeping
    assert recorded.at != FAR


def test_the_upgrades_baseline_is_stamped_with_the_upgrades_now(engine):  # noqa: F811
    migrate.upgrade(engine, "sweep_watermark")
    _written_before_the_change(engine)
    migrate.upgrade(engine, now=FAR)
    with Session(engine) as s:
        baseline = s.exec(select(TimelineEvent).where(TimelineEvent.kind == BASELINE)).one()
    assert baseline.at == FAR and baseline.data["recorded_as_found"] == FAR.isoformat()
    assert f"recorded as found at {FAR:%Y-%m-%d %H:%M} UTC" in baseline.summary


def test_the_workers_escalation_records_its_page_at_the_clocks_time(store, world, caplog):  # noqa: F811
    """The outbox worker's escalation changes the page without an event of the page's chain: the worker's unit of
    work states its time (same world as tests/scheduling/test_escalation_race.py)."""
    clock, _, service, dispatcher = world
    _declare(service)
    ran_at = []
    with caplog.at_level(logging.WARNING, logger="bot.audit.unit_time"):
        for minutes in (0, 5, 10, 15, 5, 10, 15):
            clock.advance(minutes=minutes)
            ran_at.append(clock.now())
            dispatcher.run_due()
    recorded = _recorded(store)
    assert recorded and {e.at for e in recorded} <= set(ran_at)
    assert [r for r in caplog.records if r.name == "bot.audit.unit_time"] == []
