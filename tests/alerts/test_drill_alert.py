"""`drill --alert FILE`: the shipped example alerts become labor-aware pages through the real intake."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.drill.alert_replay import AlertFileError, resolved
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
    # ines (Lisbon, UTC+0 in December) reads when it was raised in her own zone: 02:00 UTC is 02:00 WET
    assert "(raised Tue 15 Dec 02:00 WET)" in text
    assert outcome.chain_ok


def test_alertmanager_critical_opens_sev2(shipped, database_url, monkeypatch, tmp_path):
    outcome, text = drill(shipped, database_url, monkeypatch, tmp_path, EXAMPLES / "alertmanager-firing.json",
                          "2026-12-15T10:00:00+01:00")
    assert "alert from prometheus -> incident: alert opened INC-1 (sev2) by routes[0]" in text
    assert outcome.number == 1 and outcome.chain_ok


def test_an_info_alert_pages_the_rota_and_the_story_follows_the_page(shipped, database_url, monkeypatch, tmp_path):
    # config/alerts.yaml: severity info -> page platform, low urgency, no incident. Tuesday 2026-12-15 03:00 in
    # Munich (02:00 UTC) is ines's week (the week before anna's first, 2026-12-21, in a cycle of six); she works
    # MO-FR from 09:00 in Lisbon (UTC+0 in December), so the page is held until 09:00 UTC: 10:00 in the drill's
    # zone (Europe/Berlin, CET) and 09:00 WET in hers. She acknowledges 4 minutes after it reaches her (inside
    # the 5-minute ack timeout: nobody else is paged), and the source resolves 40 minutes after that.
    info = tmp_path / "info.json"
    info.write_text(json.dumps({"title": "Disk 80% full on build-3", "status": "firing", "dedup_key": "disk-build-3",
                                "labels": {"severity": "info"}}))
    outcome, text = drill(shipped, database_url, monkeypatch, tmp_path, info, "2026-12-15T03:00:00+01:00")
    assert ("alert from scripts -> paged: alert paged platform (low urgency, from the route) by routes[2], no "
            "incident; paging ines (held until Tue 15 Dec 10:00 CET)") in text
    assert "[Tue 15 Dec 09:00 WET] DM to ines\n    Held page: alert from scripts (low urgency)" in text
    assert "(raised Tue 15 Dec 02:00 WET)" in text  # in her zone, not UTC
    assert "[Tue 15 Dec 10:04 CET] ines acknowledges the page in Slack" in text
    assert "You acknowledged alert group 1: Disk 80% full on build-3" in text
    assert ("[Tue 15 Dec 10:44 CET] alert from scripts -> resolved: alert group 1 resolved by the source; "
            "0 pending page(s) cancelled") in text
    assert "Alert group 1 (scripts, key disk-build-3): resolved by source:scripts" in text
    assert "alert_group.acknowledged: alert group 1 acknowledged by ines" in text
    assert [line for line in text.splitlines() if "] DM to " in line] == ["[Tue 15 Dec 09:00 WET] DM to ines"]
    assert "verifies." in text and outcome.chain_ok and outcome.number == 0


def test_the_shipped_page_route_example_resolves_through_alertmanagers_resolved_webhook(shipped, database_url,
                                                                                      monkeypatch, tmp_path):
    # docs/examples/alertmanager-disk-warning.json has severity info: the same route and the same person as
    # above; its end is Alertmanager's own "resolved" webhook for the same groupKey (send_resolved: true).
    outcome, text = drill(shipped, database_url, monkeypatch, tmp_path, EXAMPLES / "alertmanager-disk-warning.json",
                          "2026-12-15T03:00:00+01:00")
    assert "Held page: alert from prometheus (low urgency)" in text
    assert "alert from prometheus -> resolved: alert group 1 resolved by the source" in text
    assert outcome.chain_ok


def test_what_each_sender_posts_when_the_alert_ends():
    at = datetime.fromisoformat("2026-12-15T09:44:00+00:00")
    firing = json.loads((EXAMPLES / "alertmanager-disk-warning.json").read_text())
    ended = resolved(firing, at, "ignored")
    assert ended["status"] == "resolved" and ended["groupKey"] == firing["groupKey"]
    assert [(a["status"], a["endsAt"]) for a in ended["alerts"]] == [("resolved", "2026-12-15T09:44:00Z")]
    assert firing["status"] == "firing"  # the fixture itself is not changed
    trigger = json.loads((EXAMPLES / "pagerduty-trigger.json").read_text())
    assert resolved(trigger, at, "ignored") == {"event_action": "resolve", "dedup_key": trigger["dedup_key"]}
    # a trigger without dedup_key: PagerDuty (and our intake) made one; the resolve names the group's key
    assert resolved({"event_action": "trigger", "payload": {}}, at, "made-key")["dedup_key"] == "made-key"
    assert resolved({"title": "t", "status": "firing"}, at, "k") == {"title": "t", "status": "resolved"}


def test_a_bad_alert_file_says_what_the_sender_would_hear(shipped, database_url, monkeypatch, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"title": "no status"}))
    with pytest.raises(AlertFileError, match="400: status: is required"):
        drill(shipped, database_url, monkeypatch, tmp_path, bad, "2026-12-15T10:00:00+01:00")
