"""Talking to a running bot exactly as Slack does: v0-signed slash commands, interactions and events.

``BotProcess`` starts ``python -m bot serve`` as a real process in HTTP mode
against the Slack double and a test database; ``SlackSender`` builds the
request bodies Slack sends (form-encoded commands, ``payload=`` JSON for
interactions) and signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

REPO = Path(__file__).resolve().parents[2]
SECRET = "test-signing-secret"
TEAM = "T0DOUBLE1"
_counter = itertools.count(1)


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_config(tmp: Path, *, admins: list[str], settings: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """The shipped configuration and playbooks, with test admins and settings."""
    config_dir, playbooks_dir = tmp / "config", tmp / "playbooks"
    shutil.copytree(REPO / "config", config_dir)
    shutil.copytree(REPO / "playbooks", playbooks_dir)
    path = config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    data.update({"admins": admins, **(settings or {})})
    path.write_text(yaml.safe_dump(data))
    return config_dir, playbooks_dir


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


class BotProcess:
    """``python -m bot serve`` in HTTP mode against the Slack double."""

    def __init__(self, *, api_url: str, database_url: str, config_dir: Path, playbooks_dir: Path, log_path: Path,
                 scheduler: bool = False, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url,
                    "DATABASE_URL": database_url, "PORT": str(self.port), "BOT_CONFIG_DIR": str(config_dir),
                    "BOT_PLAYBOOKS_DIR": str(playbooks_dir), "PYTHONUNBUFFERED": "1", **(extra_env or {})})
        args = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"] + ([] if scheduler else ["--no-scheduler"])
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the bot did not start within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
