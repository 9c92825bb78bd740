"""Per-incident obligations in the store: creation, recomputation, chained stages, audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.audit.trail import events, verify_chain
from bot.deadlines.tables import Obligation
from bot.deadlines.tracker import mark_not_required, mark_notified, open_obligations, recompute
from bot.incidents.tables import Incident
from tests.deadlines.conftest import utc

DORA_FACTS = {"dora_financial_entity": True, "major_ict_incident": True, "dora_entity_type": "insurer",
              "nis2_identified": False, "member_state": "DE", "entity_zone": "Europe/Berlin",
              "clients_financial_interests_affected": False}


def _incident(session, **overrides) -> Incident:
    values = dict(number=1, title="Payment outage", severity="sev1", playbook="sev1", reporter="U0REPORT",
                  declared_at=utc(2026, 3, 2, 8, 0), facts={}, triggers={})
    values.update(overrides)
    incident = Incident(**values)
    session.add(incident)
    session.flush()
    return incident


def _row(session, incident_id, obligation_id) -> Obligation:
    return session.exec(select(Obligation).where(Obligation.incident_id == incident_id,
                                                 Obligation.obligation_id == obligation_id)).one()


def test_recompute_creates_rows_with_due_times_and_audit_events(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts=dict(DORA_FACTS),
                        # Tue 2026-03-03 10:00 CET aware, classified 12:00 CET
                        triggers={"aware": "2026-03-03T09:00:00Z", "classified_major": "2026-03-03T11:00:00Z"})
        rows = recompute(s, shipped_config, inc, regimes=["dora"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 11, 5))
        assert {r.obligation_id for r in rows} == {"dora.initial", "dora.intermediate", "dora.final", "dora.clients"}
        initial = _row(s, inc.id, "dora.initial")
        # earliest of classified + 4 h (15:00 UTC) and aware + 24 h (2026-03-04 09:00 UTC): 15:00 UTC, a Tuesday
        assert (initial.status, initial.due_at, initial.estimated) == ("open", utc(2026, 3, 3, 15, 0), False)
        intermediate = _row(s, inc.id, "dora.intermediate")
        # not submitted: estimated from the initial's due time + 72 h = Fri 2026-03-06 15:00 UTC
        assert (intermediate.due_at, intermediate.estimated) == (utc(2026, 3, 6, 15, 0), True)
        assert _row(s, inc.id, "dora.clients").status == "not_applicable"
        kinds = [e.kind for e in events(s, inc.id)]
        assert kinds.count("obligation.added") == 4
        assert all(e.actor == "U0LEAD" for e in events(s, inc.id))


def test_chained_stage_before_and_after_submission(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts=dict(DORA_FACTS),
                        triggers={"aware": "2026-03-03T09:00:00Z", "classified_major": "2026-03-03T11:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["dora"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 11, 5))
        initial = _row(s, inc.id, "dora.initial")
        # submitted at 13:30 UTC, earlier than its 15:00 UTC due time
        mark_notified(s, initial.id, incident=inc, by="U0LEGAL", submitted_at=utc(2026, 3, 3, 13, 30), reference="BAFIN-1",
                      evidence_url="https://example.org/receipt", at=utc(2026, 3, 3, 13, 35))
        intermediate = _row(s, inc.id, "dora.intermediate")
        # now anchored on the actual submission: 13:30 UTC + 72 h = Fri 2026-03-06 13:30 UTC, no longer estimated
        assert (intermediate.due_at, intermediate.estimated) == (utc(2026, 3, 6, 13, 30), False)
        final = _row(s, inc.id, "dora.final")
        # final stays estimated: 1 month after the intermediate's (new) due time, same local time in Berlin:
        # Fri 2026-03-06 14:30 CET -> Mon 2026-04-06 14:30 CEST = 12:30 UTC (a working day; Easter Monday is 2026-04-06!)
        # Easter Monday 2026-04-06 is a German public holiday -> an insurer rolls to Tue 2026-04-07 12:00 CEST = 10:00 UTC
        assert (final.due_at, final.estimated) == (utc(2026, 4, 7, 10, 0), True)
        kinds = [e.kind for e in events(s, inc.id)]
        assert "obligation.notified" in kinds and kinds.count("obligation.rescheduled") == 2
        assert verify_chain(s, inc.id).ok


def test_not_required_needs_a_reason_and_is_recorded(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts={"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller",
                                  "risk_level": "risk"}, triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        row = _row(s, inc.id, "gdpr.authority")
        with pytest.raises(ValueError, match="reason is required"):
            mark_not_required(s, row.id, by="U0DPO", reason="  ", at=utc(2026, 3, 3, 10, 0))
        mark_not_required(s, row.id, by="U0DPO", reason="encrypted laptop, key not compromised", at=utc(2026, 3, 3, 10, 0))
        assert (row.status, row.not_required_by) == ("not_required", "U0DPO")
        last = events(s, inc.id)[-1]
        assert last.kind == "obligation.not_required" and "encrypted laptop" in last.summary
        assert row.id not in {r.id for r in open_obligations(s, inc.id)}


def test_downgrade_keeps_started_obligations_open(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts={"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller",
                                  "risk_level": "high"}, triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        inc.facts = {**inc.facts, "personal_data_breach": False}
        s.add(inc)
        recompute(s, shipped_config, inc, regimes=[], actor="U0LEAD", why="severity lowered", at=utc(2026, 3, 3, 12, 0))
        assert _row(s, inc.id, "gdpr.authority").status == "open"  # regime dropped: row kept as it was
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="U0LEAD", why="no personal data after all",
                  at=utc(2026, 3, 3, 12, 5))
        row = _row(s, inc.id, "gdpr.authority")
        assert row.status == "open" and row.due_at == utc(2026, 3, 6, 9, 0)  # aware + 72 h, unchanged
        assert "stays open" in row.reason
        assert events(s, inc.id)[-1].data["why"] == "no personal data after all"


def test_marking_a_future_submission_is_refused(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts={"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller",
                                  "risk_level": "high"}, triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        row = _row(s, inc.id, "gdpr.authority")
        with pytest.raises(ValueError, match="in the future"):
            mark_notified(s, row.id, incident=inc, by="U0DPO", submitted_at=utc(2026, 3, 3, 12), reference="", evidence_url="",
                          at=utc(2026, 3, 3, 10))
        assert row.status == "open"


def test_open_obligations_are_ordered_by_due_time(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts={"nis2_entity": True, "significant_incident": True, "nis2_trust_service_provider": False},
                        triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["nis2"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        ids = [r.obligation_id for r in open_obligations(s, inc.id)]
        # early warning (+24 h) before notification (+72 h) before final (estimated, +1 month); qualitative last
        assert ids[:3] == ["nis2.early_warning", "nis2.notification", "nis2.final"]
        assert set(ids[3:]) == {"nis2.intermediate", "nis2.service_recipients"}


def test_recompute_is_quiet_when_nothing_changed(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts={"nis2_entity": True, "significant_incident": True}, triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["nis2"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        count = len(events(s, inc.id))
        again = recompute(s, shipped_config, inc, regimes=["nis2"], actor="U0LEAD", why="again", at=utc(2026, 3, 3, 9, 6))
        assert again == [] and len(events(s, inc.id)) == count
        inc.triggers = {"aware": "2026-03-03T07:00:00Z"}  # awareness moved two hours earlier
        s.add(inc)
        changed = recompute(s, shipped_config, inc, regimes=["nis2"], actor="U0LEAD", why="aware corrected",
                            at=utc(2026, 3, 3, 9, 10))
        early = _row(s, inc.id, "nis2.early_warning")
        assert early in changed and early.due_at == utc(2026, 3, 3, 7, 0) + timedelta(hours=24)


def test_a_regime_removed_from_the_catalog_leaves_its_rows_alone(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, facts={"cert_in_reportable_incident": True}, triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["cert_in"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        changed = recompute(s, shipped_config, inc, regimes=["cert_in", "retired_regime"], actor="U0LEAD",
                            why="fact changed", at=utc(2026, 3, 3, 9, 10))
        assert changed == []
        # 09:00 UTC + 6 h
        assert _row(s, inc.id, "cert_in.report").due_at == utc(2026, 3, 3, 15, 0)


def test_snapshot_round_trips_conditions_with_aliases(store, shipped_config):
    from bot.deadlines.catalog import ObligationSpec, find_obligation

    with store.session() as s:
        inc = _incident(s, facts=dict(DORA_FACTS), triggers={"aware": "2026-03-03T09:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["dora", "nis2"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 9, 5))
        for row in s.exec(select(Obligation)).all():
            _, spec = find_obligation(shipped_config, row.obligation_id)
            assert ObligationSpec.model_validate(row.spec["obligation"]) == spec


def test_new_rows_and_their_events_follow_the_catalog_order(store, shipped_config):
    """The rows of one recompute are flushed together and their events appended together: still one event per
    row, naming its row, rows and events both in the order of the regime's obligations."""
    from bot.deadlines.catalog import regimes as catalog_regimes

    with store.session() as s:
        inc = _incident(s, facts=dict(DORA_FACTS),
                        triggers={"aware": "2026-03-03T09:00:00Z", "classified_major": "2026-03-03T11:00:00Z"})
        rows = recompute(s, shipped_config, inc, regimes=["dora"], actor="U0LEAD", why="declared", at=utc(2026, 3, 3, 11, 5))
        order = [spec.id for spec in catalog_regimes(shipped_config)["dora"].obligations]
        assert [r.obligation_id for r in rows] == order
        assert [r.id for r in rows] == sorted(r.id for r in rows)
        added = [e for e in events(s, inc.id) if e.kind == "obligation.added"]
        assert [(e.data["obligation"], e.data["obligation_row"]) for e in added] == [(r.obligation_id, r.id) for r in rows]
        assert [e.seq for e in added] == list(range(added[0].seq, added[0].seq + len(added)))
        assert verify_chain(s, inc.id).ok
