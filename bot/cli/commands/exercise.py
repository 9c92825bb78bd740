"""``incident-bot exercise record|list``: tabletop exercises and drills of the response plan, on the audit chain."""

from __future__ import annotations

import argparse
import json
import sys
import uuid

from bot.cli.common import add_config_args, load_or_exit, migrated_store, period_bound

EPILOG = """examples:
  python -m bot exercise record --date 2027-03-10 --scenario "ransomware on the billing database" \\
      --participants anna,bruno --findings "the DPO's deputy was not in the rota" --as katrin
  python -m bot exercise list --from 2027-01-01 --to 2028-01-01 --format json

--as is a person id from config/people.yaml or a Slack user id; the permissions file decides whether they may
(record_exercise). Participants and the facilitator are person ids. See docs/after-incident.md#exercises."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("exercise", help="record or list tabletop exercises and drills (on the audit chain)",
                            description="Record a tabletop exercise or drill of the incident response plan on the "
                                        "audit chain, or list the recorded ones.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="exercise_action", metavar="ACTION")
    actions.required = True
    rec = actions.add_parser("record", help="record an exercise that took place")
    add_config_args(rec)
    rec.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the day it took place")
    rec.add_argument("--scenario", required=True, help="what was exercised")
    rec.add_argument("--participants", default="", metavar="a,b", help="person ids of config/people.yaml")
    rec.add_argument("--facilitator", default=None, metavar="PERSON",
                     help="person id of who ran it (default: --as, when it is a person id)")
    rec.add_argument("--findings", default="", help="what the team learned (redacted by purge after retention)")
    rec.add_argument("--as", dest="actor", required=True, metavar="PERSON",
                     help="who records it: a person id (config/people.yaml) or a Slack user id")
    rec.set_defaults(func=run_record)
    lst = actions.add_parser("list", help="list recorded exercises, oldest first")
    add_config_args(lst)
    lst.add_argument("--from", dest="start", metavar="DAY|ISO8601", help="only exercises on or after")
    lst.add_argument("--to", dest="end", metavar="DAY|ISO8601", help="only exercises before (excluded)")
    lst.add_argument("--format", choices=("md", "json"), default="md")
    lst.set_defaults(func=run_list)


def run_record(args: argparse.Namespace) -> int:
    from bot.cli.commands.review import slack_actor
    from bot.clock import SystemClock
    from bot.incidents.errors import IncidentError
    from bot.learning.exercises import Entry, parse_day
    from bot.learning.service import LearningService
    from bot.oncall.directory import person_ids

    config = load_or_exit(args)
    try:
        day = parse_day(args.date)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    facilitator = args.facilitator
    if facilitator is None and config.loaded("people") and args.actor in person_ids(config):
        facilitator = args.actor
    entry = Entry(day=day, scenario=args.scenario, participants=tuple(p for p in args.participants.split(",") if p.strip()),
                  findings=args.findings, facilitator=facilitator)
    with migrated_store() as store:
        learning = LearningService(store, lambda: config, SystemClock())
        try:
            outcome = learning.record_exercise(entry, actor=slack_actor(config, args.actor),
                                               key=f"cli:exercise:{uuid.uuid4().hex}")
        except IncidentError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    print(outcome.message)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.learning.exercises_report import as_json, as_markdown, left_out_lines
    from bot.learning.service import LearningService

    config = load_or_exit(args)
    zone = config.settings.timezone
    try:
        start = period_bound(args.start, zone, what="--from") if args.start else None
        end = period_bound(args.end, zone, what="--to") if args.end else None
    except argparse.ArgumentTypeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    left_out: list[str] = []
    with migrated_store() as store:
        found = LearningService(store, lambda: config, SystemClock()).exercises(start, end, skipped=left_out)
    if args.format == "json":
        print(json.dumps(as_json(found), indent=2, ensure_ascii=False))
    else:
        print(as_markdown(found, left_out))
    for line in left_out_lines(left_out):  # the list is shorter than the chain: say which and exit 1, as export does
        print(line, file=sys.stderr)
    return 1 if left_out else 0
