"""`serve` with config/alerts.yaml: alerts on the Slack HTTP port and on --alerts-port; a new incident's channel."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from bot.slack.double import SlackDouble
from bot.slack.double.bot_process import free_port
from tests.alerts.conftest import FIXTURES
from tests.slack.harness import BotProcess, make_config

pytestmark = pytest.mark.slow
TOKEN = "serve-test-token-7"


def post(url: str, body: bytes, token: str) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Authorization": f"Bearer {token}",
                                                                        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.parametrize("own_port", [False, True])
def test_serve_takes_alerts_and_opens_the_incident_channel(database_url, tmp_path, own_port):
    with SlackDouble() as double:
        double.model.lenient_users = True
        for name in ("incidents", "support-escalations"):
            double.model.add_channel(name)
        config_dir, playbooks_dir = make_config(tmp_path, admins=["U0ADMIN01"])
        alerts_port = free_port()
        proc = BotProcess(api_url=double.api_url, database_url=database_url, config_dir=config_dir,
                          playbooks_dir=playbooks_dir, log_path=tmp_path / "bot.log", scheduler=True,
                          extra_env={"ALERTS_TOKEN_PROMETHEUS": TOKEN},
                          extra_args=["--alerts-port", str(alerts_port)] if own_port else [])
        try:
            proc.wait_ready()
            base = f"http://127.0.0.1:{alerts_port}" if own_port else proc.url
            body = (FIXTURES / "alertmanager_firing.json").read_bytes()
            assert post(f"{base}/alerts/prometheus", body, "wrong") == 401
            assert post(f"{base}/alerts/prometheus", body, TOKEN) == 200
            channel = double.wait_for(lambda: next((c for c in double.model.channels.values()
                                                    if c.name.startswith("inc-1-checkout")), None),
                                      what="the incident channel opened from the alert")
            first = double.wait_for(lambda: double.model.messages_in(channel.id), what="the welcome message")[0]
            assert "Checkout 5xx rate above 5%" in first.text
            assert TOKEN not in proc.log(), "the token is never logged"
        finally:
            proc.stop()
