"""Alert intake under sustained load: answer times, and exact grouping under concurrency.

Runs the bot's alert intake as `serve` does (waitress on loopback, the shipped
configuration plus an alerts.yaml) with triage either in a thread of the same
process (one `serve`) or in a process of its own (web `serve --no-scheduler` plus
the `scheduler` worker), on a fresh SQLite database or on PostgreSQL
(``--database-url``), prints the machine's load average, and offers Alertmanager
webhooks at a fixed rate from separate client processes over keep-alive
connections: a mix of new alert groups and repeats of groups already open.

Prints the offered and achieved rate, answer-time percentiles (the answer is
sent after the alert is committed), how long triage took to drain, and the
grouping check: one group per key, one incident per declaring group, pages for
each paging group, no page twice.  Critical alerts (a quarter of the keys)
declare an incident and the others page the platform rota without one;
``--all-declare`` makes every new group declare (the mix before page routes).
With ``--peer`` it offers the same load to a real Prometheus Alertmanager's own
``/api/v2/alerts`` (``$ALERTMANAGER`` or on PATH) for comparison.

    python bench/alert_intake.py [--rate 500] [--seconds 20] [--new-share 0.05] [--database-url URL]
                                 [--triage worker|serve] [--no-triage] [--peer] [--all-declare]

Target (issue 14): at least 500 alerts/s with p99 under 100 ms on 2 cores, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-not-secret"
# Critical alerts (key % 4 == 0) declare an incident; the others page the platform rota without one.
ALERTS_YAML = """
sources:
  - {id: prometheus, format: alertmanager, token_env: BENCH_ALERTS_TOKEN}
routes:
  - {match: {severity: critical}, declare: sev2, commander: katrin}
  - {match: {severity: info}, page: platform, urgency: high}
fallback: {declare: sev4, commander: katrin}
grouping: {window: 5m}
"""
PAGE_ROUTES = {"routes[1]"}
# --all-declare: the earlier mix, every new group declares (critical: sev2, the rest: the fallback's sev4).
ALL_DECLARE_YAML = """
sources:
  - {id: prometheus, format: alertmanager, token_env: BENCH_ALERTS_TOKEN}
routes:
  - {match: {severity: critical}, declare: sev2, commander: katrin}
