"""The APScheduler front: date jobs per near reminder, the sweep, reconcile at start, one leader."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.clock import SystemClock
from bot.outbox.tables import Reminder
from bot.scheduling import runtime
from bot.scheduling.kinds import cadence
from bot.scheduling.leader import AlwaysLeader, FileLock
from bot.scheduling.scheduler import ReminderScheduler, reminder_job_id
from tests.scheduling.fakes import FakeChat, add_incident, make_config

KINDS = (cadence,)


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def _add(store, clock, number: int, due_in: timedelta, *, state: str = "pending") -> str:
    now = clock.now()
    with store.session() as s:
        incident = add_incident(s, number=number, declared_at=now, channel_id=f"CINC{number}")
        key = f"incident:{incident.id}:cadence:1"
        s.add(Reminder(key=key, kind="cadence", incident_id=incident.id, target=incident.id, recipient="#incident",
                       due_at=now + due_in, next_attempt_at=now + due_in, state=state,
                       created_at=now - timedelta(hours=3), updated_at=now))
    return key


def _scheduler(store, config, chat, clock, **kw) -> ReminderScheduler:
    kw.setdefault("leader", AlwaysLeader())
    return ReminderScheduler(store, lambda: config, chat, clock, kinds=KINDS, poll_seconds=0.2,
                             leader_retry_seconds=0.1, **kw)


def _state(store, key: str) -> str:
    with store.session() as s:
        return s.exec(select(Reminder.state).where(Reminder.key == key)).one()


def _job_ids(store) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs"))}


def test_a_near_reminder_gets_a_persistent_date_job_and_fires_on_time(store, config):
    clock, chat = SystemClock(), FakeChat()
    key = _add(store, clock, 1, timedelta(seconds=3))  # far enough ahead to be planned, not swept
    scheduler = _scheduler(store, config, chat, clock)
    scheduler.start()
    try:
        with store.session() as s:
            row_id = s.exec(select(Reminder.id).where(Reminder.key == key)).one()
        assert _wait(lambda: reminder_job_id(row_id) in _job_ids(store), 5), "no date job was planned"
        assert _wait(lambda: chat.keys() == [key], 10)
        # the job records "sent" on its own thread after the chat call returns; stop() does not wait for it
        assert _wait(lambda: _state(store, key) == "sent", 10)
    finally:
        scheduler.stop()
    with store.session() as s:
        row = s.exec(select(Reminder).where(Reminder.key == key)).one()
    assert row.state == "sent"
    assert row.late_by_seconds < 1.0
    assert runtime._context is None  # stop() uninstalls the job context


def test_rows_written_by_another_process_are_picked_up_by_the_sweep(store, config):
    clock, chat = SystemClock(), FakeChat()
    scheduler = _scheduler(store, config, chat, clock)
    scheduler.start()
    try:
        assert _wait(lambda: scheduler.is_leader, 5)
        key = _add(store, clock, 1, timedelta(0))  # written after start, due now
        assert _wait(lambda: chat.keys() == [key], 5)
    finally:
        scheduler.stop()


def test_at_start_overdue_reminders_fire_once_and_stale_jobs_are_dropped(store, config):
    clock, chat = SystemClock(), FakeChat()
    overdue = _add(store, clock, 1, -timedelta(hours=2))
    cancelled = _add(store, clock, 2, timedelta(seconds=0.5), state="cancelled")
    with store.session() as s:
        cancelled_id = s.exec(select(Reminder.id).where(Reminder.key == cancelled)).one()
    # a job left behind by an earlier run for a reminder that has been cancelled since
    earlier = _scheduler(store, config, FakeChat(), clock)
    aps = earlier._build_aps()
    aps.start(paused=True)
    from bot.scheduling import jobs

    aps.add_job(jobs.fire_reminder, "date", run_date=clock.now() + timedelta(hours=1), args=[cancelled_id],
                id=reminder_job_id(cancelled_id), replace_existing=True)
    aps.shutdown(wait=False)
    assert reminder_job_id(cancelled_id) in _job_ids(store)

    scheduler = _scheduler(store, config, chat, clock)
    scheduler.start()
    try:
        assert _wait(lambda: chat.keys() == [overdue], 5)
        assert _wait(lambda: reminder_job_id(cancelled_id) not in _job_ids(store), 5)
        time.sleep(0.5)
    finally:
        scheduler.stop()
    assert chat.keys() == [overdue]
    with store.session() as s:
        row = s.exec(select(Reminder).where(Reminder.key == overdue)).one()
    assert row.late_by_seconds >= 2 * 3600
    assert "late" in chat.sent[0].notice.footer


def test_only_the_lock_holder_delivers_and_a_standby_takes_over(store, config, tmp_path):
    clock = SystemClock()
    lock_path = tmp_path / "scheduler.lock"
    first_chat, second_chat = FakeChat(), FakeChat()
    first = _scheduler(store, config, first_chat, clock, leader=FileLock(lock_path))
    second = _scheduler(store, config, second_chat, clock, leader=FileLock(lock_path))
    first.start()
    assert _wait(lambda: first.is_leader, 5)
    second.start()
    try:
        key1 = _add(store, clock, 1, timedelta(0))
        assert _wait(lambda: first_chat.keys() == [key1], 5)
        assert not second.is_leader and second_chat.sent == []
        first.stop()  # releases the lock (a dead process's lock is released by the OS)
        started = time.monotonic()
        assert _wait(lambda: second.is_leader, 5)
        assert time.monotonic() - started < 1.0  # within leader_retry_seconds (0.1 s) plus the sweep
        key2 = _add(store, clock, 2, timedelta(0))
        assert _wait(lambda: second_chat.keys() == [key2], 5)
    finally:
        second.stop()
        first.stop()
    assert first_chat.keys() == [key1]


def test_file_lock_is_exclusive_until_released(tmp_path):
    a, b = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert a.try_acquire()
    assert not b.try_acquire()
    a.release()
    assert b.try_acquire()
    b.release()
