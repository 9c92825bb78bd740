"""Every evidence row is on the chain: editing, inserting or deleting a row of any evidence table outside the bot is
reported by `audit verify` and by `verify-pack`, and the pack shows what the chain says, not what the table says."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from bot.audit.checkpoints import write_checkpoint
from bot.audit.evidence import chained_rows, table_rows, verify_incident
from bot.audit.export import evidence_pack
from bot.audit.offline import verify_pack
from bot.audit.trail import events
from bot.clock import ManualClock
from bot.incidents.service import IncidentService

KATRIN, NADIA, CAMILLE = "U0KATRIN1", "U0NADIA01", "U0CAMILLE"
AWARE = datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    # Christmas Day 02:00 in Munich: the sev1 page goes out under the ArbZG §14 emergency exception.
    return ManualClock(AWARE)


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def world(store, clock, shipped_config, key, tmp_path):
    svc = IncidentService(store, lambda: shipped_config, clock)
    sev1 = svc.declare("sev1", "Database cluster down", actor=KATRIN, key="d1")
    svc.acknowledge_page(sev1.pages[0].id, actor=sev1.pages[0].slack_user, key="ack")
    svc.declare("security", "Customer e-mails exported by a leaked key", actor=KATRIN, key="d2",
                facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    svc.assign_role(2, "legal", NADIA, actor=KATRIN, key="r1")
    svc.assign_role(2, "comms_lead", CAMILLE, actor=KATRIN, key="r2")
    svc.set_trigger(2, "aware", AWARE, actor=NADIA, key="t1")
    req = svc.request_trigger_change(2, "aware", AWARE - timedelta(hours=1), actor=NADIA, key="t2", reason="alert")
    svc.reject_trigger_change(req.approval.id, actor=CAMILLE, key="t3", reason="false positive")
    clock.advance(hours=30)
    gdpr = next(o for o in svc.obligations(2) if o.obligation == "gdpr.authority")
    svc.mark_notified(gdpr.id, actor=CAMILLE, key="n1", reference="BayLDA-4411", submitted_at=clock.now())
    anchor = tmp_path / "anchors.jsonl"
    write_checkpoint(store, clock.now(), key=key, path=anchor)
    return svc, anchor


def _id(store, number):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM incident WHERE number = :n"), {"n": number}).scalar_one()


def test_every_evidence_row_is_on_the_chain(store, world):
    covered = set()
    ids = [_id(store, 1), _id(store, 2)]
    with store.session() as s:
        for iid in ids:
            assert verify_incident(s, iid).ok
            chained = chained_rows(e.data for e in events(s, iid))
            assert {k: v for k, v in chained.items() if v is not None} == table_rows(s, iid)
            covered |= {table for table, _ in chained}
    assert {"incident", "incident_role", "incident_task", "page", "exception_use", "obligation",
            "trigger_approval", "engagement"} <= covered


# (incident, SQL run outside the bot, words the report must contain)
EDITS = [
    (2, "UPDATE obligation SET notified_at = '2026-12-30 00:00:00' WHERE obligation_id = 'gdpr.authority'",
     "obligation row", "notified_at"),
    (2, "UPDATE obligation SET status = 'not_applicable' WHERE obligation_id = 'gdpr.authority'", "obligation row",
     "status"),
    (2, "UPDATE obligation SET reference = 'forged' WHERE obligation_id = 'gdpr.authority'", "obligation row",
     "reference"),
    (1, "UPDATE page SET acked_at = NULL", "page row", "acked_at"),
    (1, "UPDATE exception_use SET justification = 'the DPO agreed'", "exception_use row", "justification"),
    (2, "UPDATE incident_role SET \"user\" = 'UMALLORY1' WHERE role = 'legal'", "incident_role row", "user"),
    (2, "UPDATE incident SET title = 'nothing happened' WHERE number = 2", "incident row", "title"),
    (2, "UPDATE incident SET severity = 'minor' WHERE number = 2", "incident row", "severity"),
    (2, "UPDATE trigger_approval SET status = 'approved'", "trigger_approval row", "status"),
    (1, "UPDATE incident_task SET done_by = 'UMALLORY1'", "incident_task row", "done_by"),
    (1, "UPDATE engagement SET start = '2026-12-24 00:00:00'", "engagement row", "start"),
    (2, "DELETE FROM trigger_approval", "trigger_approval row", "missing from the table"),
]


def _pack(store, clock, number):
    with store.session() as s:
        return json.loads(json.dumps(evidence_pack(s, number, now=clock.now())))


@pytest.mark.parametrize("number, sql, row, words", EDITS, ids=[e[1][:40] for e in EDITS])
def test_an_edited_evidence_row_is_detected_by_verify_and_by_verify_pack(store, clock, world, key, number, sql, row,
                                                                        words):
    before = _pack(store, clock, number)
    with store.engine.begin() as conn:
        assert conn.execute(text(sql)).rowcount >= 1
    iid = _id(store, number)
    with store.session() as s:
        problems = verify_incident(s, iid).problems
    assert any(row in p and words in p for p in problems), problems
    after = _pack(store, clock, number)
    assert not after["audit"]["verified"]
    # The pack is built from the chain: its sections still show what was recorded.
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}
    report = verify_pack(after, key.public_key())
    assert not report.ok and any(row in p and words in p for p in report.problems), report.problems


def test_a_row_inserted_outside_the_bot_is_detected(store, clock, world):
    iid = _id(store, 2)
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO incident_role (incident_id, role, \"user\", assigned_at, assigned_by, how, "
                          "handover_note) VALUES (:i, 'legal', 'UMALLORY1', '2026-12-25 01:00:00', 'UMALLORY1', "
                          "'assigned', '')"), {"i": iid})
    with store.session() as s:
        problems = verify_incident(s, iid).problems
    assert any("incident_role row" in p and "never recorded on the chain" in p for p in problems), problems


def test_the_met_outcome_comes_from_the_chain(store, clock, world, key):
    """Setting obligation.notified_at by SQL to after the deadline does not turn "met" into "missed" in the pack;
    the pack says it is not verified and why."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE obligation SET notified_at = '2027-01-30 00:00:00' "
                          "WHERE obligation_id = 'gdpr.authority'"))
    pack = _pack(store, clock, 2)
    gdpr = next(o for o in pack["obligations"] if o["obligation"] == "gdpr.authority")
    # GDPR Art. 33(1): 72 hours after awareness (2026-12-25 01:00 UTC) -> due 2026-12-28 01:00 UTC; notified
    # 30 hours after awareness -> met.
    assert (gdpr["due_at"], gdpr["notified_at"], gdpr["outcome"]) == (
        "2026-12-28T01:00:00+00:00", "2026-12-26T07:00:00+00:00", "met")
    assert any("notified_at" in p for p in pack["audit"]["problems"])
