"""The period evidence report lists every alert of the period with its disposition, read from the chains."""

from __future__ import annotations

from datetime import timedelta

from bot.learning.period_report import build
from bot.learning.period_report_md import render
from tests.alerts.conftest import NIGHT, TOKENS, fixture


def test_the_period_report_lists_each_alert_with_its_disposition(inbox, triage, store, night_clock):
    inbox.webhook("prometheus", TOKENS["T_AM"], fixture("alertmanager_firing.json"))
    triage.run_pending()
    night_clock.advance(timedelta(minutes=20))
    inbox.webhook("prometheus", TOKENS["T_AM"], fixture("alertmanager_resolved.json"))
    triage.run_pending()
    with store.session() as s:
        report = build(s, NIGHT - timedelta(days=1), NIGHT + timedelta(days=1), NIGHT + timedelta(hours=1))
        before = build(s, NIGHT - timedelta(days=2), NIGHT - timedelta(days=1), NIGHT + timedelta(hours=1))
    received = report["alerts"]["received"]
    # The firing alert opened INC-1 (the route's playbook); 20 minutes later the same key resolved its group.
    assert [(a["disposition"], a["source"], a["incident"]) for a in received] == [
        ("incident", "prometheus", "INC-1"), ("resolved", "prometheus", "INC-1")]
    assert received[1]["at"] == (NIGHT + timedelta(minutes=20)).isoformat()
    assert report["chains"]["all_verified"]
    assert before["alerts"]["received"] == []  # the day before: nothing received
    md = render(report)
    assert "| Received | Disposition | Source | Key | Summary | Incident |" in md
    assert md.count("| prometheus |") == 2
