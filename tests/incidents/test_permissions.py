"""Each permission rule, allowed and denied (config/permissions.yaml defaults and a custom file)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.incidents.errors import PermissionDenied
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ADMIN, ALICE, BOB, CAROL, MALLORY, REPORTER, load, write_config


@pytest.fixture
def inc(service, keys):
    result = service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    service.assign_role(1, "comms_lead", ALICE, actor=REPORTER, key=keys())
    service.assign_role(1, "legal", CAROL, actor=REPORTER, key=keys())
    return result


def _denied(call, *fragments):
    with pytest.raises(PermissionDenied) as err:
        call()
    for fragment in fragments:
        assert fragment in str(err.value)
    return err.value


def test_everyone_may_declare_by_default(service, keys):
    assert service.declare("minor", "Slow search", actor=MALLORY, key=keys()).incident.reporter == MALLORY


def test_declare_can_be_restricted(tmp_path, store, clock, keys):
    paths = write_config(tmp_path / "c", permissions="""
        groups: {responders: [UALICE001]}
        actions: {declare: ["group:responders", admins]}
    """)
    service = IncidentService(store, lambda: load(paths), clock)
    assert service.declare("minor", "x", actor=ALICE, key=keys()).incident.number == 1
    err = _denied(lambda: service.declare("minor", "x", actor=MALLORY, key=keys()),
                  "You (UMALLORY1) may not declare", "group responders", "an admin")
    assert err.action == "declare"


def test_change_severity_commander_and_admin_only(service, keys, inc):
    _denied(lambda: service.change_severity(1, "minor", actor=MALLORY, key=keys()),
            "may not change severity on INC-1", f"the commander ({REPORTER})", "an admin")
    _denied(lambda: service.change_severity(1, "minor", actor=ALICE, key=keys()))  # comms lead is not enough
    assert service.change_severity(1, "minor", actor=REPORTER, key=keys()).incident.severity == "minor"
    assert service.change_severity(1, "major", actor=ADMIN, key=keys()).incident.severity == "major"


def test_assign_role_commander_and_admin_only(service, keys, inc):
    _denied(lambda: service.assign_role(1, "scribe", MALLORY, actor=MALLORY, key=keys()), "may not assign role")
    assert service.assign_role(1, "scribe", BOB, actor=ADMIN, key=keys()).incident.holder("scribe") == BOB


def test_hand_over_by_holder_commander_or_admin(service, keys, inc):
    _denied(lambda: service.hand_over_role(1, "comms_lead", MALLORY, actor=MALLORY, key=keys()),
            f"the role's current holder ({ALICE})")
    assert service.hand_over_role(1, "comms_lead", BOB, actor=ALICE, key=keys()).incident.holder("comms_lead") == BOB
    assert service.hand_over_role(1, "comms_lead", ALICE, actor=REPORTER, key=keys()).incident.holder("comms_lead") == ALICE


def test_post_status_by_response_roles(service, keys, inc):
    _denied(lambda: service.post_status(1, "all good", actor=MALLORY, key=keys()), "may not post status")
    assert service.post_status(1, "investigating", actor=ALICE, key=keys()).message == "INC-1 status update recorded"


def test_anyone_may_add_notes(service, keys, inc):
    assert service.add_note(1, "I see errors too", actor=MALLORY, key=keys()).message


def test_set_trigger_comms_legal_admin_only(service, keys, inc, clock):
    at = clock.now() - timedelta(hours=1)
    _denied(lambda: service.set_trigger(1, "aware", at, actor=REPORTER, key=keys()),
            "may not set trigger", f"the comms lead ({ALICE})", f"the legal ({CAROL})", "an admin")
    assert service.set_trigger(1, "aware", at, actor=CAROL, key=keys()).incident.triggers == {"aware": at.isoformat()}


def test_complete_task_by_owner_commander_or_admin(service, keys, inc):
    task = next(t for t in inc.tasks if t.task == "statuspage")  # owner: comms_lead (ALICE)
    _denied(lambda: service.complete_task(task.id, actor=MALLORY, key=keys()), f"the task's owner ({ALICE})")
    assert service.complete_task(task.id, actor=ALICE, key=keys()).tasks[0].done_by == ALICE


def test_resolve_and_close_commander_or_admin(service, keys, inc):
    _denied(lambda: service.resolve(1, actor=ALICE, key=keys()), "may not resolve")
    assert service.resolve(1, actor=REPORTER, key=keys()).incident.status == "resolved"
    _denied(lambda: service.close(1, "summary", actor=MALLORY, key=keys()), "may not close")
    assert service.close(1, "summary", actor=ADMIN, key=keys()).incident.status == "closed"


def test_denial_changes_nothing(service, keys, inc, store):
    before = len(service.timeline(1))
    with pytest.raises(PermissionDenied):
        service.resolve(1, actor=MALLORY, key="k-denied")
    assert len(service.timeline(1)) == before
    assert service.get(1).status == "active"
    # The key was not used up: the right person may use it afterwards.
    assert service.resolve(1, actor=REPORTER, key="k-denied").incident.status == "resolved"


def test_person_principal_without_people_file_matches_nobody(tmp_path, store, clock, keys):
    paths = write_config(tmp_path / "c", permissions="""
        actions: {resolve: ["user:UBOB00001"]}
    """)
    service = IncidentService(store, lambda: load(paths), clock)
    service.declare("minor", "x", actor=REPORTER, key=keys())
    _denied(lambda: service.resolve(1, actor=REPORTER, key=keys()), "user UBOB00001")
    assert service.resolve(1, actor=BOB, key=keys()).incident.status == "resolved"


def test_bad_principal_is_a_config_error(tmp_path):
    from bot.config.loader import collect

    paths = write_config(tmp_path / "c", permissions="""
        actions: {resolve: ["commander"], clsoe: [admins]}
    """)
    config, issues = collect(paths)
    assert config is None
    text = "\n".join(str(i) for i in issues)
    assert 'expected a principal like "everyone"' in text and 'got "commander"' in text
    assert 'unknown key "clsoe"; did you mean "close"?' in text


def test_unknown_role_and_group_in_permissions_are_reported(tmp_path):
    from bot.config.loader import collect

    paths = write_config(tmp_path / "c", permissions="""
        actions: {resolve: ["role:captain", "group:nobody"]}
    """)
    config, issues = collect(paths)
    text = "\n".join(str(i) for i in issues)
    assert config is None
    assert 'permissions.yaml' in text and 'unknown role "captain"' in text and 'unknown group "nobody"' in text


def test_auditors_in_an_action_that_changes_something_is_a_config_error(tmp_path):
    # auditors read every incident and change nothing: the file cannot make them do more (read_private only)
    from bot.config.loader import collect

    paths = write_config(tmp_path / "c", permissions="""
        actions: {add_note: [auditors], read_private: [response_team, auditors]}
    """)
    config, issues = collect(paths)
    text = "\n".join(str(i) for i in issues)
    assert config is None
    assert 'actions.add_note[0]: "auditors" read and change nothing' in text and "actions.read_private" not in text
