"""Two worker processes on PostgreSQL: one fires, the other takes over after the first is killed."""

from __future__ import annotations

import os
import time

import pytest

from bot.clock import SystemClock
from bot.slack.double import SlackDouble
from tests.scheduling.workers import Worker, delivered, plan_reminders, wait_for, worker_env, write_config

RETRY = 0.5
# Documented bound (docs/scheduling.md): a standby takes over within one retry interval after the
# holder's connection is gone; a killed process's connection is closed by its kernel at once.
TAKEOVER_BOUND = RETRY + 2.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="the advisory-lock failover exists only on PostgreSQL; SQLite runs a single scheduler"),
]


def test_only_one_worker_fires_and_the_standby_takes_over_in_bounded_time(store, database_url, tmp_path):
    config_dir = write_config(tmp_path)
    double = SlackDouble().start()
    double.model.lenient_users = True
    keys, _ = plan_reminders(store, double, SystemClock().now(), 20, first=1.0, spacing=0.3)
    env = worker_env(database_url, double)
    a = Worker(env, config_dir, retry=RETRY)
    b = None
    try:
        assert wait_for(lambda: a.became_leader_at() is not None, 30), a.log()
        b = Worker(env, config_dir, retry=RETRY)
        assert wait_for(lambda: len(delivered(double)) >= 5, 30)
        assert b.became_leader_at() is None, "two active schedulers"
        killed_at = time.time()  # the worker's log stamps are wall-clock time on this machine
        a.kill()
        assert wait_for(lambda: b.became_leader_at() is not None, 15), b.log()
        took = b.logged_leader_at() - killed_at  # by b's own log line: not by when this test got to read it
        assert took < TAKEOVER_BOUND, (took, b.log())
        assert wait_for(lambda: set(delivered(double)) >= set(keys), 30), b.log()
    finally:
        a.kill()
        if b is not None:
            b.stop()
        double.stop()
    counts = delivered(double)
    assert {k: c for k, c in counts.items() if c != 1} == {}
