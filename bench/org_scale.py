"""Benchmark: configuration and page plans for organisations of 200, 2,000 and 20,000 people.

Each organisation is the shipped configuration (config/, playbooks/) grown to
the size asked: the shipped people and rotations stay as they are, and teams in
the same shape are added until the organisation has the number of people and
rotations asked (ten people per rotation).  A platform team is one weekly
rotation in Munich and Lisbon (German and Portuguese profiles, override for a
vacation, deputies next in rotation, escalation with a hold for low urgency);
a payments team is a follow-the-sun pair in Paris and San Francisco (French
and Californian profiles, coverage windows, a named deputy).  Some people
have leave in weeks they are not on call; some have no rota at all.

For each size it prints the time to load and check the configuration (the
same work as ``incident-bot check``: every file, every cross-check and the
28-day rota compliance check), the page-plan time (median and p95 over
random rotations, policies, instants and severities) and the growth exponent
between sizes (1.0 is linear; n log n from 2,000 to 20,000 is about 1.1).
Then it times cold processes on the shipped configuration:
``deadlines --json`` and ``oncall --json`` for one rota.

    python bench/org_scale.py [--sizes 200,2000,20000] [--plans 300] [--cold 5]
    python bench/org_scale.py --sizes "" --cold 9      only the cold processes

Targets: config load + check at 20,000 people under 10 s and growth no worse
than n log n; page plan p95 under 20 ms at 20,000; ``deadlines --json`` under
0.6 s and ``oncall --json`` under 1 s from a cold process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config.loader import ConfigPaths, collect  # noqa: E402
from bot.oncall.history import EngagementHistory  # noqa: E402
from bot.oncall.planner import ExceptionRequest, plan_pages  # noqa: E402

FIRST_MONDAY = date(2026, 11, 30)  # rotations start on one of the Mondays from here; shipped horizon: 2026-12-14 + 28 days
HORIZON = (date(2026, 12, 14), date(2027, 1, 11))
PER_ROTATION = 10
COMPENSATION = {"munich": "EUR 350 per standby week", "lisbon": "EUR 300 per standby week",
                "paris": "astreinte EUR 40/day + intervention paid as overtime",
                "san-francisco": "USD 400 per standby week"}
HOURS = {  # the shipped people's working hours, per site
    "munich": [{"MO-FR": ["09:00-12:30", "13:15-17:30"]}, {"MO-TH": ["08:00-12:00", "12:45-16:45"], "FR": ["08:00-12:00"]},
               {"MO-FR": ["09:00-17:00"]}],
    "lisbon": [{"MO-FR": ["09:00-13:00", "14:00-18:00"]}, {"MO-FR": ["10:00-13:00", "14:00-19:00"]}],
    "paris": [{"MO-FR": ["09:00-12:30", "13:30-18:00"]}, {"MO-FR": ["09:30-13:00", "14:00-18:30"]}],
    "san-francisco": [{"MO-FR": ["08:00-12:00", "12:30-16:30"]}, {"MO-FR": ["09:00-13:00", "13:30-17:30"]}],
}


class _Org:
    def __init__(self, people: list[dict], rotas: dict, rng: random.Random) -> None:
        self.people, self.rotas, self.rng = people, rotas, rng
        self.teams = 0

    def person(self, pid: str, site: str, *, oncall: bool = True) -> str:
        n = len(self.people)
        self.people.append({"id": pid, "name": pid.replace("-", " ").title(), "slack": f"U{n:09d}", "site": site,
                            "working_hours": HOURS[site][n % len(HOURS[site])],
                            "contract": {"oncall_agreement": oncall, "compensation": COMPENSATION[site] if oncall else ""}})
        return pid

    def leave_outside_duty(self, members: list[str], start: date, covers: tuple[str, int] | None = None) -> None:
        """Leave (Tuesday to Sunday) for every third member in a horizon week they are not rostered in
        (``covers``: a member who takes another's horizon week by override)."""
        by_id = {p["id"]: p for p in self.people[-3 * len(members):]}
        for j, pid in enumerate(members):
            if j % 3:
                continue
            weeks = [w for w in range(4) if ((HORIZON[0] - start).days // 7 + w) % len(members) != j
                     and covers != (pid, w)]
            monday = HORIZON[0] + timedelta(weeks=self.rng.choice(weeks))
            by_id[pid]["leave"] = [{"from": (monday + timedelta(days=1)).isoformat(),
                                    "to": (monday + timedelta(days=6)).isoformat(), "kind": "vacation"}]

    def platform(self) -> int:
        t = self.teams = self.teams + 1
        members = [self.person(f"plat{t}-{k}", "munich" if k % 2 == 0 else "lisbon") for k in range(8)]
        manager = self.person(f"plat{t}-lead", "munich")
        self.person(f"plat{t}-staff", "lisbon", oncall=False)
        start = FIRST_MONDAY + timedelta(weeks=t % 4)
        rid, pol = f"platform-{t}", f"platform-{t}-escalation"
        self.rotas["rotations"].append({
            "id": rid, "name": f"Platform {t}", "timezone": "Europe/Berlin", "participants": members,
            "start": start.isoformat(), "cadence": "weekly", "handoff": "MO 09:00", "deputies": "next_in_rotation",
            "fallback": manager, "escalation": pol, "activity": "it_systems_continuity", "standby": "remote",
            "response_minutes": 30})
        # a swap as in the shipped rota: the member four weeks away covers the third week of the horizon
        third = HORIZON[0] + timedelta(weeks=2)
        index = ((third - start).days // 7) % len(members)
        self.rotas["overrides"].append({
            "rotation": rid, "person": members[(index + 4) % 8], "replaces": members[index],
            "from": f"{third.isoformat()} 09:00", "to": f"{(third + timedelta(weeks=1)).isoformat()} 09:00",
            "reason": "swap"})
        self.leave_outside_duty(members, start, covers=(members[(index + 4) % 8], 2))
        self.rotas["escalation_policies"].append({
            "id": pol, "levels": [{"targets": [{"rotation": rid}], "ack_timeout": "5m"},
                                  {"targets": [{"deputies_of": rid}], "ack_timeout": "10m"},
                                  {"targets": [{"person": manager}], "ack_timeout": "15m"}],
            "repeat": 1, "fallback": manager, "urgency": {"low": "hold_until_working_hours", "high": "page_now"}})
        return 1

    def payments(self) -> int:
        t = self.teams = self.teams + 1
        emea = [self.person(f"pay{t}-eu{k}", "paris") for k in range(8)]
        amer = [self.person(f"pay{t}-us{k}", "san-francisco") for k in range(8)]
        manager = self.person(f"pay{t}-lead", "paris")
        for k in range(3):
            self.person(f"pay{t}-staff{k}", "paris" if k else "san-francisco", oncall=False)
        start = FIRST_MONDAY + timedelta(weeks=t % 4)
        self.leave_outside_duty(emea, start)
        self.leave_outside_duty(amer, start)
        pol = f"payments-{t}"
        for suffix, members, window, deputies in (("emea", emea, "07:00-19:00", [manager]),
                                                  ("amer", amer, "19:00-07:00", "next_in_rotation")):
            self.rotas["rotations"].append({
                "id": f"payments-{t}-{suffix}", "timezone": "Europe/Paris", "participants": members,
                "start": start.isoformat(), "cadence": "weekly", "handoff": "MO 09:00",
                "coverage": [{"days": "MO-SU", "window": window}], "deputies": deputies, "fallback": manager,
                "escalation": pol})
        self.rotas["escalation_policies"].append({
            "id": pol, "levels": [{"targets": [{"rotation": f"payments-{t}-emea"}, {"rotation": f"payments-{t}-amer"}],
                                   "ack_timeout": "5m"},
                                  {"targets": [{"deputies_of": f"payments-{t}-emea"}, {"deputies_of": f"payments-{t}-amer"}],
                                   "ack_timeout": "10m"},
                                  {"targets": [{"person": manager}], "ack_timeout": "15m"}],
            "repeat": 1, "fallback": manager})
        return 2


def generate(folder: Path, people: int, rotations: int | None = None) -> tuple[int, int]:
    """Write config/ and playbooks/ for an organisation of ``people`` into ``folder``; returns (people, rotations)."""
    rotations = rotations or people // PER_ROTATION
    shutil.copytree(ROOT / "config", folder / "config")
    shutil.copytree(ROOT / "playbooks", folder / "playbooks")
    shipped_people = yaml.safe_load((ROOT / "config" / "people.yaml").read_text(encoding="utf-8"))
    rotas = yaml.safe_load((ROOT / "config" / "rotas.yaml").read_text(encoding="utf-8"))
    org = _Org(shipped_people["people"], rotas, random.Random(7))
    count = len(rotas["rotations"])
    while count < rotations:
        count += org.payments() if rotations - count >= 2 and org.teams % 2 == 0 else org.platform()
    pad = 0
    while len(org.people) < people:
        pad += 1
        org.person(f"staff-{pad}", ("munich", "lisbon", "paris", "san-francisco")[pad % 4], oncall=False)
    class Plain(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        """Values written out, as a manager would: no anchors and aliases for objects used twice (the loader
        refuses files whose aliases expand to more than 100,000 values)."""

        def ignore_aliases(self, data):  # noqa: ANN001
            return True

    dumper = Plain
    for name, data in (("people.yaml", shipped_people), ("rotas.yaml", rotas)):
        (folder / "config" / name).write_text(yaml.dump(data, Dumper=dumper, sort_keys=False), encoding="utf-8")
    return len(org.people), count


def measure(folder: Path, plans: int) -> dict:
    """In this process (run as a child, so each size starts cold): load + check, then time page plans."""
    t0, c0 = time.perf_counter(), time.process_time()
    config, issues = collect(ConfigPaths(folder / "config", folder / "playbooks"), complete=True)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    if config is None:
        errors = [str(i) for i in issues if i.severity == "error"]
        raise SystemExit(f"generated configuration is invalid ({len(errors)} errors), first: {errors[:3]}")
    rotas = config.one("rotas")
    targets = [r.id for r in rotas.rotations] + [p.id for p in rotas.escalation_policies]
    people = [p.id for p in config.one("people").people]
    rng = random.Random(11)
    base = datetime.combine(HORIZON[0], datetime.min.time(), tzinfo=timezone.utc)
    history = EngagementHistory.of((rng.choice(people), base + timedelta(hours=h), base + timedelta(hours=h, minutes=50))
                                   for h in range(0, 24 * 28, 2))
    request = ExceptionRequest("bench", "benchmark emergency")
    t0 = time.perf_counter()
    plan_pages(config, targets[0], base, "sev2", history=history)
    first_ms = (time.perf_counter() - t0) * 1000
    timings, cpu = [], []
    for _ in range(plans):
        at = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 28))
        severity = rng.choice(["sev1", "sev2", "sev3", "security"])
        t, c = time.perf_counter(), time.process_time()
        plan_pages(config, rng.choice(targets), at, severity, urgency="low" if severity == "sev3" else "high",
                   history=history, exception=request if severity in ("sev1", "security") else None)
        timings.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    timings.sort()
    cpu.sort()
    return {"people": len(people), "rotations": len(rotas.rotations), "load_s": load_s, "load_cpu": load_cpu,
            "first_ms": first_ms,
            "median_ms": statistics.median(timings), "p95_ms": _p95(timings), "p95_cpu_ms": _p95(cpu),
            "warnings": sum(1 for i in issues if i.severity == "warning")}


def _p95(ordered: list[float]) -> float:
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def cold(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) time of ``python -m bot <argv>`` in fresh processes on the shipped
    configuration."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bot", *argv], cwd=ROOT, capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"`python -m bot {' '.join(argv)}` failed ({done.returncode}): {done.stderr[-500:]}")
    return statistics.median(walls), statistics.median(cpus)


