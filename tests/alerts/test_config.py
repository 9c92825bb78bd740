"""config/alerts.yaml is validated with everything else: each mistake is an error at its place, saying why."""

from __future__ import annotations

import pytest

from bot.config.loader import collect
from tests.alerts.conftest import ALERTS, write_alerts_config


def issues_for(tmp_path, text: str) -> list[str]:
    config, issues = collect(write_alerts_config(tmp_path, text))
    return [str(i) for i in issues if "alerts.yaml" in str(i) and "error" in str(i)]


def test_the_test_configuration_is_valid(tmp_path):
    assert issues_for(tmp_path, ALERTS) == []


@pytest.mark.parametrize("change,expected", [
    (("declare: sev4", "declare: sev9"), 'fallback.declare: expected a playbook id'),
    (("commander: katrin}\ngrouping", "commander: nobody}\ngrouping"), 'expected a person from people.yaml, got "nobody"'),
    (("{id: scripts,", "{id: heartbeats,"), 'expected a source id other than "heartbeats"'),
    (("token_env: T_AM", "token_env: t-am"), "token_env"),
    (('ends: "2026-12-16T00:00:00Z"', 'ends: "2026-12-13T00:00:00Z"'), "expected ends after starts"),
    (('starts: "2026-12-14T00:00:00Z"', 'starts: "2026-12-14T00:00:00"'), "with its offset"),
    (("sources: [grafana]", "sources: [grafna]"), 'expected a source id, got "grafna"'),
    (("every: 10m", "every: 1m"), "between 5m and 375d"),
    (("format: generic, token_env: T_GENERIC", "format: nagios, token_env: T_GENERIC"), "format"),
    (("grouping: {window: 5m}", "grouping: {window: 5m, windw: 1m}"), "windw"),
])
def test_mistakes_are_errors_at_their_place(tmp_path, change, expected):
    old, new = change
    assert old in ALERTS
    found = issues_for(tmp_path, ALERTS.replace(old, new, 1))
    assert any(expected in i for i in found), found
