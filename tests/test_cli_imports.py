"""A command run imports only its own command module and what that command needs.

Each case runs the real CLI in a fresh interpreter (the test process has long imported everything) and
lists the modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _command_modules, build_parser

REPO = Path(__file__).resolve().parent.parent
DATABASE_STACK = ("sqlmodel", "sqlalchemy", "alembic", "psycopg", "bot.store")
SLACK_STACK = ("slack_sdk", "slack_bolt", "apscheduler")

PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_loaded_by(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return set(result["modules"])


def loaded_from(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_oncall_plan_loads_neither_the_database_nor_slack_nor_other_commands():
    modules = modules_loaded_by("oncall", "platform", "--at", "2026-12-25T02:00:00+01:00", "--json")
    assert "bot.oncall.planner" in modules  # the probe saw the command run
    assert loaded_from(modules, DATABASE_STACK + SLACK_STACK) == []
    assert [m for m in modules if m.startswith("bot.cli.commands.")] == ["bot.cli.commands.oncall"]


def test_help_still_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        from bot.cli import main

        main(["--help"])
    out = capsys.readouterr().out
    for name in ("check", "deadlines", "oncall", "db", "serve"):
        assert name in out


@pytest.mark.parametrize("module", _command_modules())
def test_each_command_module_is_named_after_its_command(module):
    # the dispatcher imports only the module named like the command: a hyphen spelled "_" (calendar_link for
    # `calendar-link`), or the command and a suffix (import_schedules for `import`, a Python keyword)
    command = "import" if module == "import_schedules" else module.replace("_", "-")
    parser = build_parser(command)
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert list(commands) == [command]  # found by its name, without importing the others
