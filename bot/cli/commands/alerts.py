"""``incident-bot alerts``: the alert receipts triage set aside, and what a person does with each."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import add_config_args, load_or_exit, migrated_store, print_json

EPILOG = """examples:
  incident-bot alerts set-aside                   receipts set aside: id, source, received, alerts, tries, error
  incident-bot alerts retriage 42 --by anna --reason "fixed in 1.8.2 (issue 311)"
  incident-bot alerts dismiss 42 --by anna --reason "handled in Alertmanager by hand; test alert"

A receipt is set aside when its triage failed 3 times: nobody was paged for its alerts, and
`incident-bot check` reports it (exit 2) until it is put back or dismissed. Each writes an event on
the global chain (alert.retriaged / alert.dismissed) with who (--by: a person's id in people.yaml) and
why. See docs/alerts.md."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("alerts", help="alert receipts triage set aside: list, put back, dismiss",
                            description="The alert receipts whose triage failed again and again (set aside, "
                                        "reported by check), and what a person does with each: put it back to be "
                                        "triaged (after fixing the cause) or dismiss it (handled by hand).",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=run_list, json=False)  # `incident-bot alerts`: the same as `alerts set-aside`
    actions = parser.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND")
    listing = actions.add_parser("set-aside", help="the receipts set aside and not dealt with yet",
                                 description="Each receipt triage set aside and nobody dealt with yet: its id, "
                                             "source, when it was received, how many alerts it holds and how many "
                                             "are not triaged, how often its triage failed, and the error's class "
                                             "and where it was raised.")
    listing.add_argument("--json", action="store_true", help="as JSON")
    listing.set_defaults(func=run_list)
    for name, what in (("retriage", "put a set-aside receipt back to be triaged: the next triage pass takes it"),
                       ("dismiss", "mark a set-aside receipt dealt with: kept until the purge, nobody paged")):
        action = actions.add_parser(name, help=what, description=what[0].upper() + what[1:] + ".")
        action.add_argument("receipt", type=int, metavar="ID")
        add_config_args(action)
        action.add_argument("--by", required=True, metavar="PERSON",
                            help="who: their id or Slack id in people.yaml (the id goes on the audit chain)")
        action.add_argument("--reason", required=True, metavar="TEXT", help="why (goes on the audit chain)")
        action.set_defaults(func=run_deal, action=name)


# Who deals with a receipt is a person of people.yaml; nothing else of the configuration is read.
PEOPLE = ("people",)


def run_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from bot.alerts.set_aside_review import set_aside_now

    with migrated_store() as store:
        found = set_aside_now(store)
    if args.json:
        print_json([asdict(r) for r in found])
        return 0
    if not found:
        print("No alert receipt is set aside.")
        return 0
    for r in found:
        tries = "?" if r.attempts is None else str(r.attempts)
        print(f"{r.receipt}  {r.source} ({r.format})  received {r.received_at.isoformat()}  {r.events} alert(s), "
              f"{r.untriaged} not triaged  {tries} tries  {r.error_class or '?'} raised at {r.raised_at or '?'}")
    print(f"\n{len(found)} receipt(s) set aside, nobody paged for their alerts not triaged. "
          "`incident-bot alerts retriage ID` once the cause is fixed, or `incident-bot alerts dismiss ID` once "
          "handled by hand (both with --by and --reason).")
    return 0


def run_deal(args: argparse.Namespace) -> int:
    from bot.alerts.set_aside_review import Refused, dismiss, retriage
    from bot.cli.acting_person import acting_person
    from bot.clock import SystemClock

    by = acting_person(load_or_exit(args, kinds=PEOPLE), args.by)
    if by is None:
        return 2
    deal = retriage if args.action == "retriage" else dismiss
    try:
        with migrated_store() as store:
            receipt = deal(store, args.receipt, by=by, reason=args.reason, now=SystemClock().now())
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # Printed once committed: never a change the database did not keep.
    if args.action == "retriage":
        print(f"alert receipt {receipt.id} put back to be triaged (alert.retriaged on the global chain): the next "
              "triage pass takes it; if it fails again it is set aside again")
    else:
        print(f"alert receipt {receipt.id} dismissed (alert.dismissed on the global chain): check no longer "
              "reports it; kept until the retention purge")
    return 0
