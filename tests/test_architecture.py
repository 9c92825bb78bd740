"""Guards for the architecture described in docs/architecture.md."""

from __future__ import annotations

import re
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
SLACK_LIBS = ("slack_bolt", "slack_sdk")
# The Slack adapter and the CLI command that starts it are the only places allowed to touch Slack.
EDGE = (BOT / "slack", BOT / "cli" / "commands" / "serve.py")


_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", re.MULTILINE)


def _imports(path: Path) -> set[str]:
    """Imported module names, including imports inside functions (read as text: no AST needed)."""
    names: set[str] = set()
    for match in _IMPORT.finditer(path.read_text(encoding="utf-8")):
        if match.group(1):
            names.add(match.group(1))
        else:
            names.update(part.split(" as ")[0].strip() for part in match.group(2).split(","))
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
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert not too_long, "split these by concept:\n" + "\n".join(too_long)


def test_no_junk_drawer_modules():
    assert not [p for p in _python_files() if p.stem in ("utils", "helpers", "misc", "common_utils")]



PROVIDER_LIBS = ("twilio", "aiosmtpd", "smtplib", "flask", "werkzeug")
NOTIFY_ADAPTERS = ("bot.notify.twilio_rest", "bot.notify.smtp", "bot.notify.webhooks", "bot.notify.double")
CORE = ("config", "store", "audit", "subscriptions", "oncall", "deadlines", "incidents", "scheduling", "notify")


def test_paging_providers_stay_behind_the_notifier_port():
    """The core (the notify package's own core included) imports no SMS, voice or email provider library and
    none of their adapters; only the command line, the drill and the tests wire them in."""
    adapters = {BOT / "notify" / n for n in ("twilio_rest.py", "smtp.py", "webhooks.py", "environment.py")}
    offenders = []
    for path in _python_files():
        if path.relative_to(BOT).parts[0] not in CORE or path in adapters or BOT / "notify" / "double" in path.parents:
            continue
        bad = {n for n in _imports(path)
               if n.split(".")[0] in PROVIDER_LIBS or any(n == a or n.startswith(a + ".") for a in NOTIFY_ADAPTERS)}
        if bad:
            offenders.append(f"{path.relative_to(BOT.parent)} imports {sorted(bad)}")
    assert not offenders, "provider libraries or adapters in the core:\n" + "\n".join(offenders)


def _bot_imports(path: Path) -> set[str]:
    """The ``bot`` modules ``path`` imports, inside functions too (``from bot import x`` counts as ``bot.x``)."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return {n for n in names if n.startswith("bot.")}


def test_the_domain_never_imports_the_outbox_worker_or_learning():
    """``incidents``, ``alerts``, ``notify`` and ``learning`` sit below ``scheduling`` (the kinds, the worker,
    APScheduler): they write outbox rows through ``bot.outbox`` and ask for reminder rows to be re-derived through
    the port ``bot.outbox.resync``; ``incidents`` (below ``learning``) opens the review through
    ``bot.incidents.review_port``.  Not even an import inside a function may reach up."""
    above = {"incidents": ("bot.scheduling", "bot.learning"), "alerts": ("bot.scheduling",),
             "notify": ("bot.scheduling",), "learning": ("bot.scheduling",)}
    offenders = []
    for package, forbidden in above.items():
        for path in sorted((BOT / package).rglob("*.py")):
            bad = {n for n in _bot_imports(path) if any(n == f or n.startswith(f + ".") for f in forbidden)}
            if bad:
                offenders.append(f"{path.relative_to(BOT.parent)} imports {sorted(bad)}")
    assert not offenders, "imports reaching up from the domain:\n" + "\n".join(offenders)
