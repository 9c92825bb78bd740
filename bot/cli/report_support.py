"""Argument and loading helpers shared by the ``rota``, ``report``, ``calendar`` and ``import`` commands
(the managers' tools of :mod:`bot.reports`)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.cli.common import ExitWith, print_issues
from bot.config.errors import ConfigInvalid
from bot.config.loader import Config, ConfigPaths
from bot.config.types import parse_date
from bot.reports.review_config import load_for_review


def date_arg(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def load_reviewable_or_exit(paths: ConfigPaths, label: str = "configuration") -> Config:
    """Load for review (labor violations are findings, not errors); exit 2 with file:line:col on invalid config."""
    try:
        return load_for_review(paths)
    except ConfigInvalid as exc:
        errors = [i for i in exc.issues if i.severity == "error"]
        print_issues(errors)
        print(f"{label} invalid ({paths.config_dir}): {len(errors)} error(s); fix them and run "
              f"`python -m bot check --config-dir {paths.config_dir}`", file=sys.stderr)
        raise ExitWith(2) from None


def check_range(first: date, last: date) -> None:
    if last < first:
        print(f"--to ({last}) is before --from ({first}); give the last day to include", file=sys.stderr)
        raise ExitWith(2)


def write_html(path: str, page: str) -> None:
    """Write an HTML page (owner-only: it names people and their leave) and say where, on stderr."""
    from pathlib import Path

    from bot.private_file import write_private

    target = Path(path)
    try:
        write_private(target, page)
    except OSError as exc:
        print(f"cannot write the HTML page to {path}: {exc.strerror}; choose a writable path", file=sys.stderr)
        raise ExitWith(2) from None
    print(f"HTML page written to {target}", file=sys.stderr)


def with_stored_covers(config: Config) -> Config:
    """``config`` with the covers accepted in chat, when a database is configured (``DATABASE_URL``) or the
    default SQLite file exists; a previewing manager never creates a database."""
    import os

    from bot.oncall.covers import accepted_overrides, config_with_covers
    from bot.store.database import DEFAULT_SQLITE_PATH, Store

    if not (os.environ.get("DATABASE_URL") or DEFAULT_SQLITE_PATH.exists()):
        return config
    from bot.store import migrate

    store = Store.connect()
    try:
        migrate.upgrade(store.engine)
        with store.session() as session:
            return config_with_covers(config, accepted_overrides(session))
    finally:
        store.dispose()
