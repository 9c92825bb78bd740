"""Alert intake fixtures: the shipped people, rotas and playbooks with a test alerts.yaml, the inbox and triage."""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.alerts.inbox import Inbox
from bot.alerts.triage import Triage
from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, collect
from bot.incidents.service import IncidentService

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TOKENS = {"T_AM": "am-secret-token-1", "T_GRAFANA": "grafana-secret-2", "T_PD": "pd-routing-key-3",
          "T_GENERIC": "generic-secret-4", "T_HB": "heartbeat-secret-5"}

ALERTS = """
sources:
  - {id: prometheus, format: alertmanager, token_env: T_AM}
  - {id: grafana, format: grafana, token_env: T_GRAFANA}
  - {id: events, format: pagerduty, token_env: T_PD}
  - {id: scripts, format: generic, token_env: T_GENERIC}
  - {id: unset, format: generic, token_env: T_NOT_SET}
routes:
  - {match: {severity: [critical, error]}, declare: sev2, commander: katrin}
  - {match: {severity: warning}, declare: sev3, commander: katrin}
fallback: {declare: sev4, commander: katrin}
grouping: {window: 5m}
silences:
  - {id: noisy-backup, match: {job: backup}, starts: "2026-12-14T00:00:00Z", ends: "2026-12-16T00:00:00Z",
     reason: "backup job is being rewritten", owner: katrin}
maintenance:
  - {id: db-upgrade, match: {instance: db-1}, sources: [grafana], starts: "2026-12-15T02:00:00Z",
     ends: "2026-12-15T04:00:00Z", reason: "PostgreSQL 17 upgrade", owner: anna}
heartbeats:
  - {id: watchdog, every: 10m, token_env: T_HB, summary: "Watchdog silent: the alerting pipeline may be down",
     labels: {severity: critical}}
  - {id: batch, every: 1h, token_env: T_HB, muted: "batch host decommissioned (OPS-12)"}
limits: {max_body_bytes: 4096}
"""

# Tuesday 2026-12-15 03:00 UTC: night in Munich, so a low-urgency page is held until working hours.
NIGHT = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)


def write_alerts_config(root: Path, alerts: str = ALERTS) -> ConfigPaths:
    cdir = root / "config"
    shutil.copytree(REPO / "config", cdir)
    (cdir / "alerts.yaml").write_text(textwrap.dedent(alerts))
    return ConfigPaths(cdir, REPO / "playbooks")


def load_config(paths: ConfigPaths):
    config, issues = collect(paths)
    assert config is not None, "\n".join(str(i) for i in issues)
    return config


@pytest.fixture(scope="session")
def alerts_config(tmp_path_factory):
    return load_config(write_alerts_config(tmp_path_factory.mktemp("alerts-config")))


@pytest.fixture
def night_clock():
    return ManualClock(NIGHT)


@pytest.fixture
def incidents(store, night_clock, alerts_config):
    return IncidentService(store, lambda: alerts_config, night_clock)


@pytest.fixture
def inbox(store, night_clock, alerts_config):
    return Inbox(store, lambda: alerts_config, night_clock, environ=TOKENS)


@pytest.fixture
def triage(store, night_clock, alerts_config, incidents):
    return Triage(store, lambda: alerts_config, night_clock, incidents)


def fixture(name: str, **changes) -> dict:
    body = json.loads((FIXTURES / name).read_text())
    if "routing_key" in body:
        body["routing_key"] = TOKENS["T_PD"]
    body.update(changes)
    return body
