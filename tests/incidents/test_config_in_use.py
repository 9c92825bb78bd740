"""A reload may not take a playbook, role or rota away from an incident that is still open."""

from __future__ import annotations

from sqlmodel import select

from bot.audit.unit_time import happens_at
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


def test_removing_a_rota_an_open_incident_paged_is_refused(store, clock, service, tmp_path, keys):
    service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    with store.session() as s:  # as if the major playbook had paged the platform rotation
        happens_at(s, clock.now())
        incident = s.exec(select(Incident)).one()
        incident.paged_targets = ["platform"]
        s.add(incident)
    new = load(write_config(tmp_path / "new"))
    assert [i.message for i in in_use.conflicts(store, new)] == [
        'rota "platform" cannot be removed: INC-1 (active) still pages it; keep it until that incident is closed']


def test_removing_a_rota_an_alert_groups_open_page_uses_is_refused(store, tmp_path):
    """A page route's pages have no incident; their escalation re-plans on the rota, so it must stay."""
    from datetime import datetime, timezone

    from bot.alerts.tables import AlertGroup
    from bot.oncall.tables import Page

    at = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)
    with store.session() as s:
        happens_at(s, at)
        group = AlertGroup(source="scripts", key="k", open_key="k", status="open", opened_at=at, last_at=at)
        s.add(group)
        s.flush()
        s.add(Page(alert_group_id=group.id, target="platform", level=1, person_id="anna", slack_user="U0ANNA001",
                   status="held", page_at=at, created_at=at))
        group_id = group.id
    new = load(write_config(tmp_path / "new"))
    assert [i.message for i in in_use.conflicts(store, new)] == [
        f'rota "platform" cannot be removed: alert group(s) {group_id} still page it; keep it until their pages are '
        "answered or the groups resolve"]
    with store.session() as s:
        happens_at(s, at)
        page = s.exec(select(Page)).one()
        page.status = "acked"
        s.add(page)
    assert in_use.conflicts(store, new) == []
