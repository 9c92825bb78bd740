"""Each page-time rule kind at its boundary. Expected values are worked out by hand in the comments."""

from __future__ import annotations

from bot.oncall.history import EngagementHistory
from bot.oncall.planner import plan_pages
from tests.oncall.helpers import local, team_config


def first(plan):
    return plan.plan[0]


# --- min_daily_rest ------------------------------------------------------------------------------


def rest_rule(on_interrupt: str, hours: float = 11) -> dict:
    return {"kind": "min_daily_rest", "hours": hours, "on_interrupt": on_interrupt, "cite": "TEST §5"}


def test_daily_rest_restart_boundary_10h59_vs_11h00(write_config):
    config = team_config(write_config, [rest_rule("restart")])
    # anna is on call (week from MO 2026-03-02 09:00). Her call-out ended TU 20:40 Berlin.
    history = EngagementHistory.of([("anna", local("2026-03-03 19:30"), local("2026-03-03 20:40"))])
    # 07:39 next morning is 10 h 59 min after 20:40 -> still inside the restarted 11 h rest (until 07:40).
    plan = plan_pages(config, "ops", local("2026-03-04 07:39"), "sev2", history=history)
    skip = plan.skipped[0]
    assert (skip.person, skip.reason_code, skip.rule, skip.citation) == ("anna", "daily_rest", "min_daily_rest", "TEST §5")
    assert skip.reason == "skipped: 11 h daily rest running until 07:40 Europe/Berlin (TEST §5)"
    assert skip.until == local("2026-03-04 07:40")
    assert (first(plan).person, first(plan).role, first(plan).deputy_for) == ("bea", "deputy", "anna")
    # 07:40 is exactly 11 h 00 min later: rest complete, anna is paged herself.
    plan = plan_pages(config, "ops", local("2026-03-04 07:40"), "sev2", history=history)
    assert plan.skipped == [] and first(plan).person == "anna" and first(plan).role == "on_call"


def test_daily_rest_restart_if_incomplete(write_config):
    config = team_config(write_config, [rest_rule("restart_if_rest_incomplete")])
    # anna works MO-FR 09:00-17:00. Call-out TU 02:00-03:00: only 9 h of rest since MO 17:00 had passed,
    # so a full 11 h rest is due after it: until TU 14:00.
    early = EngagementHistory.of([("anna", local("2026-03-03 02:00"), local("2026-03-03 03:00"))])
    assert plan_pages(config, "ops", local("2026-03-03 13:59"), "sev2", history=early).skipped[0].until == local("2026-03-03 14:00")
    assert first(plan_pages(config, "ops", local("2026-03-03 14:00"), "sev2", history=early)).person == "anna"
    # Call-out TU 04:30-05:30: 11 h 30 min of rest were already complete, no new full rest is owed.
    late = EngagementHistory.of([("anna", local("2026-03-03 04:30"), local("2026-03-03 05:30"))])
    plan = plan_pages(config, "ops", local("2026-03-03 06:00"), "sev2", history=late)
    assert plan.skipped == [] and first(plan).person == "anna"


def test_daily_rest_compensate_pages_with_note_and_ignore_is_silent(write_config):
    history = EngagementHistory.of([("anna", local("2026-03-03 19:30"), local("2026-03-03 20:40"))])
    config = team_config(write_config, [rest_rule("compensate")])
    plan = plan_pages(config, "ops", local("2026-03-04 07:39"), "sev2", history=history)
    # compensate: the page may interrupt the rest; the person is paged and the owed rest is noted.
    assert first(plan).person == "anna" and plan.skipped == []
    assert any("compensatory rest is owed" in n for n in first(plan).notes)


def test_daily_rest_ignore(write_config):
    history = EngagementHistory.of([("anna", local("2026-03-03 19:30"), local("2026-03-03 20:40"))])
    config = team_config(write_config, [rest_rule("ignore")])
    plan = plan_pages(config, "ops", local("2026-03-04 07:39"), "sev2", history=history)
    assert first(plan).person == "anna" and first(plan).notes == []


