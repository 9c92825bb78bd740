"""``incident-bot evidence --from --to``: the period evidence report for auditors (Markdown and JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import add_config_args, add_period_args, load_or_exit, migrated_store, period_bounds

EPILOG = """examples:
  python -m bot evidence --from 2026-01-01 --to 2027-01-01
  python -m bot evidence --from 2026-01-01 --to 2027-01-01 --output var/evidence/2026

Writes PREFIX.md and PREFIX.json (owner-only). Exit 1 when a chain does not verify or an exercise event
could not be read (named, and left out of the report). See
docs/after-incident.md#period-evidence-report."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evidence", help="the period evidence report for auditors (Markdown and JSON)",
                            description="Every incident of [FROM, TO) with its legal duties, labor exceptions and "
                                        "rest, review, follow-ups, chain verification and signed checkpoint, and the "
                                        "configuration in force, built from the chains.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    add_period_args(parser)
    parser.add_argument("--output", "-o", metavar="PREFIX",
                        help="write PREFIX.md and PREFIX.json (default var/evidence/evidence-FROM-TO)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.learning.exercises_report import left_out_lines
    from bot.learning.period_report import build
    from bot.learning.period_report_md import render
    from bot.private_file import write_private

    config = load_or_exit(args)
    zone = config.settings.timezone
    try:
        start, end = period_bounds(args, zone)
        with migrated_store() as store, store.session() as session:
            report = build(session, start, end, SystemClock().now())
    except (argparse.ArgumentTypeError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    prefix = Path(args.output or f"var/evidence/evidence-{start:%Y%m%d}-{end:%Y%m%d}")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    md, js = prefix.with_name(prefix.name + ".md"), prefix.with_name(prefix.name + ".json")
    write_private(md, render(report))
    write_private(js, json.dumps(report, indent=2, ensure_ascii=False))
    ok = report["chains"]["all_verified"]
    print(f"{len(report['incidents'])} incident(s); chains {'verified' if ok else 'NOT verified'}; wrote {md} and {js}")
    left_out = report["drills"]["left_out"]
    for line in left_out_lines(left_out):
        print(line, file=sys.stderr)
    return 0 if ok and not left_out else 1
