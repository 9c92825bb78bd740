"""The shipped labor profiles as written in config/labor/: the parameters and exceptions the research gives.

Expected values are worked out by hand from the rule and its source in the comments.
"""

from __future__ import annotations

from datetime import datetime

from bot.oncall.history import EngagementHistory
from bot.oncall.planner import ExceptionRequest, plan_pages
from tests.oncall.conftest import one_rotation, person, site
from tests.oncall.helpers import local
from tests.oncall.test_shipped_config import shipped  # noqa: F401  (module fixture)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_german_worker_paged_under_arbzg_notfall_not_the_directive(shipped):  # noqa: F811
    # TU 2026-12-22 02:00 Berlin: anna (Munich, on call from MO 21 Dec) ended a call-out at 01:00, so ArbZG §5(1)
    # restarts her 11 h rest until 12:00. de-arbzg extends eu-wtd, so two exceptions fit a sev1 rest block: the
    # Directive's art. 17 "emergency" and ArbZG §14 "notfall". For a German worker the national one applies
    # (the Directive binds states, ArbZG binds the employer): notfall, cited as ArbZG §14.
    history = EngagementHistory.of([("anna", at("2026-12-22T00:00:00+01:00"), at("2026-12-22T01:00:00+01:00"))])
    skipped = plan_pages(shipped, "platform", at("2026-12-22T02:00:00+01:00"), "sev1", history=history).skipped
    assert skipped[0].waivable_by[0] == "notfall"
    plan = plan_pages(shipped, "platform", at("2026-12-22T02:00:00+01:00"), "sev1", history=history,
                      exception=ExceptionRequest("U0KATRIN1", "payments database down"))
    [used] = plan.exceptions_used
    assert (used.person, used.exception, used.citation) == ("anna", "notfall", "ArbZG §14(1), (3)")
    assert used.rules_waived == ["min_daily_rest"] and used.compensatory_rest_hours == 11


def test_arbzg_it_exemption_on_a_sunday_pages_with_the_weekday_condition(shipped):  # noqa: F811
    # SU 2026-12-20 02:00 Berlin: ines (Lisbon) holds platform that week (rotation anna from 21 Dec, one week each,
    # so 14 Dec = ines), and she is rostered, so Portugal's contact ban does not cover her. Level 2 is anna
    # (Munich): ArbZG §9 forbids Sunday work, §10(1) Nr. 14 allows the upkeep of computer systems only "if the
    # work cannot be done on weekdays": she is paged, with that condition on the page to be recorded.
    plan = plan_pages(shipped, "platform", at("2026-12-20T02:00:00+01:00"), "sev2")
    anna = next(s for s in plan.plan if s.person == "anna")
    assert any(n.startswith("Sunday: allowed for it_systems_continuity only if the work cannot wait for a weekday")
               and "ArbZG §9, §10(1) Nr. 14" in n for n in anna.notes)
    assert [s for s in plan.skipped if s.person == "anna"] == []


def portugal(write_config):
    # anna holds ops (from MO 2026-03-02), bea is her first deputy (both rostered), cara is neither.
    people = [person(p, f"U0{p.upper():0<7}"[:9], site="lisbon") for p in ("anna", "bea", "cara", "boss")]
    policy = {"id": "esc", "fallback": "boss", "levels": [{"targets": [{"person": "cara"}], "ack_timeout": "5m"}]}
    rotas = one_rotation(["anna", "bea"])
    rotas["escalation_policies"] = [policy]
    return write_config(people={"sites": [site("lisbon", "Europe/Lisbon", "pt-ct", holidays={"country": "PT"})],
                                "people": people}, rotas=rotas, labor=[], shipped_labor=True)