def exponent(a: float, b: float, n_a: int, n_b: int) -> float:
    return math.log(b / a) / math.log(n_b / n_a)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,2000,20000", help="people per organisation (comma-separated)")
    parser.add_argument("--plans", type=int, default=300, help="page plans timed per size")
    parser.add_argument("--cold", type=int, default=5, help="cold processes per command")
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "PLANS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), int(args.child[1]))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"organisation scale benchmark: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
          "each size in a fresh process")
    if not sizes:  # --sizes "": only the cold processes
        return cold_starts(args.cold)
    print("wall = elapsed time; cpu = time this process ran (the same when the machine is otherwise idle)\n")
    print(f"{'people':>7} {'rotas':>6} {'load+check wall':>16} {'cpu':>7} {'first plan':>11} {'plan median':>12} "
          f"{'plan p95 wall':>14} {'cpu':>8}")
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), size)
            out = subprocess.run([sys.executable, __file__, "--child", tmp, str(args.plans)], capture_output=True,
                                 text=True)
            if out.returncode != 0:
                print(out.stderr[-2000:], file=sys.stderr)
                return 1
            row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{row['people']:>7} {row['rotations']:>6} {row['load_s']:>15.2f}s {row['load_cpu']:>6.2f}s "
              f"{row['first_ms']:>9.1f}ms {row['median_ms']:>10.2f}ms {row['p95_ms']:>12.2f}ms "
              f"{row['p95_cpu_ms']:>6.2f}ms", flush=True)
    print("\ngrowth between sizes (exponent k in time ~ n^k; 1.0 is linear):")
    for a, b in zip(rows, rows[1:]):
        n_a, n_b = a["people"], b["people"]
        nlogn = exponent(n_a * math.log(n_a), n_b * math.log(n_b), n_a, n_b)
        wall_k = exponent(a["load_s"], b["load_s"], n_a, n_b)
        cpu_k = exponent(a["load_cpu"], b["load_cpu"], n_a, n_b)
        plan_k = exponent(a["median_ms"], b["median_ms"], n_a, n_b)
        print(f"  {n_a:>6} -> {n_b:<6} load+check k = {wall_k:.2f} wall, {cpu_k:.2f} cpu (n log n: {nlogn:.2f}: "
              f"{'met' if max(wall_k, cpu_k) <= nlogn else 'NOT met'});  plan median k = {plan_k:.2f}")
    big = rows[-1]
    print(f"\ntargets at {big['people']} people / {big['rotations']} rotations:")
    print(f"  config load + check < 10 s:  {big['load_s']:6.2f} s wall, {big['load_cpu']:5.2f} s cpu: "
          f"{_verdict(big['load_s'], big['load_cpu'], 10)}")
    print(f"  page plan p95 < 20 ms:       {big['p95_ms']:6.2f} ms wall, {big['p95_cpu_ms']:5.2f} ms cpu: "
          f"{_verdict(big['p95_ms'], big['p95_cpu_ms'], 20)}")
    return cold_starts(args.cold)


def cold_starts(runs: int) -> int:
    if runs:
        print(f"\ncold processes on the shipped configuration (median of {runs}):")
        for label, argv, limit in (
                ("deadlines --json", ["deadlines", "--regime", "gdpr,nis2", "--trigger", "aware=2026-03-27T10:00:00+01:00",
                                      "--fact", "gdpr_in_scope=true", "--fact", "personal_data_breach=true",
                                      "--fact", "risk_level=high", "--json"], 0.6),
                ("oncall platform --json", ["oncall", "platform", "--at", "2026-12-25T02:00:00+01:00", "--json"], 1.0)):
            wall, cpu = cold(argv, runs)
            print(f"  {label:<24} {wall:5.2f} s wall, {cpu:4.2f} s cpu; target < {limit} s: {_verdict(wall, cpu, limit)}")
    return 0


def _verdict(wall: float, cpu: float, limit: float) -> str:
    if wall < limit:
        return "met"
    if cpu < limit:
        return "met in cpu time, NOT in wall time (the machine is busy with other work: rerun when idle)"
    return "NOT met"


if __name__ == "__main__":
    raise SystemExit(main())
