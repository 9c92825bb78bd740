"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) delivers its own webhook to the bot.

Alertmanager is found through ``$ALERTMANAGER`` or on PATH (``prometheus-alertmanager``, ``alertmanager``).
Without it the test is skipped on a developer machine and FAILS under CI (``CI`` or ``ALERTMANAGER`` set),
where .ci/run installs it.  Alerts are posted to Alertmanager's own API (``/api/v2/alerts``); Alertmanager
groups them and calls the bot's ``/alerts/<source>`` with a Bearer token; the bot pages, groups the
repeat, and resolves when Alertmanager sends the resolved notification (``send_resolved: true``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.alerts.tables import AlertGroup
from bot.alerts_http.runtime import AlertIntake
from bot.audit.tables import TimelineEvent
from bot.incidents.tables import Incident
from bot.oncall.tables import Page
from tests.alerts.conftest import TOKENS
from tests.alerts.test_listener import wait_for


def alertmanager_path() -> str:
    given = os.environ.get("ALERTMANAGER")
    found = given or shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if found and os.path.exists(found):
        return found
    message = ("no Prometheus Alertmanager: install Debian's package (apt-get install prometheus-alertmanager) "
               "or set ALERTMANAGER to its path")
    if os.environ.get("CI") or given:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def am_config(bot_port: int) -> str:
    return f"""
route:
  receiver: bot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: bot
    webhook_configs:
      - url: http://127.0.0.1:{bot_port}/alerts/prometheus
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {TOKENS["T_AM"]}
"""


def post_alerts(am_port: int, alerts: list[dict]) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{am_port}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def alert(instance: str, *, ends: datetime | None = None) -> dict:
    now = datetime.now(timezone.utc)
    body = {"labels": {"alertname": "CheckoutDown", "service": "checkout", "severity": "critical",
                       "instance": instance},
            "annotations": {"summary": "Checkout is down"},
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
            "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=up%7Bjob%3D%22checkout%22%7D+%3D%3D+0"}
    if ends is not None:
        body["endsAt"] = ends.isoformat()
    return body


def test_real_alertmanager_pages_groups_and_resolves(tmp_path, store, night_clock, alerts_config, incidents):
    binary = alertmanager_path()
    intake = AlertIntake(store, lambda: alerts_config, night_clock, incidents, environ=TOKENS, poll_seconds=0.2)
    intake.start()
    bot_port = intake.listen("127.0.0.1", 0)
    am_port = free_port()
    (tmp_path / "alertmanager.yml").write_text(am_config(bot_port))
    log = open(tmp_path / "alertmanager.log", "w")
    am = subprocess.Popen([binary, f"--config.file={tmp_path / 'alertmanager.yml'}",
                           f"--storage.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{am_port}",
                           "--cluster.listen-address="], stdout=log, stderr=subprocess.STDOUT)

    def rows(model, *where):
        with store.session() as s:
            return list(s.exec(select(model).where(*where)).all())

    def kinds():
        return [e.kind for e in rows(TimelineEvent) if e.kind.startswith("alert.")]

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{am_port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        assert wait_for(ready, 30), (tmp_path / "alertmanager.log").read_text()[-2000:]
        post_alerts(am_port, [alert("checkout-1:8080")])
        assert wait_for(lambda: "alert.incident" in kinds(), 30), (tmp_path / "alertmanager.log").read_text()[-2000:]
        [incident] = rows(Incident)
        assert incident.severity == "sev2" and incident.title.startswith("Checkout is down")
        pages = rows(Page)
        assert pages and all(p.status == "planned" for p in pages), "paged now: critical routes to sev2 (high)"

        post_alerts(am_port, [alert("checkout-1:8080"), alert("checkout-2:8080")])  # the group grows
        assert wait_for(lambda: "alert.grouped" in kinds(), 30)
        assert len(rows(Incident)) == 1 and len(rows(Page)) == len(pages), "the repeat pages nobody"

        ended = datetime.now(timezone.utc) - timedelta(seconds=1)
        post_alerts(am_port, [alert("checkout-1:8080", ends=ended), alert("checkout-2:8080", ends=ended)])
        assert wait_for(lambda: "alert.resolved" in kinds(), 30)
        [group] = rows(AlertGroup)
        assert group.status == "resolved" and group.resolved_by == "source:prometheus"
        assert {p.status for p in rows(Page)} == {"cancelled"}
    finally:
        am.terminate()
        am.wait(10)
        log.close()
        intake.stop()
