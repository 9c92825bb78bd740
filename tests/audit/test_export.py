"""The evidence pack: timeline with head hash, roles and hand-overs, pages and acks with reasons,
labor exceptions, obligations with due and actual times (met or missed), clock changes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bot.audit.export import evidence_pack, obligation_outcome, render_markdown
from bot.audit.trail import verify_chain
from bot.clock import ManualClock
from bot.incidents.service import IncidentService

KATRIN, ANNA, NADIA, CAMILLE = "U0KATRIN1", "U0ANNA001", "U0NADIA01", "U0CAMILLE"
AWARE = datetime(2026, 12, 22, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return ManualClock(AWARE + timedelta(hours=2))


@pytest.fixture
def scenario(store, clock, shipped_config):
    svc = IncidentService(store, lambda: shipped_config, clock)
    declared = svc.declare("security", "Customer e-mails exported by a leaked key", actor=KATRIN, key="d",
                           facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller",
                                  "uk_gdpr_in_scope": "yes"})
    svc.acknowledge_page(declared.pages[0].id, actor=declared.pages[0].slack_user, key="ack")
    svc.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    svc.assign_role(1, "comms_lead", CAMILLE, actor=KATRIN, key="r2")
    svc.set_trigger(1, "aware", AWARE, actor=NADIA, key="t1")
    req = svc.request_trigger_change(1, "aware", AWARE - timedelta(hours=1), actor=NADIA, key="t2",
                                     reason="first alert 07:00")
    svc.reject_trigger_change(req.approval.id, actor=CAMILLE, key="t3", reason="alert was a false positive")
    svc.hand_over_role(1, "legal", CAMILLE, actor=NADIA, key="h1", note="Nadia off shift; drafts in the DPO folder")
    obligations = {o.obligation: o for o in svc.obligations(1)}
    clock.set(datetime(2026, 12, 23, 10, 0, tzinfo=timezone.utc))
    svc.mark_notified(obligations["gdpr.authority"].id, actor=CAMILLE, key="n1", reference="BayLDA-4411",
                      submitted_at=clock.now())
    clock.set(datetime(2026, 12, 25, 9, 30, tzinfo=timezone.utc))
    svc.mark_notified(obligations["uk_gdpr.ico"].id, actor=CAMILLE, key="n2", reference="ICO-77",
                      submitted_at=datetime(2026, 12, 25, 9, 0, tzinfo=timezone.utc))
    svc.mark_not_required(obligations["us_state_ca.residents"].id, "no California residents affected",
                          actor=CAMILLE, key="n3")
    return svc


def test_pack_contents(store, clock, scenario):
    with store.session() as s:
        pack = evidence_pack(s, 1, now=clock.now())
        head = verify_chain(s, 1).head_hash
    assert pack["incident"]["label"] == "INC-1" and pack["incident"]["triggers"] == {"aware": AWARE.isoformat()}
    assert pack["audit"]["verified"] and pack["audit"]["head_hash"] == head
    assert pack["audit"]["events"] == len(pack["timeline"])
    # Roles and hand-overs: Nadia held legal until she handed it to Camille, with the note.
    legal = [r for r in pack["roles"] if r["role"] == "legal"]
    assert [(r["user"], r["how"], r["until"] is None) for r in legal] == [(NADIA, "assigned", False),
                                                                          (CAMILLE, "handover", True)]
    assert legal[1]["handover_note"].startswith("Nadia off shift")
    # Pages and acknowledgements.
    assert pack["pages"][0]["status"] == "acked" and pack["pages"][0]["acked_at"] == "2026-12-22T10:00:00+00:00"
    # Obligations: GDPR Art. 33(1) and UK GDPR Art. 33(1): 72 hours after awareness at 2026-12-22 08:00 UTC
    # -> due 2026-12-25 08:00 UTC. GDPR notified 2026-12-23 10:00 (before due: met); ICO notified
    # 2026-12-25 09:00 (one hour after due: missed).
    obs = {o["obligation"]: o for o in pack["obligations"]}
    assert (obs["gdpr.authority"]["due_at"], obs["gdpr.authority"]["outcome"]) == ("2026-12-25T08:00:00+00:00", "met")
    assert (obs["uk_gdpr.ico"]["due_at"], obs["uk_gdpr.ico"]["outcome"]) == ("2026-12-25T08:00:00+00:00", "missed")
    assert obs["uk_gdpr.ico"]["notified_at"] == "2026-12-25T09:00:00+00:00" and obs["uk_gdpr.ico"]["reference"] == "ICO-77"
    assert obs["us_state_ca.residents"]["outcome"] == "not_required"
    assert obs["us_state_ca.residents"]["not_required_reason"] == "no California residents affected"
    # Clock change decisions with both people.
    assert [(a["requested_by"], a["decided_by"], a["status"]) for a in pack["trigger_changes"]] == [
        (NADIA, CAMILLE, "rejected")]
    json.dumps(pack)  # serialisable as is


def test_markdown_rendering(store, clock, scenario):
    with store.session() as s:
        pack = evidence_pack(s, 1, now=clock.now())
    text = render_markdown(pack)
    assert text.startswith("# Evidence pack: INC-1 Customer e-mails exported by a leaked key")
    assert f"head hash `{pack['audit']['head_hash']}`, verified" in text
    assert "| uk_gdpr.ico |" in text and "| missed |" in text
    assert "| legal | U0CAMILLE | handover |" in text
    for heading in ("## Obligations", "## Roles and hand-overs", "## Pages", "## Labor-law exceptions used",
                    "## Legal clock changes (second-person approval)", "## Timeline"):
        assert heading in text


def test_exception_used_is_in_the_pack(store, shipped_config):
    # Christmas Day 02:00 in Munich: paging on a public holiday is forbidden by the company agreement except for
    # ArbZG §14 emergencies; the sev1 playbook declares that exception with its justification.
    clock = ManualClock(datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc))
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("sev1", "Database cluster down", actor=KATRIN, key="d")
    with store.session() as s:
        pack = evidence_pack(s, 1, now=clock.now())
    (used,) = pack["exceptions_used"]
    assert used["declared_by"] == KATRIN and "sunday_holiday_work" in used["rules_waived"]
    assert used["justification"].startswith("SEV1 outage of a core customer-facing service")
    assert "INC-1 sev1: Database cluster down" in used["justification"]


@pytest.mark.parametrize("status, due, notified, now, expected", [
    ("open", "2026-01-02T00:00", None, "2026-01-01T23:59", "open"),
    ("open", "2026-01-02T00:00", None, "2026-01-02T00:01", "overdue"),
    ("open", None, None, "2026-01-05T00:00", "no_deadline"),
    ("notified", "2026-01-02T00:00", "2026-01-02T00:00", "2026-01-03T00:00", "met"),  # exactly at the deadline
    ("notified", "2026-01-02T00:00", "2026-01-02T00:01", "2026-01-03T00:00", "missed"),
    ("not_applicable", None, None, "2026-01-03T00:00", "not_applicable"),
])
def test_obligation_outcome(status, due, notified, now, expected):
    def at(text):
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None

    row = SimpleNamespace(status=status, due_at=at(due), notified_at=at(notified))
    assert obligation_outcome(row, at(now)) == expected
