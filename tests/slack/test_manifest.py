"""manifest.yaml matches what the app registers: commands, shortcuts, interactivity, events, scopes."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import yaml
from slack_bolt import BoltRequest

from bot.clock import SystemClock
from bot.config.settings import SettingsFile
from bot.incidents.errors import NotFound
from bot.slack.app import ACTIONS, EVENTS, SHORTCUTS, SLASH_COMMANDS, build_app
from bot.slack.client import make_client
from bot.slack.double import SlackDouble
from tests.slack.harness import REPO, SECRET, sign

VALUE_PREFIX = {"page": "page", "alert": "page", "obligation": "obligation", "task": "task", "trigger": "approval", "request": "approval",
                "followup": "followup", "followup.add": "incident", "review": "review",
                "cover": "cover", "rest": "rest", "exception": "exception"}
SHIFT_VALUE = "shift:platform:1798000000:1798600000"  # cover.ask carries the rota and the period
MANIFEST = yaml.safe_load((REPO / "manifest.yaml").read_text())


class _Incidents:
    """Every lifecycle call is refused: this test only asks whether a listener answers."""

    def severities(self):
        return []

    def __getattr__(self, name):
        def refuse(*args, **kwargs):
            raise NotFound("nothing here")
        return refuse


@pytest.fixture
def app():
    with SlackDouble() as double:
        double.model.lenient_users = True
        client = make_client("xoxb-test", base_url=double.api_url)
        services = SimpleNamespace(incidents=_Incidents(), chat=SimpleNamespace(user_timezone=lambda u: None),
                                   config=lambda: SimpleNamespace(settings=SettingsFile()),
                                   now=SystemClock().now,
                                   reader_zone=lambda u: "UTC")
        # process_before_response: each listener finishes inside dispatch, so nothing runs after the double stops
        yield build_app(services, client, signing_secret=SECRET, process_before_response=True), double


def dispatch(app, body: bytes, content_type: str) -> int:
    ts = str(int(time.time()))
    headers = {"content-type": [content_type], "x-slack-request-timestamp": [ts],
               "x-slack-signature": [sign(body, int(ts))]}
    return app.dispatch(BoltRequest(body=body.decode(), headers=headers)).status


def interaction(app, double, payload: dict) -> int:
    payload = {"team": {"id": "T0DOUBLE1"}, "user": {"id": "U0ADA0001"}, "api_app_id": "A1", "token": "t",
               "trigger_id": "1.2.3", "response_url": double.webhook_url("manifest"), **payload}
    return dispatch(app, urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")


def test_slash_commands_match_the_registered_ones(app):
    bolt, double = app
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == set(SLASH_COMMANDS)
    for command in declared:
        body = urlencode({"command": command, "text": "help", "user_id": "U0ADA0001", "channel_id": "C1",
                          "team_id": "T0DOUBLE1", "trigger_id": "1.2.3",
                          "response_url": double.webhook_url("manifest")}).encode()
        assert dispatch(bolt, body, "application/x-www-form-urlencoded") == 200, command
    body = urlencode({"command": "/unknown", "text": "", "user_id": "U1", "team_id": "T0DOUBLE1"}).encode()
    assert dispatch(bolt, body, "application/x-www-form-urlencoded") == 404  # the check can fail


def test_every_command_uses_escaped_mentions(app):
    assert all(c.get("should_escape") is True for c in MANIFEST["features"]["slash_commands"])


def test_shortcuts_match_the_registered_ones(app):
    bolt, double = app
    declared = {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    assert declared == set(SHORTCUTS)
    for callback in declared:
        assert interaction(bolt, double, {"type": "shortcut", "callback_id": callback}) == 200


def test_interactivity_is_on_and_every_button_has_a_listener(app):
    bolt, double = app
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    for action_id in ACTIONS:
        payload = {"type": "block_actions", "container": {"type": "message", "message_ts": "1.0"},
                   "channel": {"id": "D1"}, "message": {"ts": "1.0", "blocks": []},
                   "actions": [{"action_id": action_id, "value": SHIFT_VALUE if action_id == "cover.ask"
                                else VALUE_PREFIX.get(action_id, VALUE_PREFIX[action_id.split(".")[0]]) + ":1",
                                "type": "button", "block_id": "b", "action_ts": "1.1"}]}
        assert interaction(bolt, double, payload) == 200, action_id
    unknown = {"type": "block_actions", "actions": [{"action_id": "nope", "value": "x", "type": "button"}]}
    assert interaction(bolt, double, unknown) == 404


def test_every_button_the_bot_renders_is_in_the_list_the_listener_test_presses():
    """A button nobody answers shows the person an error in Slack: each ``Button("<action id>", ...)`` written
    anywhere in bot/ must be one of ACTIONS, which the test above presses against the real listeners."""
    import re

    from bot.slack.oncall_requests import ASK_FOR_COVER

    rendered = {ASK_FOR_COVER}
    for path in (REPO / "bot").rglob("*.py"):
        rendered |= set(re.findall(r'Button\(\s*"([a-z_.]+)"', path.read_text()))
    assert len(rendered) > 15  # the pattern still finds the buttons
    assert rendered <= set(ACTIONS), sorted(rendered - set(ACTIONS))


def test_event_subscriptions_match_the_registered_events(app):
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == set(EVENTS)


def test_scopes_are_the_minimal_documented_set():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert "users:read.email" not in scopes and "admin" not in " ".join(scopes)
    docs = (REPO / "docs" / "slack.md").read_text()
    for scope in scopes:  # every scope is explained
        assert f"`{scope}`" in docs, scope
