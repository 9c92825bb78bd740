"""Guards for the architecture described in docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
SLACK_LIBS = ("slack_bolt", "slack_sdk")
# The Slack adapter and the CLI command that starts it are the only places allowed to touch Slack.
EDGE = (BOT / "slack", BOT / "cli" / "commands" / "serve.py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _python_files() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "migrations" not in p.parts)


def test_core_imports_no_slack_library():
    offenders = []
    for path in _python_files():
        if any(path == e or e in path.parents for e in EDGE):
            continue
        bad = {n for n in _imports(path) if n.split(".")[0] in SLACK_LIBS}
        if bad:
            offenders.append(f"{path.relative_to(BOT.parent)} imports {sorted(bad)}")
    assert not offenders, "Slack libraries outside bot/slack/:\n" + "\n".join(offenders)


def test_no_source_file_is_a_monolith():
    too_long = [f"{p.relative_to(BOT.parent)}: {n} lines" for p in _python_files()
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450]
    assert not too_long, "split these by concept:\n" + "\n".join(too_long)


def test_no_junk_drawer_modules():
    assert not [p for p in _python_files() if p.stem in ("utils", "helpers", "misc", "common_utils")]
