"""Retention purge: free text of long-closed incidents is redacted and the hash chain still verifies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.purge.retention import purge
from bot.audit.trail import REDACTED, verify_chain
from bot.audit.unit_time import happens_at
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, BOB, REPORTER, load, write_config

SECRET = "password123 found in the export of jane.doe@example.org"


def _closed_incident(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg"))  # settings: retention_days 30
    svc = IncidentService(store, lambda: config, clock)
    svc.declare("major", "Jane Doe's account was taken over", actor=REPORTER, key="d", description=SECRET)
    svc.add_note(1, SECRET, actor=REPORTER, key="n")
    svc.assign_role(1, "legal", ALICE, actor=REPORTER, key="r1")
    svc.assign_role(1, "comms_lead", BOB, actor=REPORTER, key="r2")
    svc.hand_over_role(1, "comms_lead", ALICE, actor=BOB, key="h", note=SECRET)
    svc.set_trigger(1, "aware", clock.now(), actor=ALICE, key="t1")
    svc.request_trigger_change(1, "aware", clock.now() - timedelta(hours=1), actor=ALICE, key="t2", reason=SECRET)
    svc.close(1, SECRET, actor=REPORTER, key="c")
    svc.declare("minor", "still open", actor=REPORTER, key="d2")
    return svc, config


def _run(store, clock, **kw):
    with store.session() as s:
        return purge(s, retention_days=30, now=clock.now(), **kw)


def test_nothing_is_purged_within_retention(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    clock.advance(days=29, hours=23)
    assert _run(store, clock).incidents == []


def test_dry_run_reports_and_changes_nothing(store, clock, tmp_path):
    svc, _ = _closed_incident(store, clock, tmp_path)
    before = svc.timeline(1)
    clock.advance(days=31)
    with store.session() as s:
        report = purge(s, retention_days=30, now=clock.now(), dry_run=True)
        s.rollback()
    assert [i.number for i in report.incidents] == [1] and report.incidents[0].redacted_seqs
    assert svc.timeline(1) == before and svc.get(1).title.startswith("Jane Doe")


def test_purge_redacts_free_text_and_keeps_chain_verifiable(store, clock, tmp_path):
    svc, _ = _closed_incident(store, clock, tmp_path)
    clock.advance(days=31)
    report = _run(store, clock)
    assert [i.number for i in report.incidents] == [1]  # INC-2 is still open: untouched
    inc = svc.get(1)
    assert (inc.title, inc.description, inc.summary) == (REDACTED, REDACTED, REDACTED)
    timeline = svc.timeline(1)
    assert SECRET not in repr(timeline) and "Jane" not in repr(timeline)
    purged = timeline[-1]
    assert purged.kind == "audit.purged" and purged.data["redacted_seqs"] == report.incidents[0].redacted_seqs
    # Who did what and when is still there.
    assert [e.kind for e in timeline][:2] == ["incident.declared", "role.assigned"]
    assert all(e.actor for e in timeline)
    with store.session() as s:
        check = verify_chain(s, inc.id)
    assert check.ok, check.problems
    assert svc.get(2).title == "still open"
    with store.engine.connect() as conn:
        notes = conn.execute(text("SELECT handover_note FROM incident_role WHERE handover_note != ''")).scalars().all()
        reasons = conn.execute(text("SELECT reason FROM trigger_approval")).scalars().all()
    assert notes == [REDACTED] and reasons == [REDACTED]
    # Stored request results repeat titles and texts: those of the closed incident are gone.
    assert report.request_records == 9  # declare, note, 2 assigns, hand-over, trigger, request, close, declare INC-2
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT result FROM idempotency_record")).scalars().all()
    assert stored == [] and SECRET not in repr(stored)
    again = _run(store, clock)
    assert again.incidents == [] and again.request_records == 0  # once only


def test_tampering_after_purge_is_still_detected(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    clock.advance(days=31)
    report = _run(store, clock)
    kept = min(set(range(1, 40)) - set(report.incidents[0].redacted_seqs))
    with store.engine.begin() as conn:
        # Marking an event redacted that the purge did not record, and rewriting its data.
        conn.execute(text("UPDATE timeline_event SET redacted = :t WHERE seq = :seq AND chain = 'incident:1'"),
                     {"seq": kept, "t": True})
    with store.session() as s:
        check = verify_chain(s, 1)
    assert any(f"#{kept}" in p and "no purge event records it" in p for p in check.problems)


def test_purge_redacts_a_typed_decline_reason_but_keeps_why_the_person_was_paged(store, clock, tmp_path):
    from bot.oncall.tables import Page

    svc, _ = _closed_incident(store, clock, tmp_path)
    with store.session() as s:
        happens_at(s, clock.now())
        s.add(Page(incident_id=1, target="platform", level=1, person_id="anna", slack_user="U0ANNA001",
                   status="declined", page_at=clock.now(), created_at=clock.now(),
                   reason=f"on_call; 11 h daily rest respected (ArbZG §5(1)); declined: {SECRET}"))
    clock.advance(timedelta(days=31))
    _run(store, clock)
    with store.session() as s:
        page = s.exec(select(Page).where(Page.incident_id == 1)).one()
    assert page.reason == f"on_call; 11 h daily rest respected (ArbZG §5(1)); declined: {REDACTED}"
