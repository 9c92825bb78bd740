"""The command line: a thin face over the same services the Slack app uses.

Each module in ``bot/cli/commands/`` adds one command through ``register``;
this module only discovers them and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from bot.cli import commands


LONG_RUNNING = ("serve", "scheduler")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incident-bot",
        description="Incident-response chatops bot: playbooks, labor-law-aware paging, legal notification deadlines, audit trail.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Long-running processes log their work; one-shot commands print their result and log only problems.
    quiet = logging.INFO if args.command in LONG_RUNNING else logging.WARNING
    logging.basicConfig(level=logging.DEBUG if args.verbose else quiet,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `incident-bot ... | head`
        return 0
