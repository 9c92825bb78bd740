"""``incident-bot web revoke``: end web-view links at once (a lost laptop, someone leaving)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.acting_person import acting_person
from bot.cli.common import add_config_args, load_or_exit

EPILOG = """examples:
  python -m bot web revoke --user U0ANNA001 --by camille
  python -m bot web revoke --all --by U012AB3CD

--by names who revokes, for the audit trail: a person of people.yaml (id or Slack user id) or one of
settings.yaml's admins (Slack user id).

People revoke their own links with /oncall web revoke in Slack. DATABASE_URL selects the database."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("web", help="the read-only web view: revoke links",
                            description="Administer the read-only web view's personal links.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    web_sub = parser.add_subparsers(dest="web_command", metavar="SUBCOMMAND")
    web_sub.required = True
    revoke = web_sub.add_parser("revoke", help="revoke the links of one Slack user, or all of them")
    who = revoke.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="SLACK_ID", help="the Slack user id whose links end (U0ANNA001)")
    who.add_argument("--all", action="store_true", help="every link")
    revoke.add_argument("--by", required=True, metavar="PERSON",
                        help="who revokes, for the audit trail: a person of people.yaml (id or Slack user id) or one "
                             "of settings.yaml's admins")
    add_config_args(revoke)
    revoke.set_defaults(func=run_revoke)


def run_revoke(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.store import migrate
    from bot.store.database import Store
    from bot.web.links import revoke_links

    by = acting_person(load_or_exit(args), args.by, admins=True)
    if by is None:
        return 2
    store = Store.connect()
    try:
        migrate.upgrade(store.engine)
        count = revoke_links(store, SystemClock(), by=by, user=args.user)
    finally:
        store.dispose()
    print(f"revoked {count} web view link(s)" + (f" of {args.user}" if args.user else ""), file=sys.stdout)
    return 0
