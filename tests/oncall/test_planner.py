"""The page plan: order, deputies, overrides, escalation timing, exceptions, held pages, nobody eligible."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.oncall.planner import ExceptionRequest, plan_pages
from tests.oncall.helpers import local, team_config

HOLIDAY = {"kind": "sunday_holiday_work", "sundays": False, "holidays": True, "includes_standby": False, "cite": "TEST §9"}
NOTFALL = {"id": "notfall", "severities": ["sev1", "security"], "waives": ["sunday_holiday_work", "min_daily_rest"],
           "compensatory_rest_hours": "equivalent", "cite": "TEST §14"}
BY = {"country": "DE", "subdivision": "BY"}


def test_builtin_policy_order_and_timing(write_config):
    config = team_config(write_config, [], rotation={"ack_timeout": "7m"})
    plan = plan_pages(config, "ops", local("2026-03-04 10:00"), "sev2")
    # built-in policy: on call (anna), her deputy (bea, next in rotation), then the fallback manager,
    # each after the previous level's 7 min ack timeout.
    assert [(s.level, s.person, s.role) for s in plan.plan] == [(1, "anna", "on_call"), (2, "bea", "deputy"), (3, "boss", "person")]
    assert [s.page_at for s in plan.plan] == [local("2026-03-04 10:00"), local("2026-03-04 10:07"), local("2026-03-04 10:14")]
    assert plan.on_call == ["anna"] and plan.fallback_used is False


def test_escalation_policy_levels_and_repeat(write_config):
    policy = {"id": "ops-escalation", "repeat": 2, "fallback": "boss",
              "levels": [{"targets": [{"rotation": "ops"}], "ack_timeout": "5m"},
                         {"targets": [{"deputies_of": "ops"}], "ack_timeout": "10m"},
                         {"targets": [{"person": "boss"}], "ack_timeout": "15m"}]}
    config = team_config(write_config, [], policies=[policy], rotation={"escalation": "ops-escalation"})
    for target in ("ops", "ops-escalation"):  # a rotation with a policy pages by that policy
        plan = plan_pages(config, target, local("2026-03-04 10:00"), "sev2")
        # 10:00 anna, +5 min bea, +10 min boss
        assert [(s.person, s.page_at, s.ack_timeout_minutes) for s in plan.plan] == [
            ("anna", local("2026-03-04 10:00"), 5), ("bea", local("2026-03-04 10:05"), 10), ("boss", local("2026-03-04 10:15"), 15)]
        assert plan.repeat == 2 and plan.levels == 3 and plan.policy == "ops-escalation"


def test_override_wins_and_swap_applies_only_to_the_replaced_person(write_config):
    config = team_config(write_config, [], extra_people=[{"id": "cleo", "slack": "U0CLEO001", "site": "munich",
                                                          "contract": {"oncall_agreement": True}}],
                         overrides=[{"rotation": "ops", "person": "cleo", "from": "2026-03-04 08:00", "to": "2026-03-04 20:00"},
                                    {"rotation": "ops", "person": "cleo", "replaces": "anna",
                                     "from": "2026-03-10 00:00", "to": "2026-03-11 00:00"}])
    # WE 2026-03-04 10:00: the override (a higher layer) beats the rotation's anna.
    assert plan_pages(config, "ops", local("2026-03-04 10:00"), "sev2").plan[0].person == "cleo"
    # at 20:00 the override has ended: anna again
    assert plan_pages(config, "ops", local("2026-03-04 20:00"), "sev2").plan[0].person == "anna"
    # TU 2026-03-10 is bea's week; the swap replaces only anna, so bea stays on call.
    assert plan_pages(config, "ops", local("2026-03-10 10:00"), "sev2").plan[0].person == "bea"


def test_explicit_deputy_list(write_config):
    away = {"leave": [{"from": "2026-03-16", "to": "2026-03-20"}]}
    config = team_config(write_config, [], rotation={"deputies": ["boss", "bea"]}, people_extra={"anna": away, "boss": away})
    # WE 2026-03-18: anna (rostered) and boss (first listed deputy) are on leave; the list is walked in order.
    plan = plan_pages(config, "ops", local("2026-03-18 10:00"), "sev2")
    assert [s.person for s in plan.skipped] == ["anna", "boss"]
    assert (plan.plan[0].person, plan.plan[0].deputy_for) == ("bea", "anna")


def test_nobody_eligible_pages_the_fallback_loudly(write_config):
    config = team_config(write_config, [HOLIDAY], holidays=BY)
    plan = plan_pages(config, "ops", local("2026-01-06 10:00"), "sev2")
    # everyone works in Bavaria and Epiphany forbids call-outs: the fallback is paged despite the rule.
    assert plan.fallback_used
    assert [(s.person, s.role) for s in plan.plan] == [("boss", "fallback")]
    assert plan.warnings[0].startswith("NOBODY ELIGIBLE") and "boss" in plan.warnings[0]
    assert "TEST §9" in plan.plan[0].notes[0]
    assert plan.to_json()["fallback_used"] is True


def test_emergency_exception_only_for_named_severities_and_recorded(write_config):
    config = team_config(write_config, [HOLIDAY], holidays=BY, exceptions=[NOTFALL])
    request = ExceptionRequest(declared_by="boss", justification="payments down for all customers")
    # sev2 is not named by the exception: anna is skipped even though an exception was declared.
    sev2 = plan_pages(config, "ops", local("2026-01-06 10:00"), "sev2", exception=request)
    assert sev2.exceptions_used == [] and "anna" in {s.person for s in sev2.skipped}
    # sev1 without a declaration: skipped, and the plan says which exception could be declared.
    sev1 = plan_pages(config, "ops", local("2026-01-06 10:00"), "sev1")
    assert sev1.exceptions_available == ["notfall"] and sev1.skipped[0].waivable_by == ["notfall"]
    # sev1 declared: anna paged under it, justification and owed rest recorded in the plan.
    sev1 = plan_pages(config, "ops", local("2026-01-06 10:00"), "sev1", exception=request)
    used = sev1.exceptions_used[0]
    assert (sev1.plan[0].person, sev1.plan[0].exception) == ("anna", "notfall")
    assert (used.person, used.justification, used.declared_by, used.citation) == (
        "anna", "payments down for all customers", "boss", "TEST §14")
    assert used.rules_waived == ["sunday_holiday_work"]
    # "equivalent" with no rest rule blocking -> the default 11 h daily rest is owed
    assert used.compensatory_rest_hours == 11.0


def test_exception_id_must_match(write_config):
    config = team_config(write_config, [HOLIDAY], holidays=BY, exceptions=[NOTFALL])
    wrong = ExceptionRequest("boss", "outage", exception_id="force_majeure")
    plan = plan_pages(config, "ops", local("2026-01-06 10:00"), "sev1", exception=wrong)
    assert plan.exceptions_used == [] and plan.fallback_used


def test_low_urgency_outside_working_hours_is_held(write_config):
    config = team_config(write_config, [])
    # WE 2026-03-04 22:00 Berlin, low urgency: anna works MO-FR 09:00-17:00 -> held until TH 09:00.
    plan = plan_pages(config, "ops", local("2026-03-04 22:00"), "sev3", urgency="low")
    assert plan.plan[0].held and plan.plan[0].page_at == local("2026-03-05 09:00")
    assert plan.to_json()["held"] == [{"person": "anna", "page_at": "2026-03-05T08:00:00Z"}]
    # the next level waits for the held page plus its ack timeout (5 min): 09:05
    assert plan.plan[1].page_at == local("2026-03-05 09:05")
    # high urgency at the same moment goes out now
    assert plan_pages(config, "ops", local("2026-03-04 22:00"), "sev1").plan[0].page_at == local("2026-03-04 22:00")
    # low urgency inside working hours is not held
    assert not plan_pages(config, "ops", local("2026-03-05 10:00"), "sev3", urgency="low").plan[0].held


def test_held_over_a_weekend_and_a_company_closure(write_config):
    config = team_config(write_config, [])
    # FR 2026-03-06 18:00 -> next working hours MO 2026-03-09 09:00
    plan = plan_pages(config, "ops", local("2026-03-06 18:00"), "sev4", urgency="low")
    assert plan.plan[0].page_at == local("2026-03-09 09:00")
    # with the site closed on MO 2026-03-09 the page waits until TU 09:00
    config = team_config(write_config, [], closures=[{"date": "2026-03-09", "name": "office move"}])
    plan = plan_pages(config, "ops", local("2026-03-06 18:00"), "sev4", urgency="low")
    assert plan.plan[0].page_at == local("2026-03-10 09:00")


def test_json_shape_is_stable(write_config):
    config = team_config(write_config, [HOLIDAY], holidays=BY)
    data = plan_pages(config, "ops", local("2026-01-06 10:00"), "sev2").to_json()
    assert {"rota", "at", "on_call", "plan", "skipped", "exceptions_used", "fallback_used", "held", "warnings"} <= set(data)
    assert data["at"] == "2026-01-06T09:00:00Z" and data["rota"] == "ops" and data["on_call"] == ["anna"]
    assert {"level", "person", "slack_user", "ack_timeout_minutes", "page_at"} <= set(data["plan"][0])
    assert {"person", "reason_code", "reason", "rule", "citation", "until"} <= set(data["skipped"][0])
    assert data["skipped"][0]["until"] == "2026-01-06T23:00:00Z"  # 2026-01-07 00:00 Berlin


def test_unknown_rota_and_bad_urgency(write_config):
    config = team_config(write_config, [])
    with pytest.raises(KeyError, match="unknown rota"):
        plan_pages(config, "nope", local("2026-03-04 10:00"), "sev2")
    with pytest.raises(ValueError, match="urgency"):
        plan_pages(config, "ops", local("2026-03-04 10:00"), "sev2", urgency="urgent")


def test_dst_handoff_stays_at_local_wall_clock(write_config):
    # Europe: the week MO 2026-03-23 09:00 CET -> MO 2026-03-30 09:00 CEST is 167 h long.
    config = team_config(write_config, [], rotation={"start": "2026-03-23"})
    assert plan_pages(config, "ops", local("2026-03-30 08:59"), "sev2").on_call == ["anna"]
    assert plan_pages(config, "ops", local("2026-03-30 09:00"), "sev2").on_call == ["bea"]
    # 09:00 CEST is 07:00 UTC (not 08:00 as it was before the change)
    from bot.oncall.schedule import handoff_at
    from bot.oncall.team import team_of

    rot = team_of(config).rotations["ops"]
    assert handoff_at(rot, 1) - handoff_at(rot, 0) == timedelta(hours=167)


def test_dst_us_fall_back_handoff(write_config):
    # US: MO 2026-10-26 09:00 PDT -> MO 2026-11-02 09:00 PST is 169 h long.
    config = team_config(write_config, [], zone="America/Los_Angeles", rotation={"start": "2026-10-26"})
    la = "America/Los_Angeles"
    assert plan_pages(config, "ops", local("2026-11-02 08:59", la), "sev2").on_call == ["anna"]
    assert plan_pages(config, "ops", local("2026-11-02 09:00", la), "sev2").on_call == ["bea"]
    from bot.oncall.schedule import handoff_at
    from bot.oncall.team import team_of

    rot = team_of(config).rotations["ops"]
    assert handoff_at(rot, 1) - handoff_at(rot, 0) == timedelta(hours=169)


def test_working_hours_across_dst_held_release(write_config):
    # Held page on SA 2026-03-28 22:00 CET (low urgency) is released MO 2026-03-30 09:00 CEST = 07:00 UTC.
    config = team_config(write_config, [], rotation={"start": "2026-03-23"})
    plan = plan_pages(config, "ops", local("2026-03-28 22:00"), "sev3", urgency="low")
    assert plan.plan[0].page_at.isoformat() == "2026-03-30T07:00:00+00:00"


def test_exception_request_needs_a_justification():
    with pytest.raises(ValueError, match="justification"):
        ExceptionRequest(declared_by="boss", justification="  ")
    with pytest.raises(ValueError, match="declared_by"):
        ExceptionRequest(declared_by="", justification="outage")
