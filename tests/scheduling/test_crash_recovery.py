"""A real worker process (`python -m bot scheduler`) is SIGKILLed mid-delivery and restarted.

Every reminder must reach the Slack double exactly once: none lost while the
process was dead, none repeated after the restart (asserted on the messages
the double received, by the reminder key the adapter puts in the metadata).
"""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from bot.clock import SystemClock
from bot.outbox.tables import Reminder
from bot.slack.double import SlackDouble
from tests.scheduling.workers import Worker, delivered, plan_reminders, wait_for, worker_env, write_config

pytestmark = pytest.mark.slow

COUNT = 30


def test_sigkill_then_restart_delivers_every_reminder_exactly_once(store, database_url, tmp_path):
    config_dir = write_config(tmp_path)
    double = SlackDouble().start()
    double.model.lenient_users = True
    # Every API call takes 0.1 s, so a send is in flight most of the time and the kill usually lands mid-delivery
    # (the restarted worker then finds the message by its key and records it instead of sending it again).
    double.faults.latency = 0.1
    keys, last_due = plan_reminders(store, double, SystemClock().now(), COUNT, first=1.0, spacing=0.15)
    env = worker_env(database_url, double)
    first = Worker(env, config_dir)
    try:
        assert wait_for(lambda: len(delivered(double)) >= COUNT // 4, 30), f"nothing delivered:\n{first.log()}"
        first.kill()
        killed_with = len(delivered(double))
        assert killed_with < COUNT, "everything was delivered before the kill; the test proves nothing"
        time.sleep(max(0.0, (last_due - SystemClock().now()).total_seconds()) + 0.5)  # due times pass while down

        second = Worker(env, config_dir)
        try:
            assert wait_for(lambda: set(delivered(double)) >= set(keys), 60), \
                f"missing after restart: {sorted(set(keys) - set(delivered(double)))}\n{second.log()}"
            time.sleep(1.0)  # give a duplicate the chance to show up
        finally:
            second.stop()
    finally:
        first.kill()
        double.stop()

    counts = delivered(double)
    assert {k: c for k, c in counts.items() if c != 1} == {}, "a reminder was delivered more than once"
    assert set(counts) == set(keys)
    with store.session() as s:
        rows = list(s.exec(select(Reminder).where(Reminder.key.in_(keys))).all())  # type: ignore[attr-defined]
    assert {r.state for r in rows} == {"sent"}
    late = [r for r in rows if r.late_by_seconds and r.late_by_seconds > 0.5]
    assert late, "reminders that fell due while the worker was dead must be marked late"
