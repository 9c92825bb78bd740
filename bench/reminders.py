"""Benchmark: 10,000 pending reminders loaded at start, and how late they go out.

    python bench/reminders.py                      # embedded SQLite in a temp folder
    DATABASE_URL=postgresql+psycopg://... python bench/reminders.py
    python bench/reminders.py --count 10000 --spread 300 --slack-double

Creates ``--count`` checklist nudges over 100 incidents, due from a few
seconds after start and spread evenly over ``--spread`` seconds, then starts
the scheduler (leader lock, reconcile, date jobs) with the real clock and a
chat that records deliveries (in memory, or the local Slack double over HTTP
with ``--slack-double``).  Prints:

* load: time from start until this process is the active scheduler, has
  reconciled with the rows and planned date jobs for the nearest reminders
  (target < 5 s);
* lateness per reminder, ``sent_at`` minus the planned instant, p50/p90/p99/max
  (target p99 < 1 s);
* whether every reminder was delivered exactly once.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.clock import SystemClock  # noqa: E402
from bot.config.loader import Config, ConfigPaths  # noqa: E402
from bot.incidents.tables import ChecklistTask, Incident  # noqa: E402
from bot.ports import Notice  # noqa: E402
from bot.scheduling.scheduler import ReminderScheduler  # noqa: E402
from bot.outbox.tables import Reminder  # noqa: E402
from bot.store import migrate  # noqa: E402
from bot.store.database import Store, database_url  # noqa: E402

INCIDENTS = 100


class CountingChat:
    """Records every delivery by key; same key -> same message (like the real adapter)."""

    def __init__(self) -> None:
        self.by_key: Counter = Counter()
        self._lock = threading.Lock()

    def _send(self, key: str) -> str:
        with self._lock:
            self.by_key[key] += 1
            return f"{len(self.by_key)}.000001"

    def post(self, channel_id: str, notice: Notice, *, key: str) -> str:
        return self._send(key)

    def direct_message(self, user_id: str, notice: Notice, *, key: str) -> str:
        return self._send(key)

    def find_sent(self, target: str, key: str) -> str | None:
        return None


def seed(store: Store, count: int, first_due_in: float, spread: float) -> None:
    now = SystemClock().now()
    per_incident = -(-count // INCIDENTS)
    with store.session() as s:
        incidents = [Incident(number=n, title=f"bench {n}", severity="sev2", playbook="sev2", reporter="UBENCH001",
                              channel_id=f"CBENCH{n:04d}", declared_at=now) for n in range(1, INCIDENTS + 1)]
        s.add_all(incidents)
        s.flush()
        tasks = [ChecklistTask(incident_id=inc.id, task=f"t{i}", title=f"task {i}", created_at=now,
                               nudge_after_minutes=1)
                 for inc in incidents for i in range(per_incident)][:count]
        s.add_all(tasks)
        s.flush()
        now = SystemClock().now()  # due times count from here, after the slow part of seeding
        rows = []
        for i, task in enumerate(tasks):
            due = now + timedelta(seconds=first_due_in + spread * i / count)
            rows.append({"key": f"task:{task.id}:nudge", "kind": "checklist", "incident_id": task.incident_id,
                         "target": task.id, "recipient": "#incident", "due_at": due, "next_attempt_at": due,
                         "state": "pending", "attempts": 0, "payload": {"since": now.isoformat()},
                         "created_at": now, "updated_at": now})
        s.execute(insert(Reminder), rows)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=300.0, help="seconds over which the reminders fall due")
    parser.add_argument("--first-due", type=float, default=8.0, help="seconds after seeding when the first is due")
    parser.add_argument("--slack-double", action="store_true", help="deliver over HTTP to the local Slack double")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: previous tick still running" is expected

    tmp = tempfile.mkdtemp(prefix="bench-reminders-")
    url = database_url() if "DATABASE_URL" in __import__("os").environ else f"sqlite:///{tmp}/bench.db"
    store = Store.connect(url)
    if store.dialect == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(store.engine)
    print(f"database: {store.dialect}; seeding {args.count} reminders due over {args.spread:.0f} s ...", flush=True)
    seed(store, args.count, args.first_due, args.spread)

    double = None
    if args.slack_double:
        from bot.slack.client import make_client
        from bot.slack.double import SlackDouble
        from bot.slack.gateway import SlackGateway

        double = SlackDouble().start()
        double.model.lenient_users = True
        for n in range(1, INCIDENTS + 1):
            double.model.channels[f"CBENCH{n:04d}"] = double.model.add_channel(f"bench-{n}")
        chat = SlackGateway(make_client("xoxb-bench", base_url=double.api_url), store, SystemClock())
        counting = None
    else:
        counting = CountingChat()
        chat = counting

    config = Config(paths=ConfigPaths(Path(tmp), Path(tmp)), files={})
    scheduler = ReminderScheduler(store, lambda: config, chat, SystemClock(), poll_seconds=1.0)
    started = time.perf_counter()
    scheduler.start()
    while not scheduler.ready and time.perf_counter() - started < 60:
        time.sleep(0.005)
    load = time.perf_counter() - started
    print(f"load: {load:.2f} s until active with {args.count} pending reminders in the store and the nearest "
          f"{scheduler.planned_jobs} planned as date jobs "
          f"({'OK' if load < 5 else 'over'} the 5 s target)", flush=True)

    deadline = time.perf_counter() + args.first_due + args.spread + 60
    while time.perf_counter() < deadline:
        with store.session() as s:
            left = s.exec(select(Reminder.id).where(Reminder.state.in_(("pending", "sending")))  # type: ignore[attr-defined]
                          .limit(1)).first()
        if left is None:
            break
        time.sleep(0.5)
    scheduler.stop()

    with store.session() as s:
        rows = list(s.exec(select(Reminder)).all())
    late = [r.late_by_seconds for r in rows if r.state == "sent" and r.late_by_seconds is not None]
    states = Counter(r.state for r in rows)
    print(f"delivered: {states.get('sent', 0)} of {len(rows)} (states: {dict(states)})")
    if late:
        print(f"lateness: p50 {percentile(late, 50) * 1000:.0f} ms, p90 {percentile(late, 90) * 1000:.0f} ms, "
              f"p99 {percentile(late, 99) * 1000:.0f} ms, max {max(late) * 1000:.0f} ms, "
              f"mean {statistics.mean(late) * 1000:.0f} ms "
              f"({'OK' if percentile(late, 99) < 1 else 'over'} the 1 s p99 target)")
    if counting is not None:
        twice = sum(1 for c in counting.by_key.values() if c > 1)
        print(f"exactly once: {'yes' if twice == 0 and len(counting.by_key) == states.get('sent', 0) else 'NO'} "
              f"({len(counting.by_key)} keys, {twice} sent more than once)")
    if double is not None:
        double.stop()
    store.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    ok = load < 5 and late and percentile(late, 99) < 1 and states.get("sent", 0) == len(rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
