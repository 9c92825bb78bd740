"""`drill --alert FILE`: the shipped example alerts become labor-aware pages through the real intake."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.drill.alert_replay import AlertFileError
from bot.drill.runner import DrillOptions, run_drill
from tests.conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples"


@pytest.fixture(scope="module")
def shipped():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


def drill(shipped, database_url, monkeypatch, tmp_path, alert, at):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    options = DrillOptions(database_url=database_url, alert=str(alert), at=datetime.fromisoformat(at))
    return run_drill(shipped, options, out), out.getvalue()


def test_pagerduty_warning_at_night_is_a_low_urgency_page_held_until_working_hours(shipped, database_url,
                                                                                   monkeypatch, tmp_path):
    # config/alerts.yaml: severity warning -> sev3, whose plan pages `platform` with low urgency. At 03:00
    # in Munich (02:00 UTC) the on-call person is outside working hours, so the page waits for them.
    outcome, text = drill(shipped, database_url, monkeypatch, tmp_path, EXAMPLES / "pagerduty-trigger.json",
                          "2026-12-15T03:00:00+01:00")
    assert "alert from events -> incident: alert opened INC-1 (sev3) by routes[1]" in text
    assert "held until" in text
    assert outcome.chain_ok


def test_alertmanager_critical_opens_sev2(shipped, database_url, monkeypatch, tmp_path):
    outcome, text = drill(shipped, database_url, monkeypatch, tmp_path, EXAMPLES / "alertmanager-firing.json",
                          "2026-12-15T10:00:00+01:00")
    assert "alert from prometheus -> incident: alert opened INC-1 (sev2) by routes[0]" in text
    assert outcome.number == 1 and outcome.chain_ok


def test_an_info_alert_pages_the_rota_without_an_incident(shipped, database_url, monkeypatch, tmp_path):
    # config/alerts.yaml: severity info -> page platform, low urgency. Tuesday 2026-12-15 03:00 in Munich is
    # ines's week (the week before anna's first, 2026-12-21); she works from 09:00 in Lisbon (UTC+0).
    info = tmp_path / "info.json"
    info.write_text(json.dumps({"title": "Disk 80% full on build-3", "status": "firing", "dedup_key": "disk-build-3",
                                "labels": {"severity": "info"}}))
    outcome, text = drill(shipped, database_url, monkeypatch, tmp_path, info, "2026-12-15T03:00:00+01:00")
    assert ("alert from scripts -> paged: alert paged platform (low urgency, from the route) by routes[2], no "
            "incident; paging ines (held until 2026-12-15T09:00:00+00:00)") in text
    assert "No incident was opened; the disposition above says who is paged" in text
    assert outcome.number == 0


def test_a_bad_alert_file_says_what_the_sender_would_hear(shipped, database_url, monkeypatch, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"title": "no status"}))
    with pytest.raises(AlertFileError, match="400: status: is required"):
        drill(shipped, database_url, monkeypatch, tmp_path, bad, "2026-12-15T10:00:00+01:00")
