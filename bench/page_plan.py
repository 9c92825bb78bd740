"""Benchmark: page-plan resolution for a 200-person, 20-rotation configuration.

Generates the configuration in a temporary folder (the shipped labor profiles,
four sites in four countries, 20 weekly rotations with coverage windows,
overrides, leave and an escalation policy per rotation), loads it through the
normal loader (including the plan-time compliance checks) and times
``plan_pages`` at many instants and severities with some call-out history.

    python bench/page_plan.py [--plans 2000]

Target: median and p95 well under 20 ms per plan.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config.loader import ConfigPaths, load_config  # noqa: E402
from bot.oncall.history import EngagementHistory  # noqa: E402
from bot.oncall.planner import ExceptionRequest, plan_pages  # noqa: E402

SITES = [
    {"id": "munich", "timezone": "Europe/Berlin", "holidays": {"country": "DE", "subdivision": "BY"},
     "labor_profile": "de-arbzg", "overlays": ["de-example-bv"]},
    {"id": "lisbon", "timezone": "Europe/Lisbon", "holidays": {"country": "PT"}, "labor_profile": "pt-ct"},
    {"id": "paris", "timezone": "Europe/Paris", "holidays": {"country": "FR"}, "labor_profile": "fr-ct"},
    {"id": "san-francisco", "timezone": "America/Los_Angeles", "holidays": {"country": "US", "subdivision": "CA"},
     "labor_profile": "us-ca"},
]


def generate(folder: Path, people: int = 200, rotations: int = 20) -> None:
    rng = random.Random(7)
    shutil.copytree(ROOT / "config" / "labor", folder / "labor")
    persons = []
    for i in range(people):
        leave = []
        if i % 9 == 0:
            start = datetime(2027, 2, 1) + timedelta(days=rng.randrange(0, 60))
            leave = [{"from": start.date().isoformat(), "to": (start + timedelta(days=6)).date().isoformat()}]
        persons.append({"id": f"p{i:03d}", "slack": f"U{i:08d}", "site": SITES[i % len(SITES)]["id"],
                        "working_hours": {"MO-FR": ["09:00-12:30", "13:15-17:30"]},
                        "contract": {"oncall_agreement": True, "compensation": "standby allowance"}, "leave": leave})
    (folder / "people.yaml").write_text(yaml.safe_dump({"sites": SITES, "people": persons}), encoding="utf-8")
    rots, policies, overrides = [], [], []
    per = people // rotations
    for r in range(rotations):
        members = [f"p{i:03d}" for i in range(r * per, (r + 1) * per)]
        rot = {"id": f"rota-{r:02d}", "timezone": SITES[r % len(SITES)]["timezone"], "participants": members,
               "start": "2026-11-30", "handoff": "MO 09:00", "fallback": members[0], "activity": "it_systems_continuity",
               "escalation": f"policy-{r:02d}"}
        if r % 3 == 1:
            rot["coverage"] = [{"days": "MO-FR", "window": "08:00-20:00"}, {"days": "SA,SU", "window": "10:00-18:00"}]
        rots.append(rot)
        policies.append({"id": f"policy-{r:02d}", "fallback": members[0], "repeat": 1, "levels": [
            {"targets": [{"rotation": rot["id"]}], "ack_timeout": "5m"},
            {"targets": [{"deputies_of": rot["id"]}], "ack_timeout": "10m"},
            {"targets": [{"person": members[1]}], "ack_timeout": "15m"}]})
        overrides.append({"rotation": rot["id"], "person": members[2], "replaces": members[3],
                          "from": "2027-01-04 09:00", "to": "2027-01-06 09:00"})
    rotas = {"compliance": {"from": "2026-11-30", "days": 28}, "rotations": rots, "overrides": overrides,
             "escalation_policies": policies}
    (folder / "rotas.yaml").write_text(yaml.safe_dump(rotas), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "config"
        folder.mkdir()
        generate(folder)
        t0 = time.perf_counter()
        config = load_config(ConfigPaths(folder, Path(tmp) / "playbooks"))
        load_ms = (time.perf_counter() - t0) * 1000
        rng = random.Random(11)
        base = datetime(2026, 12, 1, tzinfo=timezone.utc)
        history = EngagementHistory.of(
            (f"p{rng.randrange(200):03d}", base + timedelta(hours=h), base + timedelta(hours=h, minutes=50))
            for h in range(0, 24 * 90, 5))
        request = ExceptionRequest("bench", "benchmark emergency")
        t0 = time.perf_counter()
        plan_pages(config, "rota-00", base, "sev2", history=history)  # builds the per-config index once
        first_ms = (time.perf_counter() - t0) * 1000
        timings = []
        for i in range(args.plans):
            at = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
            target = f"rota-{rng.randrange(20):02d}" if i % 2 else f"policy-{rng.randrange(20):02d}"
            severity = rng.choice(["sev1", "sev2", "sev3"])
            t = time.perf_counter()
            plan_pages(config, target, at, severity, urgency="low" if severity == "sev3" else "high", history=history,
                       exception=request if severity == "sev1" else None)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print("page plan benchmark: 200 people, 20 rotations, 20 escalation policies, 4 sites")
    print(f"  config load incl. 28-day compliance check: {load_ms:8.1f} ms")
    print(f"  first plan (builds the team index):         {first_ms:8.2f} ms")
    print(f"  plans timed:                                {len(timings):8d}")
    print(f"  median:                                     {statistics.median(timings):8.2f} ms")
    print(f"  p95:                                        {p95:8.2f} ms")
    print(f"  max:                                        {timings[-1]:8.2f} ms")
    print(f"  target < 20 ms per plan:                    {'met' if p95 < 20 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
