"""Every command of the bot runs with the lifecycle's ports provided (bot/cli/ports.py).

``bot.cli.main`` is where every process starts (``incident-bot``, ``python -m bot``; serve, the scheduler worker,
the drill and the web view are commands). The commands are taken from the parser as registered, so a command
added later is checked too; each is dispatched by the real ``main`` with its function swapped for a probe that
looks at the ports as the command would find them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import build_parser, main
from bot.cli.ports import ResyncBySchedulingOnFirstUse, open_review_by_learning_on_first_use, provide_ports
from bot.incidents import review_port
from bot.outbox import resync

REPO = Path(__file__).resolve().parent.parent


def _leaves(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(command path, the parser that runs it) for every command and sub-command that runs something."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub.get_default("func") is not None:
                    found.append((prefix + (name,), sub))
                found.extend(_leaves(sub, prefix + (name,)))
    return found


COMMANDS = _leaves(build_parser())


def test_every_registered_command_is_found():
    names = {path[0] for path, _ in COMMANDS}
    assert {"serve", "scheduler", "drill", "web", "review", "followups", "purge", "db"} <= names
    assert set(build_parser()._subparsers._group_actions[0].choices) == names  # each runs something


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_each_command_finds_both_ports_provided_when_it_runs(path, monkeypatch):
    monkeypatch.setattr(resync, "_provided", None)
    monkeypatch.setattr(review_port, "_provided", None)
    leaf = dict(COMMANDS)[path]
    seen = {}

    def probe(_args):
        seen["resync"], seen["review"] = resync.is_provided(), review_port.is_provided()
        return 0

    namespace = argparse.Namespace(command=path[0], verbose=False, **{**leaf._defaults, "func": probe})
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", lambda self, argv=None, ns=None: namespace)
    assert main(list(path)) == 0
    assert seen == {"resync": True, "review": True}


def test_what_main_provides_imports_the_providing_package_on_first_use_and_hands_over_to_it(monkeypatch):
    import bot
    import bot.learning.reviews
    import bot.scheduling.kinds.alert_pages

    monkeypatch.setattr(bot.scheduling.kinds.alert_pages, "sync_group", lambda session, config, group, at: ("kinds", group))
    monkeypatch.setattr(bot.learning.reviews, "open_for", lambda *args, **kwargs: "opened")
    for package in ("scheduling", "learning"):  # as in a process that has not imported them yet
        monkeypatch.delitem(sys.modules, f"bot.{package}")
        monkeypatch.delattr(bot, package)
    monkeypatch.setattr(resync, "_provided", None)
    monkeypatch.setattr(review_port, "_provided", None)
    provide_ports()
    assert isinstance(resync.provided(), ResyncBySchedulingOnFirstUse)

    assert resync.sync_group(None, None, 7, None) == ("kinds", 7)  # type: ignore[arg-type]
    assert type(resync.provided()).__name__ == "KindsResync"  # the package's own from now on
    assert review_port.provided() is open_review_by_learning_on_first_use
    review_port.open_review(None, None, None, actor="U1", at=None)  # type: ignore[arg-type]
    assert review_port.provided() is sys.modules["bot.learning"]._open_review


def test_a_fresh_command_process_has_both_ports_and_still_no_database_stack():
    # one real process: the lazy command stays lazy, and its ports are there for whatever it reaches
    code = ("import contextlib, io, sys\n"
            "from bot.cli import main\n"
            "from bot.incidents import review_port\n"
            "from bot.outbox import resync\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['oncall', 'platform', '--at', '2026-12-25T02:00:00+01:00', '--json'])\n"
            "print(resync.is_provided(), review_port.is_provided(),\n"
            "      sorted(m for m in sys.modules if m.split('.')[0] in ('sqlmodel', 'sqlalchemy', 'apscheduler')))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "True True []"
