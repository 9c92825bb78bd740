"""Benchmark: assessing the whole shipped regulations catalog for one incident.

Loads ``config/regulations`` through the normal loader and times a full
assessment of every regime (all obligations, chained stages, calendars and
roll-forwards) for many random trigger times and fact combinations, as happens
on every fact or trigger change of an incident.

    python bench/deadlines.py [--runs 300]

Prints the catalog size, the load time and the median / p95 / max time of one
full assessment.  Target: p95 well under 50 ms, so recomputing inside a Slack
interaction never shows.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config.loader import ConfigPaths, load_config  # noqa: E402
from bot.deadlines.assess import Situation, assess  # noqa: E402
from bot.deadlines.catalog import fact_catalog, regimes  # noqa: E402
from bot.deadlines.rules import TRIGGERS  # noqa: E402

BOOLEAN_FACTS_FALSE_SHARE = 0.2
ENTITY_TYPES = ["credit_institution", "ccp", "trading_venue_operator", "insurer", "investment_firm"]


def random_facts(rng: random.Random, names: list[str]) -> dict:
    facts: dict = {}
    for name in names:
        if name == "residents":
            facts[name] = {s: rng.randint(0, 2000) for s in ("CA", "TX", "NY", "VT", "FL", "WA")}
        elif name in ("affected_individuals", "max_residents_in_one_state"):
            facts[name] = rng.randint(1, 5000)
        elif name == "dora_entity_type":
            facts[name] = rng.choice(ENTITY_TYPES)
        elif name == "member_state":
            facts[name] = rng.choice(["DE", "FR", "IE", "NL"])
        elif name == "entity_zone":
            continue  # the regime's own zone
        elif name in ("gdpr_role",):
            facts[name] = rng.choice(["controller", "processor"])
        elif name in ("risk_level",):
            facts[name] = rng.choice(["unlikely", "risk", "high"])
        elif name == "soci_impact":
            facts[name] = rng.choice(["significant", "relevant", "none"])
        else:
            facts[name] = rng.random() > BOOLEAN_FACTS_FALSE_SHARE
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "config" / "regulations", Path(tmp) / "regulations")
        started = time.perf_counter()
        config = load_config(ConfigPaths(Path(tmp), Path(tmp) / "no-playbooks"))
        load_ms = (time.perf_counter() - started) * 1000
    catalog = regimes(config)
    ids = sorted(catalog)
    names = sorted(fact_catalog(config))
    obligations = sum(len(r.obligations) for r in catalog.values())
    timings = []
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for _ in range(args.runs):
        start = base + timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
        triggers = {t: start + timedelta(hours=rng.randint(0, 72)) for t in TRIGGERS}
        situation = Situation(triggers=triggers, facts=random_facts(rng, names), at=start)
        t0 = time.perf_counter()
        results = assess(catalog, ids, situation)
        timings.append((time.perf_counter() - t0) * 1000)
        assert len(results) == obligations
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"catalog: {len(ids)} regimes, {obligations} obligations, {len(names)} facts; loaded in {load_ms:.0f} ms")
    print(f"full assessment over {args.runs} incidents: median {statistics.median(timings):.2f} ms, "
          f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
