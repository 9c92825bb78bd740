"""Benchmark: a burst of reminders all due at the same instant, delivered by 1 and by 4 worker processes.

    python bench/reminder_burst.py                                   # SQLite in a temp folder
    BENCH_DATABASE_URL=postgresql+psycopg://... python bench/reminder_burst.py   # and PostgreSQL too
    python bench/reminder_burst.py --count 3000 --incidents 1000 --workers 1,4

For each database (SQLite always; PostgreSQL when ``BENCH_DATABASE_URL`` is
set; the schema of that database is dropped and re-created) and each number of
workers: a fresh schema, ``--count`` checklist nudges over ``--incidents``
incidents (each with its own channel in the local Slack double, which runs in
this process with no added latency), all due at one instant a few seconds after
``--workers`` real ``python -m bot scheduler`` processes are up. Prints, side
by side:

* rate: rows delivered per second, from the due instant to the last delivery;
* lateness p50 / p99 / max: ``sent_at`` minus the due instant, per row;
* lost and duplicated: checked against the messages the double received (by the
  row key the adapter puts in the message metadata), not against the rows;
* CPU per row, from the due instant to the end: the worker processes together,
  this process (mostly the Slack double answering) and, when the PostgreSQL server
  runs on this machine, the server (Linux only; see :func:`server_cpu_seconds`);
* before and after the runs, the floor (:mod:`bench.slack_floor`): the same number
  of Slack calls made straight from 4 processes, with no database and no bot code,
  i.e. the fastest any worker could deliver on this machine at that time.

Targets (issue 18): on PostgreSQL with 4 workers 1,000 rows/s or more, p99
lateness under 5 s, 0 lost, 0 duplicated, and 4 workers faster than 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text, update  # noqa: E402
from sqlmodel import func, select  # noqa: E402

from bot.audit.unit_time import happens_at  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.incidents.tables import ChecklistTask, Incident  # noqa: E402
from bot.outbox.tables import Reminder  # noqa: E402
from bot.slack.double import SlackDouble  # noqa: E402
from bot.store import migrate  # noqa: E402
from bot.store.database import Store  # noqa: E402
from bench.slack_floor import describe as describe_floor, measure as measure_floor  # noqa: E402

READY_LINE = "scheduler worker started"


@dataclass
class Result:
    database: str
    workers: int
    count: int
    rate: float
    p50: float
    p99: float
    worst: float
    lost: int
    duplicated: int
    unfinished: int
    worker_cpu: float = float("nan")  # seconds of CPU the worker processes used from the due instant to the end
    bench_cpu: float = float("nan")  # and this process (the Slack double, and polling the database)
    database_cpu: float = float("nan")  # and the PostgreSQL server, when it runs on this machine


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


# The smallest configuration a worker starts on (people, rotas and a playbook, as `serve` requires): one person on
# one rotation, one playbook. The burst's incidents name playbook sev2, which is not among them, as before.
CONFIG_FILES = {
    "config/settings.yaml": "timezone: UTC\n",
    "config/people.yaml": "people:\n  - {id: ops, slack: U0OPS0001, timezone: UTC, labor_profile: base, "
                          "contract: {oncall_agreement: true}}\n",
    "config/labor/base.yaml": "id: base\nrules: [{kind: leave, cite: \"BENCH leave\"}]\n",
    "config/rotas.yaml": "rotations:\n  - {id: primary, timezone: UTC, participants: [ops], start: \"2026-01-05\", "
                         "handoff: \"MO 09:00\", fallback: ops}\n",
    "playbooks/bench.yaml": "id: bench\nname: Bench\nrank: 1\ncriteria: [benchmark]\n"
                            "roles: [{id: commander, title: Incident commander, initial: reporter}]\n"
                            "communications: {external_owner: commander}\n"
                            "status_updates: {cadence: 30m, owner: commander}\n",
}


def write_config(folder: Path) -> Path:
    for name, content in CONFIG_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)
    return folder / "config"


def fresh_store(url: str) -> Store:
    store = Store.connect(url)
    if store.dialect == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(store.engine)
    return store


def seed(store: Store, double: SlackDouble, count: int, incidents: int) -> list[str]:
    """``count`` checklist nudges over ``incidents`` incidents, due far in the future for now."""
    now = SystemClock().now()
    later = now + timedelta(days=1)
    with store.session() as s:
        happens_at(s, now)  # the incidents and tasks are evidence rows: their baseline events take this time
        rows = [Incident(number=n, title=f"burst {n}", severity="sev2", playbook="sev2", reporter="UBENCH001",
                         channel_id=double.model.add_channel(f"burst-{n}").id, declared_at=now)
                for n in range(1, incidents + 1)]
        s.add_all(rows)
        s.flush()
        tasks = [ChecklistTask(incident_id=rows[i % incidents].id, task=f"t{i}", title=f"task {i}", created_at=now,
                               nudge_after_minutes=1) for i in range(count)]
        s.add_all(tasks)
        s.flush()
        keys = [f"task:{t.id}:nudge" for t in tasks]
        s.execute(insert(Reminder), [
            {"key": key, "kind": "checklist", "incident_id": t.incident_id, "target": t.id, "recipient": "#incident",
             "due_at": later, "next_attempt_at": later, "state": "pending", "attempts": 0,
             "payload": {"since": now.isoformat()}, "created_at": now, "updated_at": now}
            for key, t in zip(keys, tasks)])
    return keys


def start_workers(n: int, url: str, double: SlackDouble, config: Path, folder: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "SLACK_API_URL": double.api_url, "SLACK_BOT_TOKEN": "xoxb-bench",
           "PYTHONPATH": str(ROOT)}
    procs = []
    for i in range(n):
        log = open(folder / f"worker-{i}.log", "w")  # noqa: SIM115 - closed with the process
        procs.append(subprocess.Popen([sys.executable, "-m", "bot", "scheduler", "--config-dir", str(config),
                                       "--playbooks-dir", str(config.parent / "playbooks"), "--poll", "0.5"],
                                      cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            raise SystemExit("a worker stopped:\n" + (folder / "worker-0.log").read_text()[-3000:])
        logs = [(folder / f"worker-{i}.log").read_text() for i in range(n)]
        if all(READY_LINE in text_ for text_ in logs) and any("active scheduler" in t for t in logs):
            break
        time.sleep(0.1)
    time.sleep(2.0)  # the leader's first sweep and every worker's first look at the (empty) queue
    return procs


def cpu_seconds(procs: list[subprocess.Popen]) -> float:
    """User + system CPU the processes used so far (Linux; NaN elsewhere)."""
    try:
        ticks = 0
        for proc in procs:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def _stat(pid: int | str) -> tuple[str, int, int, int, int, int]:
    """comm, ppid, utime, stime, cutime, cstime (clock ticks) of a process, from /proc/PID/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw.rpartition(")")[2].split()
    return comm, int(fields[1]), int(fields[11]), int(fields[12]), int(fields[13]), int(fields[14])


