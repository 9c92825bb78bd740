"""``incident-bot metrics --from --to``: MTTA and MTTR per severity, pages, exceptions, deadlines, reviews, follow-ups."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.common import add_config_args, add_period_args, load_or_exit, migrated_store, period_bounds

EPILOG = """examples:
  python -m bot metrics --from 2026-01-01 --to 2027-01-01
  python -m bot metrics --from 2026-01-01 --to 2027-01-01 --format csv

A day means its midnight in the workspace zone (config/settings.yaml); an instant needs an offset. The
period is [from, to). What each figure counts: docs/after-incident.md#metrics."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("metrics", help="incident metrics for a period: MTTA, MTTR, pages, deadlines, reviews",
                            description="MTTA and MTTR per severity, incidents per severity, pages per person and out "
                                        "of hours, labor-law exceptions used, legal deadlines met and missed, reviews "
                                        "on time, follow-ups overdue, for the incidents declared in [FROM, TO).",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    add_period_args(parser)
    parser.add_argument("--format", choices=("md", "csv", "json"), default="md", help="Markdown (default), CSV, JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.learning.metrics import compute
    from bot.learning.metrics_report import to_csv, to_json, to_markdown

    config = load_or_exit(args)
    zone = config.settings.timezone
    try:
        start, end = period_bounds(args, zone)
        with migrated_store() as store, store.session() as session:
            metrics = compute(session, config, start, end, SystemClock().now())
    except (argparse.ArgumentTypeError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(to_json(metrics), indent=2))
    elif args.format == "csv":
        sys.stdout.write(to_csv(metrics))
    else:
        print(to_markdown(metrics))
    return 0
