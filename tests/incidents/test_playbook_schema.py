"""Playbook validation: precise file:line:col errors for the mistakes a manager makes."""

from __future__ import annotations

import pytest

from bot.config.loader import collect
from tests.incidents.conftest import MAJOR, MINOR, write_config


def _errors(tmp_path, text, name="major"):
    paths = write_config(tmp_path / "c", playbooks={name: text, "minor": MINOR})
    config, issues = collect(paths)
    assert config is None
    return [str(i) for i in issues if i.severity == "error"]


@pytest.mark.parametrize("old, new, expected", [
    ("status_updates: {cadence: 30m, owner: commander}", "status_updates: {cadance: 30m, owner: commander}",
     'unknown key "cadance"; did you mean "cadence"?'),
    ("status_updates: {cadence: 30m, owner: commander}", "status_updates: {cadence: 2m, owner: commander}",
     "expected a cadence of at least 5m, got 2m"),
    ("status_updates: {cadence: 30m, owner: commander}", "status_updates: {cadence: soon, owner: commander}",
     'expected a duration like "5m"'),
    ("  - {id: commander, title: Incident commander, initial: reporter, required: true}\n",
     "", "expected a commander role among roles"),
    ("id: major\n", "id: major\nchannel: {name: \"incident-{slug}\"}\n",
     "expected a channel name template containing {number}"),
    ("id: major\n", "id: major\nchannel: {name: \"{prefix}-{number}-{team}\"}\n", "got {team}"),
    ("id: major\n", "id: major\nchannel: {name: \"INC-{number}\"}\n", 'expected only lowercase letters'),
    ("  - {when: [declared, escalated, resolved], channels: [exec-updates], user_groups: [support-leads]}",
     "  - {when: [declared]}", "expected at least one of channels, user_groups or people"),
    ("  - {when: [declared, escalated, resolved], channels: [exec-updates], user_groups: [support-leads]}",
     "  - {when: [declard], channels: [exec-updates]}", "expected 'declared'"),
    ("  - {id: statuspage, title: \"Post on the status page\", owner: comms_lead}",
     "  - {id: impact, title: \"Post on the status page\", owner: comms_lead}",
     "expected each checklist task id once, got impact twice"),
])
def test_schema_errors(tmp_path, old, new, expected):
    text = MAJOR
    assert old in text
    errors = _errors(tmp_path, text.replace(old, new, 1))
    assert any(expected in e and "playbooks/major.yaml:" in e for e in errors), errors


def test_cross_file_errors_point_at_the_reference(tmp_path):
    text = MAJOR.replace("owner: comms_lead}", "owner: comms_leed}", 1)
    errors = _errors(tmp_path, text)
    assert len(errors) == 1
    assert 'checklist[1].owner: unknown role "comms_leed"' in errors[0]
    assert errors[0].split(":")[1].isdigit()  # file:line:col


def test_id_must_match_file_name(tmp_path):
    errors = _errors(tmp_path, MAJOR, name="critical")
    assert any('expected the id to match the file name "critical", got "major"' in e for e in errors)


def test_page_target_without_rotas_is_an_error(tmp_path):
    text = MAJOR.replace("roles:\n", "paging: [{target: platform}]\nroles:\n", 1)
    errors = _errors(tmp_path, text)
    assert any('unknown rota or escalation policy "platform"' in e for e in errors)


def test_exception_needs_a_real_justification(tmp_path):
    text = MAJOR.replace("roles:\n", "paging: [{target: platform, exception: {justification: urgent}}]\nroles:\n", 1)
    errors = _errors(tmp_path, text)
    assert any("paging[0].exception.justification" in e and "20" in e for e in errors)


def test_summary_for_bot_check(config):
    (major,) = [p for p in config.all("playbook") if p.id == "major"]
    assert major.summary() == "major (Major): 4 roles, 0 page target(s), 0 regime(s), 3 task(s), updates every 30 min"
