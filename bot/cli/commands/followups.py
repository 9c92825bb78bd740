"""``incident-bot followups [--open] [--format md|csv|json]``: follow-up actions across incidents, by risk score."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from bot.cli.common import add_config_args, load_or_exit, migrated_store

EPILOG = """examples:
  python -m bot followups --open
  python -m bot followups --format csv

Highest risk score (impact x likelihood, 1..25) first, so a product owner can rank them against their cost.
See docs/after-incident.md#follow-up-actions."""

COLUMNS = ("id", "incident", "state", "risk_score", "impact_level", "likelihood", "horizon", "cost", "owner", "due",
           "overdue", "title", "impact", "deferred_until", "decided_by", "decision_reason")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("followups", help="follow-up actions across incidents, highest risk first",
                            description="Every follow-up action with its cost, impact, likelihood and risk score "
                                        "(impact x likelihood), highest risk first.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("--open", action="store_true", help="only open, in progress and deferred ones")
    parser.add_argument("--format", choices=("md", "csv", "json"), default="md", help="Markdown (default), CSV, JSON")
    parser.set_defaults(func=run)


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.learning.followups import at_day, listing
    from bot.oncall.directory import person_by_slack

    config = load_or_exit(args)
    now = SystemClock().now()
    with migrated_store() as store, store.session() as session:
        views = listing(session, open_only=args.open)
    rows = []
    for view in views:
        row = view.to_json(at_day(now, view.zone))
        row["owner"] = person_by_slack(config, view.owner) or view.owner
        if row["decided_by"]:
            row["decided_by"] = person_by_slack(config, row["decided_by"]) or row["decided_by"]
        rows.append(row)
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif args.format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
    elif not rows:
        print("No open follow-up actions." if args.open else "No follow-up actions.")
    else:
        print("| Id | Incident | State | Risk | Cost | Owner | Due | What |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            due = f"{r['due']}" + (f" (deferred until {r['deferred_until']})" if r["deferred_until"] else "") + \
                (" (overdue)" if r.get("overdue") else "")
            print(f"| {r['id']} | {r['incident']} | {r['state']} | {r['risk_score']} ({r['impact_level']} x "
                  f"{r['likelihood']}) | {_cell(r['cost'])} | {r['owner']} | {due} | {_cell(r['title'])} |")
    return 0
