"""Sending requests to the bot exactly as Slack does: v0-signed slash commands and interactions.

Slash commands are form-encoded; interactions (buttons, modal submissions,
shortcuts) are a form field ``payload`` holding JSON.  Every request carries
``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (``v0=`` HMAC-SHA256
of ``v0:<timestamp>:<raw body>`` with the signing secret).  Used by the
end-to-end tests, the benchmark and drills.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.slack.double.model import TEAM_ID

SECRET = "test-signing-secret"
TEAM = TEAM_ID
_counter = itertools.count(1)


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    status: int
    body: str
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    def __init__(self, url: str, webhook_base: str) -> None:
        self.url = url
        self.webhook_base = webhook_base

    def post(self, body: bytes, content_type: str, *, timestamp: int | None = None, signature: str | None = None,
             headers: dict[str, str] | None = None) -> Response:
        ts = int(time.time()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
                       "X-Slack-Signature": signature or sign(body, ts), **(headers or {})}
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return Response(resp.status, resp.read().decode(), time.monotonic() - started)
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode(), time.monotonic() - started)

    def command_body(self, text: str, *, user: str, channel: str = "CGENERAL1", command: str = "/incident",
                     trigger_id: str | None = None) -> bytes:
        n = next(_counter)
        return urlencode({
            "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "double", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": "A0BOT0001", "is_enterprise_install": "false",
            "response_url": f"{self.webhook_base}/commands/{n}", "trigger_id": trigger_id or f"{n}.{time.time_ns()}.trig",
        }).encode()

    def command(self, text: str, *, user: str, channel: str = "CGENERAL1", command: str = "/incident",
                trigger_id: str | None = None, headers: dict[str, str] | None = None) -> Response:
        body = self.command_body(text, user=user, channel=channel, command=command, trigger_id=trigger_id)
        return self.post(body, "application/x-www-form-urlencoded", headers=headers)

    def interaction(self, payload: dict[str, Any]) -> Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def button(self, *, user: str, channel: str, message: dict[str, Any], action_id: str, value: str) -> Response:
        n = next(_counter)
        return self.interaction({
            "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "api_app_id": "A0BOT0001",
            "token": "legacy-verification-token", "trigger_id": f"{n}.{time.time_ns()}.act",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel}, "message": message, "response_url": f"{self.webhook_base}/actions/{n}",
            "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                         "action_ts": f"{time.time():.6f}"}],
        })

    def view_submission(self, *, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> Response:
        submitted = {**view, "state": {"values": values}}
        return self.interaction({"type": "view_submission", "team": {"id": TEAM}, "user": {"id": user},
                                 "api_app_id": "A0BOT0001", "token": "legacy-verification-token",
                                 "trigger_id": f"{next(_counter)}.{time.time_ns()}.view", "view": submitted})


def text_value(text: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": text}}


def select_value(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


