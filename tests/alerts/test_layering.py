"""bot/alerts is domain core: the HTTP endpoints live in bot/alerts_http, chat in bot/slack."""

from __future__ import annotations

from tests.test_architecture import BOT, _imports


def test_alert_core_imports_no_http_or_chat_library():
    banned = ("slack_bolt", "slack_sdk", "waitress", "http", "wsgiref", "urllib", "bot.slack", "bot.alerts_http")
    offenders = [f"{p.relative_to(BOT.parent)} imports {sorted(bad)}" for p in sorted((BOT / "alerts").rglob("*.py"))
                 if (bad := {n for n in _imports(p) if n in banned or n.split(".")[0] in banned
                             or any(n.startswith(b + ".") for b in banned)})]
    assert not offenders, "\n".join(offenders)
