"""``incident-bot review INCIDENT --as PERSON``: draft the post-incident review (Markdown file + channel post)."""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from bot.cli.common import add_config_args, load_or_exit, migrated_store

EPILOG = """examples:
  python -m bot review 3 --as katrin                      draft it: var/reviews/INC-3-review.md, posted to #inc-3
  python -m bot review INC-3 --as katrin --done --link https://wiki.example/inc-3

--as is a person id from config/people.yaml or a Slack user id; the permissions file decides whether they may
(draft_review, complete_review). See docs/after-incident.md#the-post-incident-review."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("review", help="draft an incident's post-incident review, or mark it done",
                            description="Draft the post-incident review in Markdown from the verified timeline "
                                        "(written as a file and posted to the incident channel), or mark it done.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("incident", type=incident_number, metavar="INCIDENT", help="incident number: 3 or INC-3")
    parser.add_argument("--as", dest="actor", required=True, metavar="PERSON",
                        help="who does it: a person id (config/people.yaml) or a Slack user id")
    parser.add_argument("--output", "-o", metavar="FILE", help="where to write the draft (default var/reviews/)")
    parser.add_argument("--done", action="store_true", help="mark the review done instead of drafting it")
    parser.add_argument("--link", default="", metavar="URL", help="with --done: where the final review lives")
    parser.set_defaults(func=run)


def incident_number(text: str) -> int:
    digits = text.strip().upper().removeprefix("INC-")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f'expected an incident number like 3 or INC-3, got "{text}"')
    return int(digits)


def slack_actor(config, who: str) -> str:
    """A person id from people.yaml as their Slack user id; anything else is taken as a Slack user id."""
    from bot.oncall.team import team_of

    person = team_of(config).people.get(who)
    return person.slack if person is not None else who


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.incidents.errors import IncidentError
    from bot.learning.service import LearningService
    from bot.private_file import write_private

    config = load_or_exit(args)
    actor = slack_actor(config, args.actor)
    key = f"cli:review:{uuid.uuid4().hex}"
    with migrated_store() as store:
        learning = LearningService(store, lambda: config, SystemClock())
        try:
            if args.done:
                outcome = learning.complete_review(args.incident, actor=actor, key=key, link=args.link)
                print(outcome.message)
                return 0
            drafted = learning.draft_review(args.incident, actor=actor, key=key)
        except IncidentError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    path = Path(args.output or f"var/reviews/INC-{args.incident}-review.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, drafted.markdown)
    print(f"{drafted.outcome.message}; written to {path}")
    return 0
