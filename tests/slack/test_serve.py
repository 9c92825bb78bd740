"""Starting the bot: required secrets, the standalone Slack double, rate-limit waits."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from slack_sdk import WebClient

from bot.slack.client import api_url, make_client
from bot.slack.double import SlackDouble
from tests.slack.harness import REPO


def _serve(env_extra: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env_extra})
    return subprocess.run([sys.executable, "-m", "bot", "serve", "--no-scheduler"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_http_mode_refuses_to_start_without_a_signing_secret(tmp_path):
    result = _serve({"SLACK_BOT_TOKEN": "xoxb-secret-value"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr and "SLACK_APP_TOKEN" in result.stderr
    assert "xoxb-secret-value" not in result.stderr + result.stdout  # tokens are never printed


def test_serve_needs_a_bot_token(tmp_path):
    result = _serve({"SLACK_SIGNING_SECRET": "s"}, tmp_path)
    assert result.returncode == 2 and "SLACK_BOT_TOKEN is not set" in result.stderr


def test_api_url_comes_from_the_environment(monkeypatch):
    assert api_url() == "https://slack.com/api/"
    monkeypatch.setenv("SLACK_API_URL", "https://slack-gov.com/api")
    assert api_url() == "https://slack-gov.com/api/"
    assert make_client("xoxb-t").base_url == "https://slack-gov.com/api/"


def test_the_double_runs_standalone_and_prints_its_url():
    proc = subprocess.Popen([sys.executable, "-m", "bot.slack.double"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("SLACK_API_URL=http://127.0.0.1:")
        client = WebClient(token="xoxb-t", base_url=line.split("=", 1)[1])
        assert client.auth_test()["ok"] and client.users_info(user="U0ANYONE1")["user"]["id"] == "U0ANYONE1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rate_limit_waits_follow_retry_after_but_are_bounded():
    waits: list[float] = []
    with SlackDouble() as double:
        client = make_client("xoxb-t", base_url=double.api_url, sleep=waits.append)
        double.faults.rate_limit("auth.test", times=2, retry_after=3)
        double.faults.rate_limit("users.info", times=1, retry_after=600)
        assert client.auth_test()["ok"]
        with pytest.raises(Exception):
            client.users_info(user="UNOBODY01")  # after the wait: a real answer (user_not_found)
    assert len(waits) == 3
    assert all(3 <= w < 3.3 for w in waits[:2])  # Retry-After 3 s plus at most 0.2 s jitter
    assert 30 <= waits[2] < 30.3  # 600 s asked, capped at 30 s per wait


def test_socket_mode_keeps_retrying_a_refused_connection_and_says_why(tmp_path, database_url):
    with SlackDouble() as double:
        double.faults.error("apps.connections.open", "invalid_auth", times=100)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update({"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_APP_TOKEN": "xapp-t", "SLACK_API_URL": double.api_url,
                    "DATABASE_URL": database_url, "BOT_CONFIG_DIR": str(REPO / "config"),
                    "BOT_PLAYBOOKS_DIR": str(REPO / "playbooks")})
        log_path = tmp_path / "serve.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--no-scheduler"], cwd=REPO, env=env,
                                    stdout=log, stderr=subprocess.STDOUT)
        try:
            calls = double.wait_for(lambda: len(double.calls("apps.connections.open")) >= 3 and
                                    double.calls("apps.connections.open"), timeout=30,
                                    what="three Socket Mode connection attempts")
            assert proc.poll() is None  # still running: a supervisor has nothing to restart
            assert calls[0].headers.get("Authorization") == "Bearer xapp-t"  # the app-level token, not the bot's
            assert not double.calls("conversations.create")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    logged = log_path.read_text()
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in logged and "connections:write" in logged
    assert "Retrying in 1 s" in logged and "Retrying in 2 s" in logged  # backoff doubles
    assert "Traceback" not in logged and "xapp-t" not in logged


def test_socket_mode_backoff_doubles_up_to_a_minute_and_stops_when_connected(caplog):
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import SlackResponse

    from bot.slack.transport import connect_with_backoff

    failures = iter([ConnectionRefusedError("refused")] * 3 + [
        SlackApiError("x", SlackResponse(client=None, http_verb="POST", api_url="u", req_args={},
                                         data={"ok": False, "error": "not_allowed_token_type"}, headers={},
                                         status_code=200))] * 6)
    attempts: list[int] = []

    def connect() -> None:
        attempts.append(1)
        failure = next(failures, None)
        if failure:
            raise failure

    caplog.set_level(logging.INFO)
    waits: list[float] = []
    assert connect_with_backoff(connect, sleep=waits.append) == 9
    assert len(attempts) == 10
    expected = [1, 2, 4, 8, 16, 32, 60, 60, 60]  # doubling from 1 s, capped at 60 s
    assert all(e <= w <= min(e * 1.1, 60) for e, w in zip(expected, waits, strict=True)), waits
    logged = caplog.text
    assert "Slack could not be reached (ConnectionRefusedError" in logged
    assert "SLACK_APP_TOKEN is not an app-level token" in logged
    assert "connected after 9 failed attempt(s)" in logged
