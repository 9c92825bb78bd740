"""Every command and sub-command answers --help (python -m bot and incident-bot are the same CLI)."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(prefix + (name,))
                found.extend(_commands(sub, prefix + (name,)))
    return found


COMMANDS = _commands(build_parser())


def test_the_product_commands_exist():
    names = {c[0] for c in COMMANDS}
    assert {"check", "schema", "db", "oncall", "deadlines", "drill", "audit", "export", "purge", "serve",
            "scheduler"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: incident-bot " + " ".join(command))
    assert len(out.splitlines()) > 3


def test_console_script_is_declared():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["incident-bot"] == "bot.cli:main"
