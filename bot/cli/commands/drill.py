"""``incident-bot drill``: a complete incident, end to end, without a Slack workspace."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from bot.cli.common import add_config_args, check_fact_args, instant_arg, load_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "drill", help="run a complete incident drill against the local Slack double",
        description="Run a complete incident through the real core, store and scheduler, with Slack replaced by "
                    "the local Slack double and simulated time: declaration, channel, who is paged and why "
                    "(skips for rest, holidays or leave), escalation to deputies, legal obligations and their "
                    "due times, reminders to the notification owner, resolution and the evidence export. Prints "
                    "what each person would have seen in Slack. Each playbook gets the story that shows what it "
                    "is for, chosen from its settings: a private channel: a personal-data breach on Christmas "
                    "night (the default, playbook security); a declared labor-law exception: a critical outage at "
                    "night; no paging: a low-severity issue; low-urgency paging only: a minor problem in the "
                    "evening, its page held until the morning; otherwise a major outage on a working afternoon.")
    add_config_args(parser)
    parser.add_argument("playbook", nargs="?", default="security", metavar="PLAYBOOK",
                        help="severity playbook id (default: security)")
    parser.add_argument("--at", type=instant_arg, metavar="ISO8601",
                        help="when the incident is declared, with UTC offset (default: the story's, e.g. "
                             "2026-12-25T02:00:00+01:00 for the breach)")
    parser.add_argument("--title", help="incident title (default: the story's)")
    parser.add_argument("--fact", action="append", default=None, metavar="NAME=VALUE",
                        help="incident fact (repeatable), e.g. personal_data_breach=true, residents.CA=420; "
                             "given facts replace the story's")
    parser.add_argument("--no-ack", action="append", default=None, metavar="PERSON",
                        help="person id who does not acknowledge pages (repeatable; default: as the story says: "
                             "the breach's first person paged, nobody in the others)")
    parser.add_argument("--everyone-acks", action="store_true", help="every paged person acknowledges")
    parser.add_argument("--reporter", metavar="PERSON", help="person id who declares (default: first commander)")
    parser.add_argument("--speed", type=float, default=0.0, metavar="N",
                        help="run simulated time N times faster than real time between events (default: as fast "
                             "as possible)")
    parser.add_argument("--alert", metavar="FILE",
                        help="an alert opens the incident instead of a person: an Alertmanager/Grafana webhook, a "
                             "PagerDuty Events v2 event or generic JSON, replayed through config/alerts.yaml "
                             "(examples in docs/examples/); the route picks the playbook and its story")
    parser.add_argument("--database-url", metavar="URL",
                        help="keep the drill's data in this database instead of a throw-away SQLite file")
    parser.set_defaults(func=run)


def _no_configuration_here(args: argparse.Namespace) -> bool:
    return not (args.config_dir or args.playbooks_dir or os.environ.get("BOT_CONFIG_DIR")
                or os.environ.get("BOT_PLAYBOOKS_DIR") or Path("config").is_dir())


def run(args: argparse.Namespace) -> int:
    from bot.drill.runner import DrillOptions, run_drill
    from bot.oncall.directory import person_ids

    if not args.verbose:  # the transcript is the output; routine scheduler logs would only interleave with it
        logging.getLogger().setLevel(logging.WARNING)
    if _no_configuration_here(args):
        from bot.config.example import example_paths

        example = example_paths()
        args.config_dir, args.playbooks_dir = str(example.config_dir), str(example.playbooks_dir)
        print(f"No configuration folder here (./config), so the drill uses the example configuration that ships "
              f"with incident-bot ({example.config_dir}). `incident-bot init` writes a copy to edit; "
              "--config-dir picks another.", file=sys.stderr)
    config = load_or_exit(args)
    options = DrillOptions(playbook=args.playbook, speed=args.speed, database_url=args.database_url)
    playbooks = {p.id for p in config.all("playbook")}
    if args.playbook not in playbooks:
        print(f'unknown playbook "{args.playbook}"; choose one of: {", ".join(sorted(playbooks))}', file=sys.stderr)
        return 2
    people = person_ids(config)
    for person in (args.no_ack or []) + ([args.reporter] if args.reporter else []):
        if person not in people:
            print(f'unknown person "{person}"; people in config/people.yaml: {", ".join(sorted(people))}',
                  file=sys.stderr)
            return 2
    if args.at:
        options.at = args.at
    if args.title:
        options.title = args.title
    if args.fact is not None:
        try:
            options.facts = check_fact_args(config, args.fact)
        except argparse.ArgumentTypeError as exc:
            print(exc, file=sys.stderr)
            return 2
    options.no_ack = [] if args.everyone_acks else args.no_ack
    options.reporter = args.reporter
    options.alert = args.alert
    from bot.drill.alert_replay import AlertFileError

    try:
        outcome = run_drill(config, options, sys.stdout)
    except AlertFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    _write_calendar(config, outcome.started_at)
    return 0 if outcome.chain_ok else 1


def _write_calendar(config, at) -> None:
    """The rota calendar of the drill's month, as a picture to open in a browser."""
    from pathlib import Path

    from bot.clock import SystemClock
    from bot.pictures.rota_page import write_month_calendar

    page = write_month_calendar(config, at.date(), Path("var") / "drill", generated_at=SystemClock().now())
    print(f"\nRota calendar of {at:%B %Y} (open it in a browser): {page.resolve()}")