def local_postmaster(url: str) -> int | None:
    """The pid of the PostgreSQL server ``url`` names, when it runs on this machine and /proc shows it: a
    ``postgres`` process whose parent is not one, started with the URL's port (or the only one)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or (parsed.host or "localhost") not in ("localhost", "127.0.0.1",
                                                                                          "::1"):
        return None
    found: list[tuple[int, str]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, ppid, *_ = _stat(entry.name)
            if comm == "postgres" and _stat(ppid)[0] != "postgres":
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
        except (OSError, ValueError, IndexError):
            continue
    port = str(parsed.port or 5432)
    matching = [pid for pid, cmdline in found if f"-p {port}" in cmdline or f"port={port}" in cmdline]
    if len(matching) == 1:
        return matching[0]
    return found[0][0] if len(found) == 1 else None


def server_cpu_seconds(postmaster: int | None) -> float:
    """CPU the PostgreSQL server used so far: user + system time of the postmaster and of every process it
    started that is still running, plus the postmaster's ``cutime``/``cstime`` (its children that ended, such as
    backends of closed connections). The difference of two readings is the server's CPU in between, whoever
    its clients were (other work on the same server counts too). NaN when the server is not local."""
    if postmaster is None:
        return float("nan")
    try:
        _, _, utime, stime, cutime, cstime = _stat(postmaster)
        ticks = utime + stime + cutime + cstime
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == postmaster:
                continue
            try:
                comm, ppid, utime, stime, _, _ = _stat(entry.name)
            except (OSError, ValueError, IndexError):
                continue  # ended meanwhile: its time is in the postmaster's cutime/cstime
            if ppid == postmaster:
                ticks += utime + stime
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run_one(url: str, database: str, workers: int, count: int, incidents: int, timeout: float) -> Result:
    folder = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    url = url.replace("{tmp}", str(folder))
    store = fresh_store(url)
    double = SlackDouble().start()
    double.model.lenient_users = True
    procs: list[subprocess.Popen] = []
    try:
        keys = seed(store, double, count, incidents)
        procs = start_workers(workers, url, double, write_config(folder), folder)
        due = SystemClock().now() + timedelta(seconds=2)
        with store.session() as s:
            s.execute(update(Reminder).values(due_at=due, next_attempt_at=due))
        time.sleep(max(0.0, (due - SystemClock().now()).total_seconds()))
        postmaster = local_postmaster(url)
        cpu_before, own_before, db_before = cpu_seconds(procs), time.process_time(), server_cpu_seconds(postmaster)
        end = time.monotonic() + (due - SystemClock().now()).total_seconds() + timeout
        while time.monotonic() < end:
            with store.session() as s:
                open_rows = s.exec(select(func.count()).select_from(Reminder)
                                   .where(Reminder.state.in_(("pending", "sending")))).one()  # type: ignore[attr-defined]
            if not open_rows:
                break
            time.sleep(0.2)
        worker_cpu, bench_cpu = cpu_seconds(procs) - cpu_before, time.process_time() - own_before
        database_cpu = server_cpu_seconds(postmaster) - db_before
        time.sleep(1.0)  # a duplicate would show up now
        with store.session() as s:
            rows = s.exec(select(Reminder.state, Reminder.sent_at)).all()
    finally:
        stop_workers(procs)
        received: Counter = Counter()
        for message in list(double.model.messages):
            key = ((message.metadata or {}).get("event_payload") or {}).get("key")
            if key:
                received[key] += 1
        double.stop()
        store.dispose()
    late = [(at - due).total_seconds() for state, at in rows if state == "sent" and at is not None]
    if any(state in ("pending", "sending") for state, _ in rows):
        print("unfinished; the first worker's log ends:\n" + (folder / "worker-0.log").read_text()[-3000:])
    span = max(late) if late else float("nan")
    shutil.rmtree(folder, ignore_errors=True)
    return Result(database, workers, count, rate=len(late) / span if late and span > 0 else float("nan"),
                  p50=percentile(late, 50), p99=percentile(late, 99), worst=span,
                  lost=sum(1 for k in keys if received[k] == 0), duplicated=sum(1 for k in keys if received[k] > 1),
                  unfinished=sum(1 for state, _ in rows if state in ("pending", "sending")),
                  worker_cpu=worker_cpu, bench_cpu=bench_cpu, database_cpu=database_cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--incidents", type=int, default=1000, help="incidents (one channel each) the rows go to")
    parser.add_argument("--workers", default="1,4", help="comma-separated numbers of worker processes")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds after the due instant to give up")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run one database only")
    args = parser.parse_args()
    databases = [("sqlite", "sqlite:///{tmp}/bench.db")]
    if os.environ.get("BENCH_DATABASE_URL"):
        databases.append(("postgresql", os.environ["BENCH_DATABASE_URL"]))
    databases = [d for d in databases if args.only in (None, d[0])]
    counts = [int(n) for n in args.workers.split(",")]
    print(f"{args.count} checklist nudges over {args.incidents} incidents/channels, all due at one instant; "
          f"Slack double in process, no added latency; {os.cpu_count()} CPUs", flush=True)
    print(f"before: {describe_floor(measure_floor(args.count, args.incidents))}", flush=True)
    results = []
    for database, url in databases:
        for n in counts:
            result = run_one(url, database, n, args.count, args.incidents, args.timeout)
            results.append(result)
            print(f"{database:<10} workers {n}: {result.rate:7.0f} rows/s, lateness p50 {result.p50:5.2f} s, "
                  f"p99 {result.p99:5.2f} s, max {result.worst:5.2f} s, lost {result.lost}, "
                  f"duplicated {result.duplicated}, unfinished {result.unfinished}", flush=True)
            sent = max(1, result.count - result.lost)
            database_cpu = ("" if result.database_cpu != result.database_cpu else  # NaN: not a local server
                            f", PostgreSQL server {1000 * result.database_cpu / sent:.2f} ms")
            print(f"{'':<10} CPU per row: workers {1000 * result.worker_cpu / sent:.2f} ms, this process (Slack "
                  f"double) {1000 * result.bench_cpu / sent:.2f} ms{database_cpu}", flush=True)
    print(f"after:  {describe_floor(measure_floor(args.count, args.incidents))}", flush=True)
    verdict = True
    for database in {r.database for r in results}:
        rows = {r.workers: r for r in results if r.database == database}
        if 1 in rows and 4 in rows:
            faster = rows[4].rate > rows[1].rate
            print(f"{database}: 4 workers {'faster' if faster else 'NOT faster'} than 1 "
                  f"({rows[4].rate / rows[1].rate:.2f}x)")
            verdict &= faster or database == "sqlite"
    pg4 = next((r for r in results if r.database == "postgresql" and r.workers == 4), None)
    if pg4 is not None:
        met = pg4.rate >= 1000 and pg4.p99 < 5 and pg4.lost == 0 and pg4.duplicated == 0 and pg4.unfinished == 0
        print(f"target (PostgreSQL, 4 workers: >= 1000 rows/s, p99 < 5 s, 0 lost, 0 duplicated): "
              f"{'met' if met else 'NOT met'}")
        verdict &= met
    verdict &= all(r.lost == 0 and r.duplicated == 0 for r in results)
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
