"""A private incident is read only by its response team, channel members, admins and auditors; anyone else is
answered exactly as if it did not exist (timeline, deadlines, the incident itself, and every action on it)."""

from __future__ import annotations

import pytest

from bot.incidents.errors import NotFound, PermissionDenied
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, BOB, CAROL, MALLORY, REPORTER, load, write_config

AUDITOR = "UAUDIT001"
PERMISSIONS = f"""
auditors: [{AUDITOR}]
"""


@pytest.fixture
def members():
    return {}  # channel id -> set of users: what Slack would say


@pytest.fixture
def svc(store, clock, tmp_path, members):
    config = load(write_config(tmp_path / "cfg", permissions=PERMISSIONS))
    service = IncidentService(store, lambda: config, clock,
                              members=lambda channel, user: user in members.get(channel, set()))
    service.declare("breach", "Customer records exposed", actor=REPORTER, key="d1")  # INC-1, private
    service.assign_role(1, "legal", ALICE, actor=REPORTER, key="r1")
    service.record_channel(service.get(1).id, "CPRIV0001", "inc-1-sec", key="ch")
    service.declare("major", "Checkout is down", actor=REPORTER, key="d2")  # INC-2, public
    return service


def _refusal(call):
    with pytest.raises(NotFound) as err:
        call()
    return str(err.value)


# Who reads a private incident and what an outsider is told for each read: test_permission_matrix.py (read_private).


def test_a_former_role_holder_stays_on_the_team(svc):
    svc.hand_over_role(1, "legal", BOB, actor=ALICE, key="h1")
    assert svc.may_read(1, ALICE) and svc.may_read(1, BOB)


def test_channel_members_read_it_when_slack_says_so(svc, members):
    assert not svc.may_read(1, CAROL)
    members["CPRIV0001"] = {CAROL}
    assert svc.timeline(1, reader=CAROL) and svc.may_read(1, CAROL)
    assert [i.number for i in svc.open_incidents(reader=CAROL)] == [1, 2]
    assert [i.number for i in svc.open_incidents(reader=MALLORY)] == [2]


def test_a_slack_failure_grants_nothing(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg2"))

    def broken(channel, user):
        raise RuntimeError("slack down")

    service = IncidentService(store, lambda: config, clock, members=broken)
    service.declare("breach", "Leak", actor=REPORTER, key="d1")
    service.record_channel(service.get(1).id, "CPRIV0001", "inc-1-sec", key="ch")
    assert not service.may_read(1, CAROL)


def test_a_public_incident_is_read_by_everyone(svc):
    assert svc.timeline(2, reader=MALLORY) and svc.may_read(2, MALLORY)


def test_actions_on_a_private_incident_reveal_nothing_to_outsiders(svc):
    refused = _refusal(lambda: svc.add_note(1, "hello?", actor=MALLORY, key="n1"))  # add_note is open to everyone
    assert refused == "there is no incident INC-1; check the number"
    assert _refusal(lambda: svc.resolve(1, actor=MALLORY, key="x")) == refused
    # someone on the team who lacks the permission is told why (they already know the incident)
    with pytest.raises(PermissionDenied, match="may not resolve"):
        svc.resolve(1, actor=ALICE, key="x2")
    # an auditor reads but changes nothing: read access grants no action
    with pytest.raises(PermissionDenied, match="may not resolve"):
        svc.resolve(1, actor=AUDITOR, key="x3")


def test_a_number_addressed_to_a_private_incident_lists_nothing_to_an_outsider(svc):
    # a reader naming INC-1 with a number that is not INC-1's is told INC-1's open candidates; an outsider
    # must get the not-found answer for the incident itself instead (the candidates are task titles, pages
    # to named people, obligation names of a private incident)
    for act in (lambda who, k: svc.complete_task(99999, actor=who, key=k, incident=1),
                lambda who, k: svc.acknowledge_page(99999, actor=who, key=k, incident=1),
                lambda who, k: svc.mark_not_required(99999, "no EU data", actor=who, key=k, incident=1)):
        assert _refusal(lambda: act(MALLORY, "m")) == "there is no incident INC-1; check the number"
        assert _refusal(lambda: act(REPORTER, "r")).startswith("INC-1 has no ")


def test_an_auditor_changes_nothing_even_where_everyone_may_act(svc):
    # add_note is open to everyone, and an auditor reads the private INC-1 only because auditors read everything:
    # that read grants no write, so the note is refused and the timeline is as it was
    before = svc.timeline(1, reader=AUDITOR)
    with pytest.raises(PermissionDenied, match="auditors change nothing"):
        svc.add_note(1, "an auditor was here", actor=AUDITOR, key="n-audit")
    assert svc.timeline(1, reader=AUDITOR) == before
    # the same person, as anyone, still adds a note to the public INC-2 (auditing takes no right away)
    assert svc.add_note(2, "seen", actor=AUDITOR, key="n-public").message == "note added to the timeline"
