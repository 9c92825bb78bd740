"""``incident-bot db``: database migrations."""

from __future__ import annotations

import argparse

from bot.store import migrate
from bot.store.database import database_url, make_engine


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="database migrations (upgrade, status)",
                            description="Manage the database schema. DATABASE_URL selects the database "
                                        "(default: SQLite file var/incident-bot.db).")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION")
    actions.required = True
    up = actions.add_parser("upgrade", help="apply pending migrations", description="Apply pending migrations.")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    up.set_defaults(func=run_upgrade)
    st = actions.add_parser("status", help="show current and head revision",
                            description="Show the database's current revision and the latest one.")
    st.set_defaults(func=run_status)


def _engine():
    return make_engine(database_url())


def run_upgrade(args: argparse.Namespace) -> int:
    engine = _engine()
    migrate.upgrade(engine, args.revision)
    print(f"database at revision {migrate.current_revision(engine)} ({engine.url.render_as_string(hide_password=True)})")
    return 0


def run_status(args: argparse.Namespace) -> int:
    engine = _engine()
    current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    print(f"current: {current or '(empty database)'}\nhead:    {head}")
    return 0 if current == head else 1
