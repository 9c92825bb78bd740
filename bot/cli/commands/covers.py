"""``incident-bot covers``: covers and swaps asked for in chat, and their export as rotas.yaml overrides."""

from __future__ import annotations

import argparse
import sys

from bot.cli.acting_person import acting_person
from bot.cli.common import add_config_args, instant_arg, load_or_exit, migrated_store

EPILOG = """examples:
  python -m bot covers                                   every cover request and its status
  python -m bot covers export > accepted-covers.yaml     accepted covers as rotas.yaml overrides
  python -m bot covers propose platform --taker felix --from 2027-01-05T18:00:00+01:00 \\
      --to 2027-01-06T09:00:00+01:00 --by anna --reason "dentist"
  python -m bot covers accept 4 --by felix               checks felix over the whole span first

In Slack: /oncall cover ROTA FROM TO @person, and the taker's Accept button. Accepted covers are
overrides like those in rotas.yaml (a higher layer that always wins); rota preview, the calendar feed,
the report and paging read them from the database. See docs/oncall.md#covers-and-swaps."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("covers", help="covers and swaps asked for in chat; export accepted ones as YAML",
                            description="Cover requests (who takes which rotation when), the taker's eligibility "
                                        "check, and the export of accepted covers as rotas.yaml overrides.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="covers_command", metavar="SUBCOMMAND")
    export = actions.add_parser("export", help="accepted covers as rotas.yaml `overrides:` entries")
    add_config_args(export)
    export.add_argument("--rota", metavar="ROTATION", help="only this rotation")
    export.set_defaults(func=run_export)
    propose = actions.add_parser("propose", help="ask someone to take a rotation for a span")
    add_config_args(propose)
    propose.add_argument("rotation", metavar="ROTATION")
    propose.add_argument("--taker", required=True, metavar="PERSON", help="who would take it")
    propose.add_argument("--from", dest="start", type=instant_arg, required=True, metavar="ISO8601")
    propose.add_argument("--to", dest="end", type=instant_arg, required=True, metavar="ISO8601")
    propose.add_argument("--by", required=True, metavar="PERSON",
                         help="who asks (usually the person on call): their id or Slack id in people.yaml; "
                              "the id goes on the audit chain")
    propose.add_argument("--reason", default="", metavar="TEXT")
    propose.set_defaults(func=run_propose)
    for name, what in (("accept", "the taker accepts (after the eligibility check)"),
                       ("decline", "the taker declines, or the proposer withdraws")):
        answer = actions.add_parser(name, help=what)
        add_config_args(answer)
        answer.add_argument("cover", type=int, metavar="ID")
        answer.add_argument("--by", required=True, metavar="PERSON",
                            help="who answers: their id or Slack id in people.yaml; the id goes on the audit chain")
        answer.set_defaults(func=run_answer, answer=name)


def run_list(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.oncall.tables import CoverRequest
    from bot.oncall.team import team_of
    from bot.oncall.wallclock import describe_local

    team = team_of(load_or_exit(args))
    with migrated_store() as store, store.session() as session:
        rows = session.exec(select(CoverRequest).order_by(CoverRequest.id)).all()
        lines = []
        for c in rows:
            zone = team.rotations[c.rotation].timezone if c.rotation in team.rotations else "UTC"
            lines.append(f"#{c.id} {c.status.upper():9} {c.rotation}: {c.taker} takes "
                         f"{describe_local(c.start, zone)} to {describe_local(c.end, zone)}"
                         + (f" from {c.replaces}" if c.replaces else "") + f" (asked by {c.proposed_by})"
                         + (f": {c.refusal}" if c.refusal else ""))
    print("\n".join(lines) if lines else "No cover requests.")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from bot.oncall.covers import export_yaml
    from bot.oncall.team import team_of

    team = team_of(load_or_exit(args))
    with migrated_store() as store, store.session() as session:
        sys.stdout.write(export_yaml(session, team, args.rota))
    return 0


def run_propose(args: argparse.Namespace) -> int:
    from bot.audit.config_versions import decide_under
    from bot.clock import SystemClock
    from bot.oncall.covers import CoverError, propose
    from bot.oncall.team import team_of

    config = load_or_exit(args)
    by = acting_person(config, args.by)
    if by is None:
        return 2
    team, now = team_of(config), SystemClock().now()
    try:
        with migrated_store() as store, store.session() as session:
            decide_under(session, config, now)  # the chain says which rules decided
            cover = propose(session, team, rotation=args.rotation, taker=args.taker, start=args.start, end=args.end,
                            proposed_by=by, now=now, reason=args.reason)
            session.flush()
            done = (f"proposed cover #{cover.id}: {cover.taker} to take {cover.rotation}; "
                    f"`incident-bot covers accept {cover.id} --by {cover.taker}`")
    except CoverError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(done)  # once committed: never a proposal the database did not keep
    return 0


def run_answer(args: argparse.Namespace) -> int:
    from bot.audit.config_versions import decide_under
    from bot.clock import SystemClock
    from bot.oncall.covers import CoverError, accept, decline
    from bot.oncall.history import load_history
    from bot.oncall.team import team_of

    config = load_or_exit(args)
    by = acting_person(config, args.by)
    if by is None:
        return 2
    team, now = team_of(config), SystemClock().now()
    try:
        with migrated_store() as store, store.session() as session:
            decide_under(session, config, now)  # the chain says which rules decided
            check = None
            if args.answer == "decline":
                cover = decline(session, args.cover, by=by, now=now)
            else:
                cover, check = accept(session, team, load_history(session, [by], now), args.cover, by=by,
                                      now=now)
            number, status = cover.id, cover.status
    except CoverError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # Printed once committed: never an answer the database did not keep.
    if check is None:
        print(f"cover #{number} {status}")
        return 0
    if status == "refused":
        print(f"cover #{number} refused: {by} may not take it:", file=sys.stderr)
        print("\n".join(f"  {r}" for r in check.refusals), file=sys.stderr)
        return 1
    print(f"cover #{number} accepted" + "".join(f"\n  note: {n}" for n in check.notes))
    return 0
