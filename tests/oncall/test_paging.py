"""Recording pages in the store: plan -> pages, ack -> call-out, end -> rest, escalation, exceptions on the timeline."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.audit.trail import events, verify_chain
from bot.incidents.tables import Incident
from bot.oncall.history import load_history
from bot.oncall.paging import acknowledge, cancel_pending, decline, escalate, record_callout_end, record_plan
from bot.oncall.planner import ExceptionRequest, plan_pages
from bot.oncall.tables import Engagement, ExceptionUse, Page
from tests.oncall.helpers import local, team_config

REST = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "ArbZG §5(1)"}
HOLIDAY = {"kind": "sunday_holiday_work", "sundays": False, "holidays": True, "includes_standby": False, "cite": "TEST §9"}
NOTFALL = {"id": "notfall", "severities": ["sev1"], "waives": ["sunday_holiday_work"], "compensatory_rest_hours": 11,
           "cite": "ArbZG §14"}


def incident(session, at, severity="sev2") -> int:
    row = Incident(number=1, title="checkout errors", severity=severity, playbook=severity, reporter="U0BOSS001",
                   declared_at=at)
    session.add(row)
    session.flush()
    return row.id


def test_plan_ack_callout_end_then_rest_blocks_the_next_page(store, write_config):
    config = team_config(write_config, [REST])
    at = local("2026-03-03 19:30")
    with store.session() as s:
        inc = incident(s, at)
        pages = record_plan(s, incident_id=inc, plan=plan_pages(config, "ops", at, "sev2"), actor="U0BOSS001", at=at)
        # only the first level is recorded; later levels come from escalate()
        assert [(p.person_id, p.level, p.status) for p in pages] == [("anna", 1, "planned")]
        acknowledge(s, pages[0].id, by="U0ANNA001", at=at + timedelta(minutes=2))
        record_callout_end(s, "anna", inc, local("2026-03-03 20:40"))
    with store.session() as s:
        engagement = s.exec(select(Engagement)).one()
        assert (engagement.start, engagement.end) == (local("2026-03-03 19:32"), local("2026-03-03 20:40"))
        # the stored call-out feeds the next plan: 20:40 + 11 h = 07:40, so at 07:00 anna is resting
        history = load_history(s, ["anna", "bea"], local("2026-03-04 07:00"))
        plan = plan_pages(config, "ops", local("2026-03-04 07:00"), "sev2", history=history)
        assert plan.skipped[0].person == "anna" and plan.skipped[0].until == local("2026-03-04 07:40")
        kinds = [e.kind for e in events(s, inc)]
        assert kinds == ["page.planned", "page.acked", "oncall.callout_ended"]
        assert verify_chain(s, inc).ok


def test_escalate_pages_the_next_level_then_the_fallback(store, write_config):
    config = team_config(write_config, [])
    at = local("2026-03-04 10:00")
    with store.session() as s:
        inc = incident(s, at)
        [first] = record_plan(s, incident_id=inc, plan=plan_pages(config, "ops", at, "sev2"), actor="system", at=at)
        # built-in policy: anna, then deputy bea, then the fallback boss
        [second] = escalate(s, config, first.id, at=at + timedelta(minutes=5))
        assert (second.person_id, second.level, second.role) == ("bea", 2, "deputy")
        assert s.get(Page, first.id).status == "escalated"
        # escalating the same page twice does nothing (already escalated past it)
        assert escalate(s, config, first.id, at=at + timedelta(minutes=6)) == []
        [third] = escalate(s, config, second.id, at=at + timedelta(minutes=10))
        assert third.person_id == "boss" and third.level == 3
        # past the last level with no repeat: the fallback manager was already paged, nothing more
        assert escalate(s, config, third.id, at=at + timedelta(minutes=15)) == []
        # an acked page never escalates
        acknowledge(s, third.id, by="U0BOSS001", at=at + timedelta(minutes=16))
        assert escalate(s, config, third.id, at=at + timedelta(minutes=20)) == []


def test_decline_then_escalate_and_cancel(store, write_config):
    config = team_config(write_config, [])
    at = local("2026-03-04 10:00")
    with store.session() as s:
        inc = incident(s, at)
        [first] = record_plan(s, incident_id=inc, plan=plan_pages(config, "ops", at, "sev2"), actor="system", at=at)
        declined = decline(s, first.id, by="U0ANNA001", at=at, reason="at the dentist")
        assert declined.status == "declined" and "at the dentist" in declined.reason
        [nxt] = escalate(s, config, first.id, at=at)
        assert nxt.person_id == "bea"
        assert [p.id for p in cancel_pending(s, inc, by="system", at=at)] == [nxt.id]
        assert s.get(Page, nxt.id).status == "cancelled"


def test_exception_use_is_recorded_with_justification_and_rest_owed(store, write_config):
    config = team_config(write_config, [HOLIDAY], holidays={"country": "DE", "subdivision": "BY"}, exceptions=[NOTFALL])
    at = local("2026-01-06 03:00")  # Epiphany in Bavaria
    request = ExceptionRequest(declared_by="U0BOSS001", justification="all payments failing")
    with store.session() as s:
        inc = incident(s, at, "sev1")
        plan = plan_pages(config, "ops", at, "sev1", exception=request)
        [page] = record_plan(s, incident_id=inc, plan=plan, actor="U0BOSS001", at=at)
        assert (page.person_id, page.exception_id) == ("anna", "notfall")
        acknowledge(s, page.id, by="U0ANNA001", at=at)
        record_callout_end(s, "anna", inc, local("2026-01-06 05:00"))
    with store.session() as s:
        use = s.exec(select(ExceptionUse)).one()
        assert (use.person_id, use.exception_id, use.justification, use.declared_by) == (
            "anna", "notfall", "all payments failing", "U0BOSS001")
        assert use.rules_waived == ["sunday_holiday_work"] and use.citation == "ArbZG §14"
        # 11 h owed from the end of the call-out at 05:00 -> 16:00 Berlin
        assert use.compensatory_rest_until == local("2026-01-06 16:00")
        timeline = events(s, inc)
        used = next(e for e in timeline if e.kind == "oncall.exception_used")
        assert "all payments failing" in used.summary and used.actor == "U0BOSS001"
        # escalation re-uses the declared exception for the next level
        assert verify_chain(s, inc).ok


def test_held_page_is_recorded_as_held(store, write_config):
    config = team_config(write_config, [])
    at = local("2026-03-04 22:00")
    with store.session() as s:
        [page] = record_plan(s, incident_id=None, plan=plan_pages(config, "ops", at, "sev3", urgency="low"),
                             actor="system", at=at)
        assert page.status == "held" and page.page_at == local("2026-03-05 09:00")


def test_repeat_runs_the_levels_again(store, write_config):
    policy = {"id": "ops-escalation", "repeat": 1, "fallback": "boss",
              "levels": [{"targets": [{"rotation": "ops"}], "ack_timeout": "5m"},
                         {"targets": [{"deputies_of": "ops"}], "ack_timeout": "5m"}]}
    config = team_config(write_config, [], policies=[policy])
    at = local("2026-03-04 10:00")
    with store.session() as s:
        inc = incident(s, at)
        [p1] = record_plan(s, incident_id=inc, plan=plan_pages(config, "ops-escalation", at, "sev2"), actor="system", at=at)
        [p2] = escalate(s, config, p1.id, at=at + timedelta(minutes=5))
        # two levels, repeat 1: level 3 is level 1 again (anna), level 4 is level 2 again (bea)
        [p3] = escalate(s, config, p2.id, at=at + timedelta(minutes=10))
        [p4] = escalate(s, config, p3.id, at=at + timedelta(minutes=15))
        assert [(p.level, p.person_id) for p in (p1, p2, p3, p4)] == [(1, "anna"), (2, "bea"), (3, "anna"), (4, "bea")]
        # repeats used up: the fallback manager is paged, loudly on the timeline
        [p5] = escalate(s, config, p4.id, at=at + timedelta(minutes=20))
        assert (p5.person_id, p5.role) == ("boss", "fallback")
        assert events(s, inc)[-2].kind == "page.escalation_exhausted"
