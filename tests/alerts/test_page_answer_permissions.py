"""Who may answer an alert group's page: config/permissions.yaml, as for an incident's page.

The team here lets its rota members acknowledge for each other (``acknowledge_page: [page_recipient,
group:platform-oncall, admins]`` with bruno in the group) and keeps Decline to the paged person or an admin
(``decline_page`` unchanged); katrin is an admin (settings.yaml ``admins``). By the shipped rotas (see
test_page_routes.py), a critical alert on Tuesday 2026-12-22 10:00 UTC pages anna, the on-call person.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.alerts.tables import AlertGroup
from bot.incidents.errors import PermissionDenied
from bot.oncall.tables import Page
from tests.alerts.conftest import load_config, write_alerts_config
from tests.alerts.test_page_routes import ANNA, BRUNO, PAGE_ALERTS, TUESDAY, World

CARLA, KATRIN = "U0CARLA01", "U0KATRIN1"


@pytest.fixture(scope="module")
def team_config(tmp_path_factory):
    paths = write_alerts_config(tmp_path_factory.mktemp("page-permissions"), PAGE_ALERTS)
    permissions = paths.config_dir / "permissions.yaml"
    text = permissions.read_text()
    assert "  acknowledge_page: [page_recipient, admins]\n" in text and "groups:\n" in text
    permissions.write_text(text.replace("  acknowledge_page: [page_recipient, admins]\n",
                                        "  acknowledge_page: [page_recipient, group:platform-oncall, admins]\n")
                           .replace("groups:\n", "groups:\n  platform-oncall: [bruno]\n", 1))
    settings = paths.config_dir / "settings.yaml"
    settings.write_text(settings.read_text().replace("admins: []", f'admins: ["{KATRIN}"]', 1))
    return load_config(paths)


@pytest.fixture
def day(store, team_config):
    world = World(store, team_config, TUESDAY)
    world.alert(severity="critical")
    world.worker.run_due()
    world.clock.advance(timedelta(minutes=1))
    return world


def test_a_rota_member_the_team_allows_acknowledges_for_the_paged_person(day):
    [anna] = day.rows(Page)
    assert anna.slack_user == ANNA
    day.answers.acknowledge(anna.id, actor=BRUNO)
    assert day.rows(Page)[0].status == "acked"
    [event] = day.events("alert_group.")
    assert event.actor == BRUNO and event.data["person"] == "anna"
    assert "acknowledged by bruno for anna" in event.summary  # the chain says who answered, for whom


def test_someone_the_team_does_not_allow_is_refused_and_told_who_may(day):
    [anna] = day.rows(Page)
    with pytest.raises(PermissionDenied, match="Allowed: .*an admin"):
        day.answers.acknowledge(anna.id, actor=CARLA)
    with pytest.raises(PermissionDenied):  # Decline stays the paged person's (or an admin's)
        day.answers.decline(anna.id, actor=BRUNO, reason="busy")
    assert day.rows(Page)[0].status == "sent" and day.events("alert_group.") == []


def test_an_admin_resolves_for_the_paged_person_and_is_named_as_resolver(day):
    [anna] = day.rows(Page)
    day.answers.resolve(anna.id, actor=KATRIN)
    [group] = day.rows(AlertGroup)
    assert (group.status, group.resolved_by) == ("resolved", "person:katrin")
    [event] = day.events("alert_group.")
    assert event.actor == KATRIN and "resolved by katrin for anna" in event.summary


def test_an_answer_names_the_configuration_that_allowed_it_and_that_version_is_on_the_chain(day, team_config):
    # katrin may resolve for anna only because settings.yaml makes her an admin: an auditor must be able to see
    # which configuration allowed it, as for every other request (docs/audit.md, "Which configuration was in force")
    from bot.audit.config_versions import KIND
    from bot.config.version import config_version

    [anna] = day.rows(Page)
    day.answers.resolve(anna.id, actor=KATRIN)
    [event] = day.events("alert_group.")
    digest = config_version(team_config).digest
    assert event.data["config_version"]["hash"] == digest
    assert [e.data["hash"] for e in day.events(KIND)] == [digest]


def test_an_alert_s_page_plan_names_a_version_whose_files_are_on_the_chain(day):
    # page.planned names the configuration version the plan was made under; the list of files behind that hash is
    # a config.version event on the global chain, so it cannot be changed unnoticed (docs/audit.md)
    [planned] = day.events("page.planned")
    assert [e.data["hash"] for e in day.events("config.version")] == [planned.data["config_version"]["hash"]]