def test_spain_twelve_hours(write_config):
    history = EngagementHistory.of([("anna", local("2026-03-03 19:30"), local("2026-03-03 20:40"))])
    config = team_config(write_config, [rest_rule("restart", hours=12)])
    # 20:40 + 12 h = 08:40: at 08:39 still resting, at 08:40 free.
    assert plan_pages(config, "ops", local("2026-03-04 08:39"), "sev2", history=history).skipped[0].person == "anna"
    assert plan_pages(config, "ops", local("2026-03-04 08:40"), "sev2", history=history).skipped == []


# --- sunday_holiday_work ---------------------------------------------------------------------------

HOLIDAY_RULE = {"kind": "sunday_holiday_work", "forbid": True, "sundays": False, "holidays": True, "cite": "TEST §9"}


def test_holiday_de_by_epiphany_until_midnight(write_config):
    config = team_config(write_config, [HOLIDAY_RULE], holidays={"country": "DE", "subdivision": "BY"})
    # TU 2026-01-06 is Epiphany, a public holiday in Bavaria; anna is on call that week
    # (2026-01-05 is 8 weeks before the rotation start 2026-03-02, an even offset -> anna).
    plan = plan_pages(config, "ops", local("2026-01-06 23:59"), "sev2")
    assert plan.skipped[0].person == "anna" and plan.skipped[0].reason_code == "holiday_work"
    assert "Epiphany" in plan.skipped[0].reason and "DE-BY" in plan.skipped[0].reason
    assert plan.skipped[0].until == local("2026-01-07 00:00")
    # From 00:00 on the 7th it is an ordinary Wednesday.
    assert plan_pages(config, "ops", local("2026-01-07 00:00"), "sev2").skipped == []


def test_holiday_calendar_follows_the_site_subdivision(write_config):
    # Epiphany is not a public holiday in North Rhine-Westphalia: nothing to skip there.
    config = team_config(write_config, [HOLIDAY_RULE], holidays={"country": "DE", "subdivision": "NW"})
    assert plan_pages(config, "ops", local("2026-01-06 12:00"), "sev2").skipped == []


def test_holiday_france_portugal_california(write_config, tmp_path):
    cases = [
        ({"country": "FR"}, "Europe/Paris", "2026-07-14 12:00", "2026-07-13 12:00"),   # Fête nationale (a Tuesday)
        ({"country": "PT"}, "Europe/Lisbon", "2026-06-10 12:00", "2026-06-09 12:00"),  # Dia de Portugal (a Wednesday)
        ({"country": "US", "subdivision": "CA"}, "America/Los_Angeles", "2026-03-31 12:00", "2026-03-30 12:00"),  # Cesar Chavez Day
    ]
    for calendar, zone, holiday, ordinary in cases:
        config = team_config(write_config, [HOLIDAY_RULE], holidays=calendar, zone=zone)
        on_holiday = plan_pages(config, "ops", local(holiday, zone), "sev2")
        assert [s.reason_code for s in on_holiday.skipped if s.person == "anna"] == ["holiday_work"], (calendar, on_holiday.skipped)
        assert [s for s in plan_pages(config, "ops", local(ordinary, zone), "sev2").skipped if s.person == "anna"] == []


def test_sunday_forbidden_unless_rotation_activity_is_exempt(write_config):
    rule = {"kind": "sunday_holiday_work", "sundays": True, "holidays": False, "includes_standby": False,
            "allow_if_activity": ["it_systems_continuity"],
            "cite": "TEST §9, §10"}
    config = team_config(write_config, [rule])
    # SU 2026-03-08 10:00: anna (on call until MO 09:00) may not work on a Sunday...
    plan = plan_pages(config, "ops", local("2026-03-08 10:00"), "sev2")
    assert plan.skipped[0].reason_code == "sunday_work" and plan.skipped[0].until == local("2026-03-09 00:00")
    # ...unless the rotation's activity is one the statute exempts.
    config = team_config(write_config, [rule], rotation={"activity": "it_systems_continuity"})
    assert plan_pages(config, "ops", local("2026-03-08 10:00"), "sev2").skipped == []


def test_warn_severity_pages_with_a_note(write_config):
    rule = {"kind": "sunday_holiday_work", "sundays": True, "severity": "warn", "cite": "TEST §9"}
    config = team_config(write_config, [rule])
    plan = plan_pages(config, "ops", local("2026-03-08 10:00"), "sev2")
    assert plan.skipped == [] and first(plan).person == "anna" and "TEST §9" in " ".join(first(plan).notes)


