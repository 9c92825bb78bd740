"""Reminder plans and the deadline nudge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from bot.deadlines.reminders import ReminderPolicy, notice_for, plan_for_obligation, reminder_plan
from bot.deadlines.tables import Obligation
from bot.deadlines.tracker import recompute
from bot.incidents.tables import Incident
from tests.deadlines.conftest import utc


def test_default_plan_for_a_72_hour_window():
    start = utc(2026, 3, 2, 10, 0)
    due = start + timedelta(hours=72)  # 2026-03-05 10:00 UTC
    plan = reminder_plan(due, window_start=start, policy=ReminderPolicy())
    got = [(p.at, p.label) for p in plan[:5]]
    # half of 72 h = 36 h after the start = 2026-03-03 22:00; then 24 h, 4 h, 1 h before and at the due time
    assert got == [(utc(2026, 3, 3, 22, 0), "half the window"), (utc(2026, 3, 4, 10, 0), "24 h before"),
                   (utc(2026, 3, 5, 6, 0), "4 h before"), (utc(2026, 3, 5, 9, 0), "1 h before"),
                   (due, "at the deadline")]
    overdue = plan[5:]
    # every 4 h while overdue, 6 times by default: +4 h ... +24 h
    assert [p.at for p in overdue] == [due + timedelta(hours=4 * i) for i in range(1, 7)]
    assert overdue[0].label == "overdue +4 h"
    assert not any(p.internal for p in plan)


def test_offsets_outside_a_short_window_are_dropped():
    start = utc(2026, 3, 2, 10, 0)
    due = start + timedelta(hours=6)  # CERT-In style: 6 h
    plan = reminder_plan(due, window_start=start, policy=ReminderPolicy(overdue_every=None))
    # due 16:00. 24 h before would be before the clock started: dropped. 4 h before = 12:00;
    # 50% = 3 h after the start = 13:00; 1 h before = 15:00; at the deadline 16:00.
    assert [(p.at.hour, p.label) for p in plan] == [(12, "4 h before"), (13, "half the window"), (15, "1 h before"),
                                                    (16, "at the deadline")]


def test_policy_rejects_an_unreadable_offset():
    with pytest.raises(ValidationError, match="expected an offset"):
        ReminderPolicy(offsets=["50%", "soon"])


def _incident(s, facts, triggers):
    inc = Incident(number=7, title="t", severity="sev1", playbook="sev1", reporter="U0REPORT",
                   declared_at=utc(2026, 3, 2), facts=facts, triggers=triggers)
    s.add(inc)
    s.flush()
    return inc


def test_proposed_regime_yields_no_legal_reminders(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"circia_covered_entity": True, "extortion_payment_made": True},
                        {"aware": "2026-03-02T10:00:00Z", "ransom_paid": "2026-03-02T12:00:00Z"})
        rows = recompute(s, shipped_config, inc, regimes=["circia"], actor="system", why="declared", at=utc(2026, 3, 2, 12))
        assert {r.status for r in rows} == {"informational"}
        assert all(not r.legal for r in rows)
        # the time is still shown for information (aware + 72 h), but nothing is scheduled
        covered = next(r for r in rows if r.obligation_id == "circia.covered_incident")
        assert covered.due_at == utc(2026, 3, 5, 10, 0)
        assert all(plan_for_obligation(r) == [] for r in rows)


def test_qualitative_duty_gets_internal_targets_only(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "processor"},
                        {"aware": "2026-03-02T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="system", why="declared", at=utc(2026, 3, 2, 10))
        row = s.exec(select(Obligation).where(Obligation.obligation_id == "gdpr.processor_to_controller")).one()
        plan = plan_for_obligation(row)
        # catalog: internal target 24 h after awareness
        assert [(p.at, p.internal) for p in plan] == [(utc(2026, 3, 3, 10, 0), True)]
        assert "not a legal deadline" in plan[0].label


def test_playbook_policy_overrides_the_default(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"cert_in_reportable_incident": True}, {"aware": "2026-03-02T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["cert_in"], actor="system", why="declared", at=utc(2026, 3, 2, 10))
        row = s.exec(select(Obligation).where(Obligation.obligation_id == "cert_in.report")).one()
        plan = plan_for_obligation(row, playbook_policy=ReminderPolicy(offsets=["2h"], overdue_every=None))
        assert [(p.at, p.label) for p in plan] == [(utc(2026, 3, 2, 14, 0), "2 h before")]  # 16:00 - 2 h


def test_notice_shows_reader_zone_utc_time_left_contents_and_buttons(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller",
                            "risk_level": "high"}, {"aware": "2026-03-02T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="system", why="declared", at=utc(2026, 3, 2, 10))
        row = s.exec(select(Obligation).where(Obligation.obligation_id == "gdpr.authority")).one()
        notice = notice_for(row, "America/New_York", utc(2026, 3, 5, 4, 30))
        text = notice.as_text()
        # due 2026-03-05 10:00 UTC = 05:00 EST (UTC-5, before the US change on 2026-03-08); 5 h 30 min left
        assert "Due Thu 2026-03-05 05:00 EST (America/New_York) = 2026-03-05 10:00 UTC" in text
        assert "due in 5 h 30 min" in notice.title
        assert "likely consequences of the breach" in text
        assert [b.action for b in notice.buttons] == ["obligation.notified", "obligation.snooze", "obligation.not_required"]
        assert {b.value for b in notice.buttons} == {f"obligation:{row.id}"}
        assert "Not legal advice" in notice.footer
        late = notice_for(row, "UTC", utc(2026, 3, 5, 12, 0))
        assert "OVERDUE by 2 h" in late.title


def test_the_rules_own_zone_is_named_only_when_its_clock_shows_another_time(store, shipped_config):
    """Here the GDPR rule is computed in Europe/Brussels (config/regulations/gdpr.yaml `zone`; no entity zone
    recorded). A reader in Paris sees the same wall-clock time (both CET in March before the 29th), so a second
    line would only repeat it; a reader in New York sees 05:00 EST while the rule's clock says 11:00 CET, which
    the line must say."""
    with store.session() as s:
        inc = _incident(s, {"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller",
                            "risk_level": "high"}, {"aware": "2026-03-02T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="system", why="declared", at=utc(2026, 3, 2, 10))
        row = s.exec(select(Obligation).where(Obligation.obligation_id == "gdpr.authority")).one()
        assert row.due_zone == "Europe/Brussels"
        assert "rule is computed in" not in notice_for(row, "Europe/Paris", utc(2026, 3, 4)).as_text()
        # due 2026-03-05 10:00 UTC = 11:00 CET (UTC+1)
        assert ("The rule is computed in Europe/Brussels: Thu 2026-03-05 11:00 CET"
                in notice_for(row, "America/New_York", utc(2026, 3, 4)).as_text())


def test_notice_names_the_facts_still_assumed(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"personal_information_breach": True}, {"discovered": "2026-03-02T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["us_state_tx"], actor="system", why="declared", at=utc(2026, 3, 2, 10))
        row = s.exec(select(Obligation).where(Obligation.obligation_id == "us_state_tx.residents")).one()
        assert row.status == "open" and row.missing_facts == ["residents.TX"]
        text = notice_for(row, "America/Chicago", utc(2026, 3, 2, 11)).as_text()
        assert "Assumed to apply until these facts are known: residents.TX" in text
        # the Texas clock runs from the determination, which is not recorded: no due time yet
        assert row.due_at is None and 'trigger "determined"' in text and "not started" in text
        assert plan_for_obligation(row) == []


def test_consumer_notice_nudge_names_the_notice_required_first(store, shipped_config):
    from bot.deadlines.ordering import open_predecessors

    with store.session() as s:
        inc = _incident(s, {"personal_information_breach": True, "residents": {"MD": 5}},
                        {"discovered": "2026-03-02T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["us_state_md"], actor="system", why="declared", at=utc(2026, 3, 2, 10))
        rows = s.exec(select(Obligation).where(Obligation.incident_id == inc.id)).all()
        residents = next(r for r in rows if r.obligation_id == "us_state_md.residents")
        first = open_predecessors(rows, residents)
        assert [r.obligation_id for r in first] == ["us_state_md.attorney_general"]
        text = notice_for(residents, "America/New_York", utc(2026, 3, 20), tuple(first)).as_text()
        assert "Send only after: us_state_md.attorney_general" in text
        # the AG's own nudge has nothing before it
        ag = next(r for r in rows if r.obligation_id == "us_state_md.attorney_general")
        assert open_predecessors(rows, ag) == []
