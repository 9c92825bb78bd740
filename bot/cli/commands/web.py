"""``incident-bot web revoke``: end web-view links at once (a lost laptop, someone leaving)."""

from __future__ import annotations

import argparse
import sys

EPILOG = """examples:
  python -m bot web revoke --user U0ANNA001
  python -m bot web revoke --all

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
    revoke.add_argument("--by", default="cli", help="who revokes, for the audit trail (default: cli)")
    revoke.set_defaults(func=run_revoke)


def run_revoke(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.store import migrate
    from bot.store.database import Store
    from bot.web.links import revoke_links

    store = Store.connect()
    try:
        migrate.upgrade(store.engine)
        count = revoke_links(store, SystemClock(), by=args.by, user=args.user)
    finally:
        store.dispose()
    print(f"revoked {count} web view link(s)" + (f" of {args.user}" if args.user else ""), file=sys.stdout)
    return 0