fallback: {declare: sev4, commander: katrin}
grouping: {window: 5m}
"""


def body(key: int, n: int) -> bytes:
    labels = {"alertname": f"Bench{key}", "service": f"svc-{key % 50}", "severity": "critical" if key % 4 == 0 else "info"}
    return json.dumps({
        "version": "4", "groupKey": f"{{}}:{{alertname=\"Bench{key}\"}}", "truncatedAlerts": 0, "status": "firing",
        "receiver": "bot", "groupLabels": {"alertname": f"Bench{key}"}, "commonLabels": labels,
        "commonAnnotations": {"summary": f"bench alert {key}"}, "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": "firing", "labels": {**labels, "instance": f"host-{n % 7}"},
                    "annotations": {"summary": f"bench alert {key}"}, "startsAt": "2026-12-15T03:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph",
                    "fingerprint": f"{key:016x}"}]}).encode()


def am_api_body(key: int, n: int) -> bytes:
    return json.dumps([{"labels": {"alertname": f"Bench{key}", "instance": f"host-{n % 7}", "severity": "critical"},
                        "annotations": {"summary": f"bench alert {key}"}}]).encode()


class _Connection:
    """A keep-alive HTTP/1.1 connection sending prepared requests: http.client parses every answer's headers
    with the email package, which cost the client processes 0.5 ms of CPU per alert on the 2-core machine,
    CPU the server under test then lacked."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._more()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def exchange(self, request: bytes) -> int:
        """Send one request, read its whole answer; the status code."""
        self.sock.sendall(request)
        status, headers = int(self._line()[9:12]), {}
        while line := self._line():
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" in headers:
            self._take(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            while size := int(self._line().split(b";")[0], 16):
                self._take(size + 2)
            while self._line():  # trailers, then the empty line
                pass
        return status


def _request(port: int, path: str, data: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


def client(port: int, path: str, peer: bool, schedule: list[tuple[float, int, int]], start: float, out) -> None:
    """Send each (offset, key, n) at start + offset (open loop: late sends are not skipped, they queue)."""
    requests = [_request(port, path, am_api_body(key, n) if peer else body(key, n)) for _, key, n in schedule]
    conn = _Connection(port)
    times, errors = [], 0
    for (offset, _key, _n), request in zip(schedule, requests):
        delay = start + offset - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent = time.perf_counter()
        try:
            if conn.exchange(request) >= 300:
                errors += 1
        except (OSError, ValueError):
            errors += 1
            conn = _Connection(port)
        # answer time counted from the planned send time: queueing behind a slow answer counts too
        times.append(time.perf_counter() - min(sent, start + offset))
    out.put((times, errors))


def offer(port: int, path: str, *, rate: float, seconds: float, new_share: float, processes: int, threads: int,
          peer: bool = False, seed: int = 7) -> dict:
    rng = random.Random(seed)
    total = int(rate * seconds)
    keys, plan = 0, []
    for i in range(total):
        if keys == 0 or rng.random() < new_share:
            keys += 1
            key = keys
        else:
            key = rng.randint(1, keys)
        plan.append((i / rate, key, i))
    lanes = processes * threads
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = time.perf_counter() + 1.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the client processes are counted once joined
    procs = []
    for p in range(processes):
        lane_plans = [plan[p * threads + t::lanes] for t in range(threads)]
        procs.append(ctx.Process(target=_lanes, args=(port, path, peer, lane_plans, start, out)))
    for proc in procs:
        proc.start()
    times, errors = [], 0
    for _ in range(lanes):
        t, e = out.get()
        times += t
        errors += e
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / total * 1000
    times.sort()
    pct = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000  # noqa: E731
    return {"sent": total, "keys": keys, "errors": errors, "elapsed": elapsed, "achieved": total / elapsed,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": times[-1] * 1000,
            "mean": statistics.fmean(times) * 1000, "client_cpu_ms": client_cpu}


def _lanes(port, path, peer, lane_plans, start, out) -> None:
    workers = [threading.Thread(target=client, args=(port, path, peer, plan, start, out)) for plan in lane_plans]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def report(name: str, r: dict) -> None:
    print(f"{name:<34} offered {r['sent'] / (r['elapsed']):7.0f}/s  achieved {r['achieved']:7.0f}/s  "
          f"p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  p99 {r['p99']:6.1f} ms  max {r['max']:7.1f} ms  "
          f"errors {r['errors']}")


def _setup(args, work: Path, fresh: bool):
    from bot.clock import SystemClock
    from bot.config.loader import ConfigPaths, collect
    from bot.incidents.service import IncidentService
    from bot.store import migrate
    from bot.store.database import Store, make_engine
    from bot.store.schema import map_everything

    map_everything()  # as `serve` and the `scheduler` worker do at start (and with it bot.outbox.resync provided)
    config, issues = collect(ConfigPaths(work / "config", ROOT / "playbooks"))
    assert config is not None, issues
    engine = make_engine(args.database_url or f"sqlite:///{work / 'bench.db'}")
    if fresh:
        if args.database_url:
            from sqlalchemy import text

            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
    store, clock = Store(engine), SystemClock()
    return config, store, clock, IncidentService(store, lambda: config, clock)


def _triage_process(args, work: Path, stop, out) -> None:
    """The `scheduler` worker's alert triage (bot.cli.commands.scheduler), in a process of its own."""
    from bot.alerts.worker import worker_process_triage

    config, store, clock, incidents = _setup(args, work, fresh=False)
    worker = worker_process_triage(store, lambda: config, clock, incidents, poll_seconds=0.5)
    cpu = time.process_time()
    worker.start()
    from bot.cli.commands.serve import settle_heap

    settle_heap()  # as the `scheduler` worker does once started
    out.put("ready")
    stop.wait()
    worker.stop()
    out.put(time.process_time() - cpu)
    store.dispose()


class _GcPauses:
    """The server's full garbage collections during the load: each stops every thread of the process."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.full.append(time.perf_counter() - self._started)

    def stop(self) -> tuple[int, float]:
        gc.callbacks.remove(self._note)
        return len(self.full), max(self.full, default=0.0) * 1000


def run_bot(args) -> dict:
    from sqlmodel import func, select

    from bot.alerts.tables import AlertGroup, AlertReceipt
    from bot.alerts_http.runtime import AlertIntake
    from bot.incidents.tables import Incident
    from bot.oncall.tables import Page

    work = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    shutil.copytree(ROOT / "config", work / "config")
    (work / "config" / "alerts.yaml").write_text(ALL_DECLARE_YAML if args.all_declare else ALERTS_YAML)
    config, store, clock, incidents = _setup(args, work, fresh=True)
    from bot.cli.commands.serve import SWITCH_INTERVAL_SECONDS, settle_heap

    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)  # as `serve` sets it for its answering threads
    worker = None
    if args.triage == "worker" and not args.no_triage:
        ctx = mp.get_context("spawn")  # a fresh interpreter, as a separate `scheduler` process would be
        stop, triage_cpu = ctx.Event(), ctx.Queue()
        worker = ctx.Process(target=_triage_process, args=(args, work, stop, triage_cpu))
        worker.start()
        assert triage_cpu.get(timeout=120) == "ready"  # its start-up is not part of the load
    intake = AlertIntake(store, lambda: config, clock, incidents, environ={"BENCH_ALERTS_TOKEN": TOKEN},
                         poll_seconds=0.5, triage=args.triage == "serve" or args.no_triage)
    if not args.no_triage:
        intake.start()
    port = intake.listen("127.0.0.1", 0, threads=args.server_threads)
    settle_heap()  # as `serve` does once started
    pauses = _GcPauses()
    cpu = time.process_time()
    result = offer(port, "/alerts/prometheus", rate=args.rate, seconds=args.seconds, new_share=args.new_share,
                   processes=args.processes, threads=args.threads)
    load_end = time.perf_counter()
    result["cpu_ms"] = (time.process_time() - cpu) / result["sent"] * 1000
    result["gc"] = pauses.stop()
    if args.no_triage:
        intake.start()
    while True:
        with store.session() as s:
            left = s.exec(select(func.count()).select_from(AlertReceipt).where(AlertReceipt.state == "accepted")).one()
        if not left:
            break
        time.sleep(0.2)
    result["drain"] = time.perf_counter() - load_end
    intake.stop()
    if worker is not None:
        stop.set()
        result["triage_cpu_ms"] = triage_cpu.get(timeout=60) / result["sent"] * 1000
        worker.join(30)
    with store.session() as s:
        groups = s.exec(select(AlertGroup)).all()
        result["groups"] = len(groups)
        result["distinct_keys"] = len({(g.source, g.key) for g in groups})
        result["incidents"] = s.exec(select(func.count()).select_from(Incident)).one()
        result["groups_with_incident"] = len({g.incident_id for g in groups if g.incident_id})
        paging = set() if args.all_declare else PAGE_ROUTES
        result["page_groups"] = sum(1 for g in groups if g.route in paging)
        pages = s.exec(select(Page)).all()
        result["pages"] = len(pages)
        result["groups_paged"] = len({p.alert_group_id for p in pages if p.alert_group_id is not None})
        result["page_twice"] = len(pages) - len({(p.incident_id, p.alert_group_id, p.person_id, p.level) for p in pages})
        result["receipts"] = s.exec(select(func.count()).select_from(AlertReceipt)).one()
    store.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return result


def run_peer(args) -> dict | None:
    binary = os.environ.get("ALERTMANAGER") or shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not binary:
        print("peer: no Alertmanager found (set ALERTMANAGER)")
        return None
    import socket

    work = Path(tempfile.mkdtemp(prefix="bench-am-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (work / "am.yml").write_text("route: {receiver: none}\nreceivers: [{name: none}]\n")
    am = subprocess.Popen([binary, f"--config.file={work / 'am.yml'}", f"--storage.path={work}",
                           f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/-/ready")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        return offer(port, "/api/v2/alerts", rate=args.rate, seconds=args.seconds, new_share=args.new_share,
                     processes=args.processes, threads=args.threads, peer=True)
    finally:
        am.terminate()
        am.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages: the figures mean little on a busy machine."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500, help="alerts offered per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--new-share", type=float, default=0.05, help="share of alerts that start a new group")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="connections per client process")
    parser.add_argument("--server-threads", type=int, default=16, help="waitress threads (serve's HTTP server: 16)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (its public schema is recreated)")
    parser.add_argument("--triage", choices=("worker", "serve"), default=None,
                        help="worker: triage in a process of its own, as the `scheduler` worker does when web "
                             "processes run `serve --no-scheduler`; serve: in the intake's process, as plain "
                             "`serve` does. Default: what docs/alerts.md recommends for alert storms, worker on "
                             "both databases")
    parser.add_argument("--no-triage", action="store_true", help="triage only after the load (intake alone)")
    parser.add_argument("--peer-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peer", action="store_true", help="also offer the load to a real Alertmanager")
    parser.add_argument("--all-declare", action="store_true",
                        help="every new group declares an incident (no page routes: the mix before them)")
    args = parser.parse_args()
    args.triage = args.triage or "worker"
    db = "PostgreSQL" if args.database_url else "SQLite"
    deployment = ("intake alone, triage after the load" if args.no_triage else
                  "web `serve --no-scheduler` + `scheduler` worker triaging" if args.triage == "worker" else
                  "one `serve` process triaging in a thread")
    print(f"alert intake: {args.rate:.0f} alerts/s for {args.seconds:.0f} s, {args.new_share:.0%} new groups, "
          f"{args.processes}x{args.threads} keep-alive connections, {os.cpu_count()} CPUs, {db}")
    print("routes: " + ("every new group declares an incident (--all-declare)" if args.all_declare else
                        "critical alerts (1 key in 4) declare an incident, the others page the platform rota"))
    print(f"deployment: {deployment}; load average before the run {_load()}")
    if args.peer_only:
        report("peer: Alertmanager /api/v2/alerts", run_peer(args))
        return 0
    r = run_bot(args)
    report(f"intake /alerts ({db})", r)
    if "triage_cpu_ms" in r:
        print(f"{'':<34} intake process CPU {r['cpu_ms']:.2f} ms per alert during the load; triage process CPU "
              f"{r['triage_cpu_ms']:.2f} ms per alert (load and drain)")
    else:
        print(f"{'':<34} server CPU {r['cpu_ms']:.2f} ms per alert during the load (intake and triage, all threads)")
    print(f"{'':<34} client processes CPU {r['client_cpu_ms']:.2f} ms per alert (the load generator shares the CPUs)")
    print(f"{'':<34} full garbage collections in the server during the load: {r['gc'][0]}, longest {r['gc'][1]:.0f} ms")
    print(f"{'':<34} triage drained {r['drain']:.1f} s after the load; {r['receipts']} receipts, {r['distinct_keys']} "
          f"keys -> {r['groups']} groups, {r['incidents']} incidents ({r['groups_with_incident']} groups with one), "
          f"{r['page_groups']} groups paged without one ({r['groups_paged']} with pages), {r['pages']} pages, "
          f"{r['page_twice']} paged twice")
    ok = (r["groups"] == r["distinct_keys"] == r["keys"]
          and r["incidents"] == r["groups_with_incident"] == r["groups"] - r["page_groups"]
          and r["groups_paged"] == r["page_groups"] and r["page_twice"] == 0 and r["errors"] == 0)
    print(f"{'':<34} grouping exact: {'yes' if ok else 'NO'}; target met: "
          f"{'yes' if ok and r['achieved'] >= 500 * 0.98 and r['p99'] < 100 else 'NO'}")
    print(f"{'':<34} load average after the run {_load()}")
    if args.peer:
        p = run_peer(args)
        if p:
            report("peer: Alertmanager /api/v2/alerts", p)
            print(f"{'':<34} client processes CPU {p['client_cpu_ms']:.2f} ms per alert")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
