"""Segregation of duties in the service (shipped config/permissions.yaml), beyond who may: the reasons asked, what is
held and what applies, what the chain and the evidence pack show. Allowed, refused and self-approval for every action
are in test_permission_matrix.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.audit.export import evidence_pack
from bot.clock import ManualClock
from bot.incidents.errors import InvalidRequest, PermissionDenied
from bot.incidents.service import IncidentService

KATRIN, NADIA, CAMILLE = "U0KATRIN1", "U0NADIA01", "U0CAMILLE"  # commander, counsel and DPO, DPO deputy
ANNA = "U0ANNA001"  # paged for the incident (so she may read it), holds no role: not allowed to act
DECLARED = datetime(2026, 12, 22, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return ManualClock(DECLARED)


def declare_gdpr_breach(store, clock, config) -> IncidentService:
    """INC-1, a GDPR breach (controller) with nadia as legal, camille as comms lead, aware at the declaration."""
    service = IncidentService(store, lambda: config, clock)
    service.declare("security", "Customer e-mails exported by a leaked key", actor=KATRIN, key="d",
                    facts={"gdpr_in_scope": "yes", "gdpr_role": "controller"})
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    service.assign_role(1, "comms_lead", CAMILLE, actor=KATRIN, key="r2")
    service.set_trigger(1, "aware", DECLARED, actor=NADIA, key="t1")
    return service


@pytest.fixture
def svc(store, clock, shipped_config):
    return declare_gdpr_breach(store, clock, shipped_config)


def _status(svc, obligation):
    return next(o.status for o in svc.obligations(1) if o.obligation == obligation)


# --- a fact that turns a legal duty off -----------------------------------------------------------------

CA = "us_state_ca.residents"  # Cal. Civ. Code 1798.82: applies while a personal-information breach is possible


def test_legal_turns_a_duty_off_directly_with_the_reason_on_the_chain(svc):
    assert _status(svc, CA) == "open"  # assumed: personal_information_breach not recorded yet
    svc.set_fact(1, "personal_information_breach", "no", actor=NADIA, key="f1", reason="only hashed keys leaked")
    assert _status(svc, CA) == "not_applicable"
    off = [e for e in svc.timeline(1) if e.kind == "obligation.turned_off"][-1]
    assert off.actor == NADIA and CA in off.data["obligations"]
    assert off.data["reason"] == "only hashed keys leaked" and off.data["approved_by"] is None


def test_the_commander_only_asks_and_cannot_approve_their_own_request(svc, store, clock):
    with pytest.raises(InvalidRequest, match="needs a reason"):  # a request without a reason is refused
        svc.set_fact(1, "personal_information_breach", "no", actor=KATRIN, key="f0")
    asked = svc.set_fact(1, "personal_information_breach", "no", actor=KATRIN, key="f1", reason="no PII in that bucket")
    assert "needs a second person's approval" in asked.message
    assert _status(svc, CA) == "open"  # nothing applied yet
    request_id = int(asked.message.split("request #")[1].split(")")[0])
    with pytest.raises(PermissionDenied, match="cannot approve it too"):
        svc.approve_request(request_id, actor=KATRIN, key="a0")
    with pytest.raises(PermissionDenied):  # the comms lead may not approve duty removals
        svc.approve_request(request_id, actor=CAMILLE, key="a1")
    assert _status(svc, CA) == "open"
    svc.approve_request(request_id, actor=NADIA, key="a2")
    assert _status(svc, CA) == "not_applicable"
    off = [e for e in svc.timeline(1) if e.kind == "obligation.turned_off"][-1]
    assert (off.actor, off.data["approved_by"], off.data["reason"]) == (KATRIN, NADIA, "no PII in that bucket")
    with store.session() as s:
        pack = evidence_pack(s, 1, now=clock.now())
    shown = next(d for d in pack["duties_turned_off"] if d["obligation"] == CA)  # the pack says who and why
    assert (shown["by"], shown["approved_by"], shown["reason"]) == (KATRIN, NADIA, "no PII in that bucket")
    assert [(a["requested_by"], a["decided_by"], a["status"]) for a in pack["approvals"]] == [(KATRIN, NADIA, "approved")]
    with pytest.raises(Exception, match="already approved"):
        svc.approve_request(request_id, actor=NADIA, key="a3")


def test_a_rejected_request_changes_nothing(svc):
    asked = svc.set_fact(1, "personal_information_breach", "no", actor=KATRIN, key="f1", reason="hunch")
    request_id = int(asked.message.split("request #")[1].split(")")[0])
    with pytest.raises(PermissionDenied):
        svc.reject_request(request_id, actor=ANNA, key="x")
    svc.reject_request(request_id, actor=NADIA, key="x", note="we do not know yet")
    assert _status(svc, CA) == "open"
    with pytest.raises(Exception, match="already rejected"):
        svc.approve_request(request_id, actor=NADIA, key="y")


# --- backdated notifications ----------------------------------------------------------------------------


def _gdpr_id(svc):
    return next(o.id for o in svc.obligations(1) if o.obligation == "gdpr.authority")


def test_a_notification_time_within_the_tolerance_is_recorded_directly(svc, clock):
    clock.advance(hours=30)
    svc.mark_notified(_gdpr_id(svc), actor=CAMILLE, key="n1", reference="CNIL-1",
                      submitted_at=clock.now() - timedelta(minutes=59))
    assert _status(svc, "gdpr.authority") == "notified"


def test_a_backdated_notification_waits_for_a_second_person(svc, store, clock):
    # GDPR Art. 33(1): 72 h after awareness (2026-12-22 08:00 UTC) -> due 2026-12-25 08:00 UTC. Recorded a day
    # after the deadline as "submitted three days ago" (inside the window) it would read "met": it must wait.
    clock.set(datetime(2026, 12, 26, 8, 0, tzinfo=timezone.utc))
    claimed = datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc)
    with pytest.raises(PermissionDenied):
        svc.mark_notified(_gdpr_id(svc), actor=ANNA, key="n0", reference="x", submitted_at=claimed, reason="r")
    asked = svc.mark_notified(_gdpr_id(svc), actor=CAMILLE, key="n1", reference="CNIL-1", submitted_at=claimed,
                              reason="sent by registered letter; receipt found today")
    assert "needs a second person's approval" in asked.message and _status(svc, "gdpr.authority") == "open"
    request_id = int(asked.message.split("request #")[1].split(")")[0])
    with pytest.raises(PermissionDenied, match="cannot approve it too"):
        svc.approve_request(request_id, actor=CAMILLE, key="a0")
    clock.advance(minutes=10)
    svc.approve_request(request_id, actor=NADIA, key="a1")
    assert _status(svc, "gdpr.authority") == "notified"
    with store.session() as s:
        pack = evidence_pack(s, 1, now=clock.now())
    gdpr = next(o for o in pack["obligations"] if o["obligation"] == "gdpr.authority")
    # The pack shows both the time claimed and the time it was recorded, and who recorded it.
    assert gdpr["notified_at"] == claimed.isoformat() and gdpr["outcome"] == "met"
    assert (gdpr["recorded_by"], gdpr["recorded_at"]) == (CAMILLE, clock.now().isoformat())
    backdated = [e for e in svc.timeline(1) if e.kind == "obligation.backdated"][-1]
    assert backdated.data["approved_by"] == NADIA


def test_a_notification_before_the_clock_started_is_refused(svc, clock):
    clock.advance(hours=1)
    with pytest.raises(InvalidRequest, match="before the legal clock"):
        svc.mark_notified(_gdpr_id(svc), actor=NADIA, key="n1", reference="x",
                          submitted_at=DECLARED - timedelta(minutes=30), reason="r")


# --- a legal clock first set well after the declaration --------------------------------------------------


def test_a_late_first_clock_needs_a_reason_and_another_person(store, clock, shipped_config):
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("security", "Leaked key", actor=KATRIN, key="d", facts={"gdpr_in_scope": "yes"})
    svc.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    svc.assign_role(1, "comms_lead", CAMILLE, actor=KATRIN, key="r2")
    clock.advance(hours=6)
    late = DECLARED + timedelta(hours=5)  # postpones every deadline by five hours
    with pytest.raises(InvalidRequest, match="give the reason"):
        svc.set_trigger(1, "aware", late, actor=NADIA, key="t0")
    with pytest.raises(PermissionDenied):
        svc.set_trigger(1, "aware", late, actor=ANNA, key="t1", reason="r")
    asked = svc.set_trigger(1, "aware", late, actor=NADIA, key="t2", reason="the alert was triaged at 13:00")
    assert asked.approval.status == "pending" and svc.get(1).triggers == {}
    with pytest.raises(PermissionDenied, match="cannot approve"):
        svc.approve_trigger_change(asked.approval.id, actor=NADIA, key="a0")
    svc.approve_trigger_change(asked.approval.id, actor=CAMILLE, key="a1")
    assert svc.get(1).triggers == {"aware": late.isoformat()}


# --- roles that own legal duties -------------------------------------------------------------------------


def test_only_eligible_people_hold_the_legal_role(store, clock, shipped_config):
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("security", "Leaked key", actor=KATRIN, key="d")
    with pytest.raises(PermissionDenied, match="may not hold the legal role"):
        svc.assign_role(1, "legal", KATRIN, actor=KATRIN, key="r0")  # the commander giving it to herself
    with pytest.raises(PermissionDenied, match="may not hold the legal role"):
        svc.assign_role(1, "legal", ANNA, actor=KATRIN, key="r1")
    with pytest.raises(PermissionDenied):
        svc.assign_role(1, "legal", NADIA, actor=ANNA, key="r2")  # not allowed to assign at all
    assert svc.assign_role(1, "legal", NADIA, actor=KATRIN, key="r3").incident.holder("legal") == NADIA
    with pytest.raises(PermissionDenied, match="may not hold the legal role"):
        svc.hand_over_role(1, "legal", KATRIN, actor=NADIA, key="h0")
    assert svc.hand_over_role(1, "legal", CAMILLE, actor=NADIA, key="h1").incident.holder("legal") == CAMILLE


# --- labor-law exceptions ----------------------------------------------------------------------------------


def test_an_exception_applied_at_declaration_stays_unconfirmed_until_someone_allowed_confirms_it(store, shipped_config):
    # Christmas Day 02:00 in Munich: the sev1 page goes out under the ArbZG §14 emergency exception at once (the
    # emergency cannot wait), but the playbook's canned text is not a justification: a manager must confirm it.
    clock = ManualClock(datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc))
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("sev1", "Database cluster down", actor=KATRIN, key="d")
    ((use_id, number, _person, _exception),) = svc.unconfirmed_exceptions()
    assert number == 1
    with store.session() as s:
        assert evidence_pack(s, 1, now=clock.now())["exceptions_used"][0]["confirmed_by"] is None
    with pytest.raises(PermissionDenied):  # counsel is not allowed to declare exceptions
        svc.confirm_exception(use_id, "core payments down", actor=NADIA, key="c0")
    with pytest.raises(PermissionDenied, match="cannot confirm it"):  # a manager, but she declared the incident
        svc.confirm_exception(use_id, "core payments down", actor=KATRIN, key="c1")
    with pytest.raises(InvalidRequest, match="your own justification"):
        svc.confirm_exception(use_id, " ", actor=CAMILLE, key="c2")
    svc.confirm_exception(use_id, "all card payments failing; no rested DBA can reach the site", actor=CAMILLE, key="c3")
    assert svc.unconfirmed_exceptions() == []
    with store.session() as s:
        used = evidence_pack(s, 1, now=clock.now())["exceptions_used"][0]
    assert (used["confirmed_by"], used["confirmation"]) == (CAMILLE, "all card payments failing; no rested DBA can "
                                                                     "reach the site")


def test_the_exceptions_to_confirm_skip_a_private_incident_the_reader_may_not_see(store, shipped_config):
    # App Home asks every reader which exception uses they may confirm. A use in a private incident is listed only to
    # someone who may read that incident; anyone else (here camille, a site manager off its team, and an outsider)
    # gets the list without it, not the "no such incident" refusal that broke their App Home.
    clock = ManualClock(datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc))
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("sev1", "Database cluster down", actor=ANNA, key="d", private=True)
    ((use_id, _number, _person, _exception),) = svc.unconfirmed_exceptions()
    assert svc.exceptions_to_confirm(CAMILLE) == [] and svc.exceptions_to_confirm("U0MALLORY") == []
    svc.assign_role(1, "scribe", CAMILLE, actor=ANNA, key="r")  # now on its response team: she may confirm it
    assert [u.use_id for u in svc.exceptions_to_confirm(CAMILLE)] == [use_id]


def test_nobody_confirms_the_exception_they_were_paged_under(store, tmp_path):
    # anna is paged under the ArbZG §14 emergency exception on Christmas night; here she may also confirm exceptions
    # (a team that lets its on-call leads do it). Confirming that waking her was justified is someone else's call.
    import shutil

    from tests.incidents.conftest import REPO, load
    from bot.config.loader import ConfigPaths

    shutil.copytree(REPO / "config", tmp_path / "config")
    permissions = tmp_path / "config" / "permissions.yaml"
    text = permissions.read_text()
    assert "  declare_exception: [person:katrin, person:camille, admins]\n" in text
    permissions.write_text(text.replace("  declare_exception: [person:katrin, person:camille, admins]\n",
                                        "  declare_exception: [person:katrin, person:camille, person:anna, admins]\n"))
    config = load(ConfigPaths(tmp_path / "config", REPO / "playbooks"))
    svc = IncidentService(store, lambda: config, ManualClock(datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc)))
    svc.declare("sev1", "Database cluster down", actor=KATRIN, key="d")
    ((use_id, _number, person, _exception),) = svc.unconfirmed_exceptions()
    assert person == "anna"
    assert svc.exceptions_to_confirm(ANNA) == []  # App Home does not offer it to her
    with pytest.raises(PermissionDenied, match="was paged under this exception"):
        svc.confirm_exception(use_id, "I was fine to take it", actor=ANNA, key="c1")
    assert [u.use_id for u in svc.exceptions_to_confirm(CAMILLE)] == [use_id]
    svc.confirm_exception(use_id, "all card payments failing; no rested DBA can reach the site", actor=CAMILLE, key="c2")
    assert svc.unconfirmed_exceptions() == []


def test_an_outsider_pressing_approve_on_a_private_incident_learns_nothing(svc, clock):
    # A crafted request.approve naming a held change of the private INC-1: whatever state the change is in now (here
    # the notification was since recorded directly), an outsider gets the answer for an incident that does not exist,
    # never the obligation, the requester or who may decide; and someone on the team who may not approve is told so.
    clock.set(datetime(2026, 12, 26, 8, 0, tzinfo=timezone.utc))
    asked = svc.mark_notified(_gdpr_id(svc), actor=CAMILLE, key="n1", reference="CNIL-1",
                              submitted_at=datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc), reason="letter")
    request_id = int(asked.message.split("request #")[1].split(")")[0])
    svc.mark_notified(_gdpr_id(svc), actor=NADIA, key="n2", reference="CNIL-2", submitted_at=clock.now())
    from bot.incidents.errors import NotFound

    with pytest.raises(NotFound) as refused:
        svc.approve_request(request_id, actor="U0MALLORY", key="m1")
    assert str(refused.value) == "there is no incident INC-1; check the number"
    with pytest.raises(PermissionDenied, match="may not approve request"):
        svc.approve_request(request_id, actor=ANNA, key="m2")
