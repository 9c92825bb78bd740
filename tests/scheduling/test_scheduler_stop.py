"""Stopping the active scheduler: APScheduler's parts close in an order that cannot fail and leave the bot's
engine alone (bot/scheduling/apscheduler_parts.py)."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.scheduling.kinds import cadence
from bot.scheduling.leader import AlwaysLeader
from bot.scheduling.scheduler import ReminderScheduler
from tests.scheduling.fakes import FakeChat, make_config
from tests.scheduling.test_scheduler import _wait


def _scheduler(store, tmp_path) -> ReminderScheduler:
    config = make_config(tmp_path)
    return ReminderScheduler(store, lambda: config, FakeChat(), SystemClock(), kinds=(cadence,), poll_seconds=0.05,
                             leader_retry_seconds=0.05, leader=AlwaysLeader())


def test_stopping_leaves_the_bots_engine_and_its_connections_alone(store, tmp_path):
    # APScheduler's SQLAlchemyJobStore disposes of its engine when the scheduler shuts down; ours is the bot's,
    # shared with the outbox worker and the listeners, whose pool must outlive a step-down.
    pool = store.engine.pool
    scheduler = _scheduler(store, tmp_path)
    scheduler.start()
    try:
        assert _wait(lambda: scheduler.ready)
    finally:
        scheduler.stop()
    assert store.engine.pool is pool, "stopping the scheduler disposed of the bot's engine"


def test_the_job_pool_closes_only_after_the_scheduler_loop_has_ended(store, tmp_path, monkeypatch):
    # Closed before the loop ends (APScheduler's own order), a tick the loop was about to hand over hits a closed
    # pool: "Error submitting job ... cannot schedule new futures after shutdown".
    scheduler = _scheduler(store, tmp_path)
    scheduler.start()
    seen: list[bool] = []
    try:
        assert _wait(lambda: scheduler.ready)
        aps, pool = scheduler._aps, scheduler._aps_pool
        assert aps is not None and pool is not None
        loop = aps._thread
        close = pool.close
        monkeypatch.setattr(pool, "close", lambda: (seen.append(loop.is_alive()), close()))
    finally:
        scheduler.stop()
    assert seen == [False], "the job pool was closed while the scheduler's loop could still submit to it"
    assert pool._pool._shutdown, "the job pool was never shut down"
