"""Lookups used by the playbooks, permissions, Slack and scheduling parts."""

from __future__ import annotations

import pytest

from bot.oncall import directory
from tests.oncall.helpers import local, team_config


def test_directory_lookups(write_config):
    config = team_config(write_config, [], people_extra={"anna": {"leave": [{"from": "2026-03-16", "to": "2026-03-20"}]}},
                         policies=[{"id": "ops-escalation", "levels": [{"targets": [{"rotation": "ops"}]}], "fallback": "boss"}])
    assert directory.person_ids(config) == {"anna", "bea", "boss"}
    assert directory.rota_ids(config) == {"ops", "ops-escalation"}
    assert directory.slack_user_of(config, "bea") == "U0BEA0001"
    assert directory.person_by_slack(config, "U0BEA0001") == "bea" and directory.person_by_slack(config, "U0NOPE") is None
    assert directory.person_timezone(config, "anna") == "Europe/Berlin"
    with pytest.raises(KeyError, match="unknown person"):
        directory.slack_user_of(config, "zoe")


def test_person_working_now_uses_local_hours_holidays_and_leave(write_config):
    config = team_config(write_config, [], people_extra={"anna": {"leave": [{"from": "2026-03-16", "to": "2026-03-20"}]}})
    # MO-FR 09:00-17:00 Berlin: 16:59 working, 17:00 not; SA not; on leave not.
    assert directory.person_working_now(config, "anna", local("2026-03-04 16:59"))
    assert not directory.person_working_now(config, "anna", local("2026-03-04 17:00"))
    assert not directory.person_working_now(config, "anna", local("2026-03-07 10:00"))
    assert not directory.person_working_now(config, "anna", local("2026-03-17 10:00"))
    # callers that only know the Slack user may pass that instead
    assert directory.person_working_now(config, "U0ANNA001", local("2026-03-04 10:00"))


def test_roles(write_config):
    config = team_config(write_config, [])
    assert directory.role_ids(config) == set()
    with pytest.raises(KeyError, match="unknown role"):
        directory.role_deputies(config, "commander")
