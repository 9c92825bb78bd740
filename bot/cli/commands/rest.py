"""``incident-bot rest``: the rest ledger (compensatory rest owed, scheduled, taken) and scheduling owed rest."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import add_config_args, instant_arg, load_or_exit, migrated_store, print_json

EPILOG = """examples:
  python -m bot rest                                     open debts: owed, overdue, scheduled, interrupted
  python -m bot rest --person anna --all                 everything, also rest already taken
  python -m bot rest schedule 3 --from 2026-12-27T08:00:00+01:00 --to 2026-12-27T19:00:00+01:00 --by katrin

Times in the output are each person's local time. Statuses: owed (not scheduled yet), overdue (past the
date the rule sets), scheduled, taken (the span passed without recorded work in it), interrupted (work
was recorded inside it: schedule it again). See docs/oncall.md#rest-ledger."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rest", help="the rest ledger: compensatory rest owed, scheduled and taken per person",
                            description="Compensatory rest owed after call-outs and labor exceptions, when it is "
                                        "scheduled and whether it was taken.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("--person", metavar="ID", help="only this person")
    parser.add_argument("--all", action="store_true", help="also rest already taken")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="rest_command", metavar="SUBCOMMAND")
    sched = actions.add_parser("schedule", help="schedule owed rest as one consecutive span",
                               description="Schedule owed rest #ID: one consecutive span of at least the hours owed, "
                                           "starting no earlier than when it became owed.")
    add_config_args(sched)
    sched.add_argument("debt", type=int, metavar="ID", help="the ledger entry (`incident-bot rest` lists them)")
    sched.add_argument("--from", dest="start", type=instant_arg, required=True, metavar="ISO8601",
                       help='start with offset, e.g. "2026-12-27T08:00:00+01:00"')
    sched.add_argument("--to", dest="end", type=instant_arg, required=True, metavar="ISO8601", help="end with offset")
    sched.add_argument("--by", required=True, metavar="PERSON",
                       help="who schedules it: their id or Slack id in people.yaml; the id goes on the audit chain")
    sched.set_defaults(func=run_schedule)


def run_list(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.oncall.rest_ledger import describe, ledger
    from bot.oncall.team import team_of

    config = load_or_exit(args)
    team = team_of(config)
    if args.person and args.person not in team.people:
        print(f'unknown person "{args.person}"; people: {", ".join(sorted(team.people))}', file=sys.stderr)
        return 2
    now = SystemClock().now()
    with migrated_store() as store, store.session() as session:
        views = ledger(session, person_ids=[args.person] if args.person else None, now=now)
        lines = [describe(team, v) for v in views if args.all or v.status != "taken"]
    if args.json:
        print_json([line.to_json() for line in lines])
    elif not lines:
        print("No rest owed." if not args.all else "The ledger is empty.")
    else:
        print("\n".join(line.text for line in lines))
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    from bot.audit.config_versions import decide_under
    from bot.cli.acting_person import acting_person
    from bot.clock import SystemClock
    from bot.oncall.rest_ledger import LedgerError, schedule
    from bot.oncall.team import team_of

    config, now = load_or_exit(args), SystemClock().now()
    by = acting_person(config, args.by)
    if by is None:
        return 2
    try:
        with migrated_store() as store, store.session() as session:
            decide_under(session, config, now)  # the chain says which rules decided
            debt = schedule(session, team_of(config), args.debt, start=args.start, end=args.end, by=by, now=now)
            done = f"scheduled #{debt.id} for {debt.person_id}"
    except LedgerError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(done)  # once committed: never a schedule the database did not keep
    return 0