def test_portugal_contact_ban_yields_only_to_force_majeure_and_rest_is_owed(write_config):
    config = portugal(write_config)
    night = local("2026-03-04 02:00", "Europe/Lisbon")  # a Wednesday night, outside cara's 09:00-17:00
    # CT art. 199.º-A: no employer contact during rest; cara is not rostered, so she is at rest: skipped.
    plan = plan_pages(config, "esc", night, "sev1")
    [skip] = [s for s in plan.skipped if s.person == "cara"]
    assert (skip.reason_code, skip.waivable_by) == ("contact_forbidden", ["force_majeure"])
    # The inherited EU "emergency" (art. 17) waives rest rules, not the contact ban: still skipped.
    emergency = ExceptionRequest("U0BOSS000", "outage", exception_id="emergency")
    assert [s.person for s in plan_pages(config, "esc", night, "sev1", exception=emergency).plan] == ["boss"]
    # force majeure for sev2: the exception names sev1 and security only -> not used.
    force = ExceptionRequest("U0BOSS000", "data centre flooded", exception_id="force_majeure")
    assert [s.person for s in plan_pages(config, "esc", night, "sev2", exception=force).plan] == ["boss"]
    # force majeure for sev1: cara is paged; the rest it interrupts is owed: "equivalent" = PT's 11 h daily rest.
    plan = plan_pages(config, "esc", night, "sev1", exception=force)
    [used] = plan.exceptions_used
    assert (plan.plan[0].person, used.exception, used.justification) == ("cara", "force_majeure", "data centre flooded")
    assert used.rules_waived == ["contact_window"] and used.compensatory_rest_hours == 11


def standby_issues(write_config, participants, rule):
    profile = {"id": "base", "rules": [{"kind": "leave", "cite": "TEST leave"}, rule]}
    people = [person(p, f"U0{p.upper():0<7}"[:9]) for p in ("anna", "bea", "boss")]
    rotas = one_rotation(participants)
    rotas["compliance"]["days"] = 28
    return write_config(people={"sites": [site("munich", "Europe/Berlin")], "people": people}, rotas=rotas,
                        labor=[profile], expect_valid=False)


def test_consignatie_at_most_14_days_of_standby_per_28(write_config):
    rule = {"kind": "max_standby_days_in_period", "days": 14, "per_days": 28, "cite": "Atb consignatie"}
    # anna and bea alternate weekly from MO 2026-03-02 09:00; horizon 03-02 00:00 .. 03-30 00:00 (28 days).
    # anna: 03-02 09:00 -> 03-09 09:00 and 03-16 09:00 -> 03-23 09:00 = 2 x 168 h = 336 h = 14 x 24 h: allowed.
    config, issues = standby_issues(write_config, ["anna", "bea"], rule)
    assert config is not None and [i for i in issues if "max_standby_days_in_period" in i.message] == []
    # anna alone is on call all the time: the 28 local days 03-02 00:00 CET -> 03-30 00:00 CEST are 28 x 24 h
    # minus the hour lost on 29 March (counted on absolute time) = 671 h, more than 336 h.
    config, issues = standby_issues(write_config, ["anna"], rule)
    assert config is None
    assert any("671 h on call in the 28 days from here, more than 14 x 24 h (Atb consignatie)" in i.message
               for i in issues)


def test_france_astreinte_needs_a_compensation(write_config):
    rule = {"kind": "compensation_required", "cite": "C. trav. L3121-9"}
    # anna's contract in the helper has an on-call agreement but no compensation: error naming the rule.
    config, issues = standby_issues(write_config, ["anna", "bea"], rule)
    assert config is None
    assert any("anna" in i.message and "without a compensation" in i.message and "L3121-9" in i.message
               for i in issues)


def test_leave_is_never_waived_even_under_its_own_rule_id(write_config):
    # The validator refuses "leave" in an exception's waives; a leave rule given its own id ("urlaub") must not
    # open a back door: the config is rejected, saying why.
    profile = {"id": "base", "rules": [{"kind": "leave", "id": "urlaub", "cite": "BUrlG §1"}],
               "exceptions": [{"id": "emergency", "severities": ["sev1"], "waives": ["urlaub"], "cite": "TEST art. 17"}]}
    people = [person("anna", "U0ANNA001"), person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]
    config, issues = write_config(people={"sites": [site("munich", "Europe/Berlin")], "people": people},
                                  rotas=one_rotation(["anna", "bea"]), labor=[profile], expect_valid=False)
    assert config is None
    assert any('"urlaub" is a leave rule' in i.message and "nobody is paged on leave" in i.message for i in issues)