# --- contact_window ----------------------------------------------------------------------------------

CLEO = {"id": "cleo", "slack": "U0CLEO001", "site": "munich", "contract": {"oncall_agreement": True}}
CLEO_POLICY = [{"id": "cleo-only", "levels": [{"targets": [{"person": "cleo"}]}], "fallback": "boss"}]


def test_contact_forbidden_during_rest_unless_rostered(write_config):
    rule = {"kind": "contact_window", "mode": "forbid", "cite": "TEST art. 199-A"}
    config = team_config(write_config, [rule], extra_people=[CLEO], policies=CLEO_POLICY)
    # WE 02:00: anna is rostered on call, so she is at the employer's disposal, not at rest -> paged.
    assert first(plan_pages(config, "ops", local("2026-03-04 02:00"), "sev2")).person == "anna"
    # cleo is not rostered anywhere: 02:00 is her rest; contact forbidden until her hours begin at 09:00.
    plan = plan_pages(config, "cleo-only", local("2026-03-04 02:00"), "sev2")
    assert plan.skipped[0].reason_code == "contact_forbidden" and plan.skipped[0].until == local("2026-03-04 09:00")
    # during her working hours contact is fine
    assert first(plan_pages(config, "cleo-only", local("2026-03-04 10:00"), "sev2")).person == "cleo"


def test_contact_forbidden_even_when_rostered_if_standby_is_rest(write_config):
    rule = {"kind": "contact_window", "mode": "forbid", "rostered_standby_is_rest": True, "cite": "TEST art. 199-A"}
    config = team_config(write_config, [rule])
    plan = plan_pages(config, "ops", local("2026-03-04 02:00"), "sev2")
    # anna and bea are both at rest at 02:00; nobody may be contacted -> fallback manager, loudly.
    assert {s.person for s in plan.skipped} >= {"anna", "bea"}
    assert plan.fallback_used and plan.plan[0].person == "boss" and plan.warnings[0].startswith("NOBODY ELIGIBLE")


def test_may_refuse_and_policy_required_page_with_notes(write_config):
    config = team_config(write_config, [{"kind": "contact_window", "mode": "may_refuse", "during": "outside_working_hours",
                                         "cite": "FW Act s 333M"}])
    step = first(plan_pages(config, "ops", local("2026-03-04 02:00"), "sev2"))
    assert step.person == "anna" and any("may refuse" in n for n in step.notes)
    config = team_config(write_config, [{"kind": "contact_window", "mode": "policy_required", "policy_ref": "Charter 2024",
                                         "during": "outside_working_hours",
                                         "cite": "L2242-17"}])
    step = first(plan_pages(config, "ops", local("2026-03-04 02:00"), "sev2"))
    assert step.person == "anna" and any("Charter 2024" in n for n in step.notes)


# --- leave ------------------------------------------------------------------------------------------


def test_leave_is_a_hard_block_until_the_day_after(write_config):
    # (the leave lies after the 7-day compliance horizon, so the plan-time leave check does not reject the config)
    leave = {"anna": {"leave": [{"from": "2026-03-16", "to": "2026-03-20"}]}}
    config = team_config(write_config, [], people_extra=leave)
    # anna is rostered again in the week from MO 2026-03-16 (two weeks after the start, two participants).
    plan = plan_pages(config, "ops", local("2026-03-18 10:00"), "sev2")
    # leave ends FR 2026-03-20, so she is back from SA 00:00 local.
    assert (plan.skipped[0].reason_code, plan.skipped[0].until) == ("leave", local("2026-03-21 00:00"))
    assert (first(plan).person, first(plan).role) == ("bea", "deputy")
    # sev1 exceptions never waive leave
    config = team_config(write_config, [], exceptions=[{"id": "emergency", "severities": ["sev1"], "waives": ["min_daily_rest"],
                                                        "cite": "TEST art. 17"}],
                         people_extra=leave)
    from bot.oncall.planner import ExceptionRequest

    plan = plan_pages(config, "ops", local("2026-03-18 10:00"), "sev1", exception=ExceptionRequest("boss", "outage"))
    assert first(plan).person == "bea" and plan.exceptions_used == []


