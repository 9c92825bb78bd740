"""Several `python -m bot scheduler` processes deliver one burst on PostgreSQL; one is SIGKILLed mid-burst.

Every worker claims due rows (``FOR UPDATE SKIP LOCKED``), so rows are shared out; a worker killed while its
rows are in 'sending' is noticed by the active scheduler (its own lock is gone) and those rows are resolved
(looked up in Slack by key: recorded if there, sent if not). Checked on what the Slack double received.
"""

from __future__ import annotations

import os
import time

import pytest
from sqlmodel import func, select

from bot.clock import SystemClock
from bot.outbox.tables import Reminder
from bot.slack.double import SlackDouble
from tests.scheduling.workers import Worker, delivered, plan_reminders, wait_for, worker_env, write_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="several delivering workers exist only on PostgreSQL; SQLite has one deliverer"),
]

COUNT = 240


def _claimed_by(store, pid: int, state: str | None = None) -> int:
    with store.session() as s:
        query = select(func.count()).select_from(Reminder).where(Reminder.claimed_by.like(f"%:{pid}:%"))  # type: ignore[union-attr]
        if state is not None:
            query = query.where(Reminder.state == state)
        return int(s.exec(query).one())


def test_three_workers_share_a_burst_and_a_killed_one_loses_and_doubles_nothing(store, database_url, tmp_path):
    config_dir = write_config(tmp_path)
    double = SlackDouble().start()
    double.model.lenient_users = True
    double.faults.latency = 0.05  # calls are in flight most of the time, so the kill lands mid-delivery
    keys, _ = plan_reminders(store, double, SystemClock().now(), COUNT, first=6.0, spacing=0.0)  # all due at once
    env = worker_env(database_url, double)
    workers = [Worker(env, config_dir, retry=0.5) for _ in range(3)]
    try:
        assert wait_for(lambda: any(w.became_leader_at() for w in workers), 30), workers[0].log()
        leader = next(w for w in workers if w.became_leader_at())
        victim = next(w for w in workers if w is not leader)
        assert wait_for(lambda: _claimed_by(store, victim.proc.pid) >= 10, 40), \
            f"the standby worker delivered nothing:\n{victim.log()}"
        victim.kill()
        in_flight = _claimed_by(store, victim.proc.pid, "sending")
        assert in_flight > 0, "the killed worker had nothing in flight; the test proves nothing"
        assert len(delivered(double)) < COUNT, "everything was delivered before the kill; the test proves nothing"
        assert wait_for(lambda: set(delivered(double)) >= set(keys), 90), \
            f"missing: {len(set(keys) - set(delivered(double)))}\n{leader.log()}"
        time.sleep(1.0)  # give a duplicate the chance to show up
        survivors = [w for w in workers if w is not victim]
        assert sum(1 for w in survivors if _claimed_by(store, w.proc.pid) > 0) == 2, "a worker delivered nothing"
    finally:
        for w in workers:
            w.stop()
        double.stop()

    counts = delivered(double)
    assert {k: c for k, c in counts.items() if c != 1} == {}, "a reminder was delivered more than once"
    assert set(counts) == set(keys)
    with store.session() as s:
        states = {r.state for r in s.exec(select(Reminder).where(Reminder.key.in_(keys))).all()}  # type: ignore[attr-defined]
    assert states == {"sent"}
