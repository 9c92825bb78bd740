"""Alert triage of a stored backlog, without load: CPU and SQL statements per receipt and per declaration.

Seeds a fresh database (SQLite, or PostgreSQL with ``--database-url``: its public schema is recreated) with
``--receipts`` Alertmanager webhooks of the shape `bench/alert_intake.py` sends (``--new-share`` of them
opening a new alert group, the rest repeats), through the real intake, then triages them in this process as
the `scheduler` worker does and prints the CPU time and the number of SQL statements it took.  With
``--new-share 1`` every receipt declares an incident: the figure is the cost of one declaration by triage.

    python bench/triage_backlog.py [--receipts 150] [--new-share 1.0] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    import alert_intake as bench
    import sqlalchemy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=150)
    parser.add_argument("--new-share", type=float, default=1.0, help="share of receipts that open a new group")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (its public schema is recreated)")
    args = parser.parse_args()

    from bot.alerts.inbox import Inbox
    from bot.alerts.triage import Triage

    work = Path(tempfile.mkdtemp(prefix="bench-triage-"))
    shutil.copytree(ROOT / "config", work / "config")
    (work / "config" / "alerts.yaml").write_text(bench.ALERTS_YAML)
    config, store, clock, incidents = bench._setup(args, work, fresh=True)
    inbox = Inbox(store, lambda: config, clock, environ={"BENCH_ALERTS_TOKEN": bench.TOKEN})
    rng, keys = random.Random(3), 0
    for i in range(args.receipts):
        if keys == 0 or rng.random() < args.new_share:
            keys += 1
            key = keys
        else:
            key = rng.randint(1, keys)
        inbox.webhook("prometheus", bench.TOKEN, json.loads(bench.body(key, i)))
    triage = Triage(store, lambda: config, clock, incidents)
    statements = [0]
    sqlalchemy.event.listen(store.engine, "before_cursor_execute",
                            lambda *_a, **_k: statements.__setitem__(0, statements[0] + 1))
    cpu, wall, done = time.process_time(), time.perf_counter(), 0
    while found := triage.run_pending(limit=2000):
        done += len(found)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db = "PostgreSQL" if args.database_url else "SQLite"
    print(f"triage of a backlog ({db}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}): "
          f"{args.receipts} receipts, {keys} new groups, {done} dispositions")
    print(f"  CPU {cpu:.2f} s ({cpu / args.receipts * 1000:.2f} ms per receipt, {cpu / keys * 1000:.1f} ms per new "
          f"group); wall {wall:.2f} s; {statements[0] / keys:.1f} SQL statements per new group")
    store.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