# --- night_work_limit ---------------------------------------------------------------------------------


def test_night_work_limit_for_night_workers(write_config):
    # A night worker's whole shifts count (not only their hours inside the night window). anna works nights
    # MO-FR 22:00-06:00 (8 h); a limit of 10 h per 24 h. After her TU-WE shift and a call-out WE 06:00-08:00, the
    # 24 h before WE 08:30 hold 8 h + 2 h = 10 h: the limit is reached, she is skipped until the start of that work,
    # TU 22:00, leaves the 24 h (WE 22:00). With the call-out ending 07:59 (9 h 59 min) she is not.
    rule = {"kind": "night_work_limit", "night_window": "23:00-06:00", "max_hours_per_24h": 10, "cite": "TEST §6"}
    night = {"anna": {"contract": {"oncall_agreement": True, "night_worker": True},
                      "working_hours": {"MO-FR": ["22:00-06:00"]}}}
    config = team_config(write_config, [rule], people_extra=night)
    full = EngagementHistory.of([("anna", local("2026-03-04 06:00"), local("2026-03-04 08:00"))])
    [skip] = plan_pages(config, "ops", local("2026-03-04 08:30"), "sev2", history=full).skipped
    assert (skip.reason_code, skip.until) == ("night_work", local("2026-03-04 22:00"))
    short = EngagementHistory.of([("anna", local("2026-03-04 06:00"), local("2026-03-04 07:59"))])
    assert plan_pages(config, "ops", local("2026-03-04 08:30"), "sev2", history=short).skipped == []
    # the rule applies only to night workers: bea with the same hours and history is not affected
    config = team_config(write_config, [rule], rotation={"participants": ["bea", "anna"]},
                         people_extra={"bea": {"working_hours": {"MO-FR": ["22:00-06:00"]}}})
    history = EngagementHistory.of([("bea", local("2026-03-04 06:00"), local("2026-03-04 08:00"))])
    assert plan_pages(config, "ops", local("2026-03-04 08:30"), "sev2", history=history).skipped == []


def test_daily_rest_counts_elapsed_hours_across_spring_forward(write_config):
    config = team_config(write_config, [rest_rule("restart")], rotation={"start": "2026-03-23"})
    # call-out ended SA 2026-03-28 20:40 CET (19:40 UTC); 11 elapsed hours later is 06:40 UTC, which is
    # 08:40 CEST because the clocks jumped forward at 02:00. Wall-clock arithmetic would say 07:40.
    # (A call-out SA 15:00-16:00 came first, so this one at 20:00 interrupts a rest of only 4 h: restarted in full.)
    history = EngagementHistory.of([("anna", local("2026-03-28 15:00"), local("2026-03-28 16:00")),
                                    ("anna", local("2026-03-28 20:00"), local("2026-03-28 20:40"))])
    at = local("2026-03-29 08:39")
    skip = plan_pages(config, "ops", at, "sev2", history=history).skipped[0]
    assert skip.until.isoformat() == "2026-03-29T06:40:00+00:00"
    assert "until 08:40 Europe/Berlin" in skip.reason
    assert plan_pages(config, "ops", local("2026-03-29 08:40"), "sev2", history=history).skipped == []


def test_contact_window_across_us_fall_back(write_config):
    rule = {"kind": "contact_window", "mode": "forbid", "cite": "TEST contact"}
    la = "America/Los_Angeles"
    extra = [{"id": "cleo", "slack": "U0CLEO001", "site": "munich", "contract": {"oncall_agreement": True}}]
    config = team_config(write_config, [rule], zone=la, extra_people=extra, policies=[
        {"id": "cleo-only", "levels": [{"targets": [{"person": "cleo"}]}], "fallback": "boss"}])
    # SA 2026-10-31 22:00 PDT: cleo is at rest until MO 09:00, which is PST by then (17:00 UTC, not 16:00).
    plan = plan_pages(config, "cleo-only", local("2026-10-31 22:00", la), "sev2")
    assert plan.skipped[0].until.isoformat() == "2026-11-02T17:00:00+00:00"
