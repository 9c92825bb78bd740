"""A reload may not take a playbook, role or rota away from an incident that is still open."""

from __future__ import annotations

from sqlmodel import select

from bot.incidents import in_use
from bot.incidents.tables import Incident
from tests.incidents.conftest import ALICE, MAJOR, MINOR, PRIVATE, REPORTER, load, write_config


def test_nothing_open_nothing_refused(store, service, tmp_path, keys):
    without_major = load(write_config(tmp_path / "new", playbooks={"minor": MINOR}))
    assert in_use.conflicts(store, without_major) == []


def test_removing_the_playbook_of_an_open_incident_is_refused_naming_it(store, service, tmp_path, keys):
    service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    service.declare("minor", "Search is slow", actor=REPORTER, key=keys())
    new = load(write_config(tmp_path / "new", playbooks={"minor": MINOR, "breach": PRIVATE}))
    issues = in_use.conflicts(store, new)
    assert [i.message for i in issues] == [
        'playbook "major" cannot be removed: INC-1 (active) still uses it; keep it until that incident is closed']
    assert issues[0].file.endswith("major.yaml") and issues[0].severity == "error"


def test_a_resolved_incident_still_counts_a_closed_one_does_not(store, service, tmp_path, keys):
    service.declare("minor", "Search is slow", actor=REPORTER, key=keys())
    service.resolve(1, actor=REPORTER, key=keys(), summary="index rebuilt")
    new = load(write_config(tmp_path / "new", playbooks={"major": MAJOR}))
    # resolved: legal clocks and follow-up tasks may still run on its playbook
    assert [i.message.split(":")[0] for i in in_use.conflicts(store, new)] == ['playbook "minor" cannot be removed']
    service.close(1, "Index rebuilt; alerting on query latency added.", actor=REPORTER, key=keys())
    assert in_use.conflicts(store, new) == []


def test_removing_a_role_someone_holds_is_refused(store, service, tmp_path, keys):
    service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    service.assign_role(1, "legal", ALICE, actor=REPORTER, key=keys())
    without_legal = MAJOR.replace("  - {id: legal, title: Legal}\n", "").replace(", authority_owner: legal", "")
    new = load(write_config(tmp_path / "new", playbooks={"major": without_legal, "minor": MINOR}))
    assert [i.message for i in in_use.conflicts(store, new)] == [
        'role "legal" cannot be removed from playbook "major": INC-1 (active) still uses it; keep it until that '
        "incident is closed"]


def test_removing_a_rota_an_open_incident_paged_is_refused(store, service, tmp_path, keys):
    service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    with store.session() as s:  # as if the major playbook had paged the platform rotation
        incident = s.exec(select(Incident)).one()
        incident.paged_targets = ["platform"]
        s.add(incident)
    new = load(write_config(tmp_path / "new"))
    assert [i.message for i in in_use.conflicts(store, new)] == [
        'rota "platform" cannot be removed: INC-1 (active) still pages it; keep it until that incident is closed']
