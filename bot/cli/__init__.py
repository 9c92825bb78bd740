"""The command line: a thin face over the same services the Slack app uses.

Each module in ``bot/cli/commands/`` adds one command through ``register``;
this module only discovers them and dispatches.  A run imports only the
module of the command it runs (every module only for ``--help`` or an unknown
command), and each command imports what it needs when it runs, so a command
that never touches the database never loads the database and migration stack.
Every command runs with the lifecycle's ports provided (:mod:`bot.cli.ports`):
``main`` is where every process of the bot starts.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from bot.cli import commands
from bot.cli.ports import provide_ports


LONG_RUNNING = ("serve", "scheduler")


def _command_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__))


def _command_of(argv: list[str]) -> str | None:
    """The command ``argv`` runs (options before it are the global ones); None for help."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return None
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with only the module of ``command`` imported.

    A command's module is named after it, a hyphen spelled as an underscore (``calendar_link`` for
    ``calendar-link``), or the name and a suffix when there is no such module (``import_schedules`` for
    ``import``, a Python keyword); a name no module claims gets every command, so argparse lists them all.
    """
    parser = argparse.ArgumentParser(
        prog="incident-bot",
        description="Incident-response chatops bot: playbooks, labor-law-aware paging, legal notification deadlines, audit trail.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    names = _command_modules()
    exact = [m for m in names if command and m == command.replace("-", "_")]
    first = exact or [m for m in names if command and m.startswith(command + "_")]
    for name in first:
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    if command not in sub.choices:
        for name in names:
            if name not in first:
                importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    # Long-running processes log their work; one-shot commands print their result and log only problems.
    quiet = logging.INFO if args.command in LONG_RUNNING else logging.WARNING
    logging.basicConfig(level=logging.DEBUG if args.verbose else quiet,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    provide_ports()  # before any command: whatever it reaches may change an incident
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `incident-bot ... | head`
        return 0
    except Exception as exc:
        from bot.store.error_text import database_error_text, is_database_error
        from bot.store.outage import about_the_database

        if not is_database_error(exc):
            raise
        # the driver's message may quote a row's values: the operator gets what failed where, not the values
        logging.getLogger("bot.cli").debug("the database refused the command", exc_info=True)
        check = "Is the database up (DATABASE_URL), and migrated (incident-bot db upgrade)? " \
            if about_the_database(exc) else ""
        print(f"database error: {database_error_text(exc)}\n{check}Run again with --verbose for the traceback.",
              file=sys.stderr)
        return 1
