"""Legal clock starts: set once directly, moved only with a second, different person's approval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.incidents.errors import Conflict, InvalidRequest, PermissionDenied
from tests.incidents.conftest import ADMIN, ALICE, CAROL, MALLORY, REPORTER


@pytest.fixture
def inc(service, keys):
    service.declare("major", "Customer data in logs", actor=REPORTER, key=keys())
    service.assign_role(1, "comms_lead", ALICE, actor=REPORTER, key=keys())
    service.assign_role(1, "legal", CAROL, actor=REPORTER, key=keys())


def test_first_setting_applies_at_once(service, keys, inc, clock):
    aware = clock.now() - timedelta(hours=3)
    out = service.set_trigger(1, "aware", aware, actor=CAROL, key=keys())
    assert out.approval is None and out.incident.triggers["aware"] == aware.isoformat()
    event = service.timeline(1)[-1]
    assert (event.kind, event.data["before"], event.data["after"]) == ("trigger.set", None, aware.isoformat())


def test_moving_needs_second_person_and_requester_cannot_approve(service, keys, inc, clock):
    first = clock.now() - timedelta(hours=3)
    earlier = clock.now() - timedelta(hours=20)
    service.set_trigger(1, "aware", first, actor=CAROL, key=keys())
    pending = service.set_trigger(1, "aware", earlier, actor=CAROL, key=keys(), reason="first alert was at 13:00 yesterday")
    assert pending.approval is not None and pending.approval.status == "pending"
    assert pending.incident.triggers["aware"] == first.isoformat()  # not moved yet
    assert [b.action for b in pending.posts[0].notice.buttons] == ["trigger.approve", "trigger.reject"]
    assert [a.id for a in service.pending_approvals(1)] == [pending.approval.id]
    # Segregation of duties: the requester is permitted in general, but not for their own request.
    with pytest.raises(PermissionDenied, match="requested this change and cannot approve it"):
        service.approve_trigger_change(pending.approval.id, actor=CAROL, key=keys())
    # Someone without the permission cannot approve either.
    with pytest.raises(PermissionDenied, match="may not approve trigger change"):
        service.approve_trigger_change(pending.approval.id, actor=MALLORY, key=keys())
    assert service.get(1).triggers["aware"] == first.isoformat()
    approved = service.approve_trigger_change(pending.approval.id, actor=ALICE, key=keys())
    assert approved.approval.status == "approved" and approved.approval.decided_by == ALICE
    assert approved.incident.triggers["aware"] == earlier.isoformat()
    event = service.timeline(1)[-1]
    assert event.kind == "trigger.change_approved"
    assert (event.data["before"], event.data["after"], event.data["requested_by"]) == (
        first.isoformat(), earlier.isoformat(), CAROL)
    assert service.pending_approvals(1) == []
    with pytest.raises(Conflict, match="already approved"):
        service.approve_trigger_change(pending.approval.id, actor=ADMIN, key=keys())


def test_reject_keeps_the_clock(service, keys, inc, clock):
    first = clock.now() - timedelta(hours=3)
    service.set_trigger(1, "aware", first, actor=CAROL, key=keys())
    pending = service.request_trigger_change(1, "aware", clock.now() - timedelta(hours=1), actor=CAROL, key=keys(),
                                             reason="typo")
    out = service.reject_trigger_change(pending.approval.id, actor=ALICE, key=keys(), reason="first alert stands")
    assert out.approval.status == "rejected" and out.incident.triggers["aware"] == first.isoformat()
    assert service.timeline(1)[-1].kind == "trigger.change_rejected"


def test_stale_request_cannot_be_approved(service, keys, inc, clock):
    service.set_trigger(1, "aware", clock.now() - timedelta(hours=3), actor=CAROL, key=keys())
    a = service.request_trigger_change(1, "aware", clock.now() - timedelta(hours=5), actor=CAROL, key=keys(), reason="r")
    b = service.request_trigger_change(1, "aware", clock.now() - timedelta(hours=6), actor=ALICE, key=keys(), reason="r")
    service.approve_trigger_change(b.approval.id, actor=CAROL, key=keys())
    with pytest.raises(Conflict, match="changed since the request"):
        service.approve_trigger_change(a.approval.id, actor=ALICE, key=keys())


def test_invalid_trigger_values(service, keys, inc, clock):
    with pytest.raises(InvalidRequest, match='unknown trigger "noticed"'):
        service.set_trigger(1, "noticed", clock.now(), actor=CAROL, key=keys())
    with pytest.raises(InvalidRequest, match="already happened"):
        service.set_trigger(1, "aware", clock.now() + timedelta(hours=1), actor=CAROL, key=keys())
    with pytest.raises(Conflict, match="not set yet"):
        service.request_trigger_change(1, "aware", clock.now(), actor=CAROL, key=keys(), reason="r")
