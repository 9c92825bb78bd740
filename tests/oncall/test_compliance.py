"""Plan-time checks run by `bot check`: violations with person, time, rule and citation, as errors or warnings."""

from __future__ import annotations

from tests.oncall.conftest import one_rotation, person, site


def issues_of(write_config, *, rules, people=None, rotas=None, site_extra=None):
    profile = {"id": "base", "rules": [{"kind": "leave", "cite": "TEST leave"}] + rules}
    people = people or [person("anna", "U0ANNA001"), person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]
    # The rotation pages around the clock, and `bot check` warns about anyone on it who cannot be phoned at night
    # (docs/paging.md). These tests are about labor rules, so everyone gets a fictional number (Ofcom's drama
    # range) and any warning left is a labor warning.
    people = [{"contact": {"phone": f"+447700900{n:03d}"}, **p} for n, p in enumerate(people)]
    rotas = rotas or one_rotation(["anna", "bea"])
    config, issues = write_config(people={"sites": [site("munich", "Europe/Berlin", **(site_extra or {}))], "people": people},
                                  rotas=rotas, labor=[profile], expect_valid=False)
    return config, issues


def messages(issues, severity="error"):
    return [i.message for i in issues if i.severity == severity]


def test_leave_overlap_is_an_error_until_an_override_covers_it(write_config):
    anna = person("anna", "U0ANNA001", leave=[{"from": "2026-03-04", "to": "2026-03-05", "kind": "sick"}])
    config, issues = issues_of(write_config, rules=[], people=[anna, person("bea", "U0BEA0001"), person("boss", "U0BOSS001")])
    # anna is rostered MO 2026-03-02 09:00 -> MO 03-09 09:00, and sick on 03-04..03-05.
    assert config is None
    [msg] = messages(issues)
    assert "anna" in msg and "2026-03-04" in msg and "sick" in msg and "TEST leave" in msg
    rotas = one_rotation(["anna", "bea"])
    rotas["overrides"] = [{"rotation": "ops", "person": "bea", "replaces": "anna",
                           "from": "2026-03-04 00:00", "to": "2026-03-06 00:00"}]
    config, issues = issues_of(write_config, rules=[], rotas=rotas,
                               people=[anna, person("bea", "U0BEA0001"), person("boss", "U0BOSS001")])
    assert config is not None and messages(issues) == []


def test_holiday_standby_error_unless_activity_exempt(write_config):
    rule = {"kind": "sunday_holiday_work", "sundays": True, "holidays": True, "includes_standby": True,
            "allow_if_activity": ["it_systems_continuity"], "cite": "ArbZG §9"}
    config, issues = issues_of(write_config, rules=[rule], site_extra={"holidays": {"country": "DE", "subdivision": "BY"}})
    # the 7-day horizon from MO 2026-03-02 contains SU 2026-03-08: anna rostered on a Sunday.
    assert config is None
    assert any("anna" in m and "Sunday" in m and "2026-03-08" in m and "ArbZG §9" in m for m in messages(issues))
    rotas = one_rotation(["anna", "bea"], activity="it_systems_continuity")
    config, issues = issues_of(write_config, rules=[rule], rotas=rotas)
    assert config is not None


def test_daily_rest_from_working_hours(write_config):
    # 08:00-20:00 and again 06:00 the next morning: only 10 h between -> below 11 h.
    anna = person("anna", "U0ANNA001", working_hours={"MO-FR": ["06:00-07:00", "08:00-20:00"]})
    rule = {"kind": "min_daily_rest", "hours": 11, "cite": "TEST §5"}
    config, issues = issues_of(write_config, rules=[rule], people=[anna, person("bea", "U0BEA0001"), person("boss", "U0BOSS001")])
    assert config is None
    assert any("only 10 h consecutive rest" in m and "TEST §5" in m for m in messages(issues))
    # 07:00-18:00 leaves 13 h: fine; a lunch break is not mistaken for the daily rest
    anna = person("anna", "U0ANNA001", working_hours={"MO-FR": ["07:00-12:00", "12:30-18:00"]})
    config, issues = issues_of(write_config, rules=[rule], people=[anna, person("bea", "U0BEA0001"), person("boss", "U0BOSS001")])
    assert config is not None


def test_weekly_rest_and_average_hours(write_config):
    # 7 days a week 08:00-20:00: longest rest in any 7 days is 12 h < 24 h + 11 h; 84 h in a one-week reference
    # period (the 7-day horizon is that whole period) > 48 h.
    anna = person("anna", "U0ANNA001", working_hours={"MO-SU": ["08:00-20:00"]})
    rules = [{"kind": "min_weekly_rest", "hours": 24, "plus_daily_rest": True, "cite": "TEST art. 5"},
             {"kind": "min_daily_rest", "hours": 11, "cite": "TEST art. 3"},
             {"kind": "max_avg_weekly_hours", "hours": 48, "reference_weeks": 1, "severity": "warn", "cite": "TEST art. 6"}]
    config, issues = issues_of(write_config, rules=rules, people=[anna, person("bea", "U0BEA0001"), person("boss", "U0BOSS001")])
    assert any("needs 35 h" in m and "TEST art. 5" in m for m in messages(issues))
    assert any("84 h in the 7 days from here, 84.0 h per week" in m and "TEST art. 6" in m
               for m in messages(issues, "warning"))


def test_opt_out_exempts_from_average_hours(write_config):
    anna = person("anna", "U0ANNA001", working_hours={"MO-FR": ["07:00-18:00"]},
                  contract={"oncall_agreement": True, "opt_out_48h": True})
    rules = [{"kind": "max_avg_weekly_hours", "hours": 48, "individual_opt_out": True, "cite": "WTR reg 4"}]
    # 55 h/week would exceed 48 h, but the rule allows an individual opt-out and anna signed one.
    config, issues = issues_of(write_config, rules=rules, people=[anna, person("bea", "U0BEA0001"), person("boss", "U0BOSS001")])
    assert config is not None and issues == []


def test_consecutive_standby_days(write_config):
    rule = {"kind": "max_consecutive_standby_days", "days": 7, "cite": "BV §6"}
    # weekly shifts are exactly 7 days: allowed
    config, issues = issues_of(write_config, rules=[rule])
    assert config is not None
    # fortnightly shifts: anna MO 03-02 09:00 -> MO 03-16 09:00; the 14-day horizon ends 03-16 00:00,
    # so 13 days 15 h = 13.625 days of it are seen, more than 7.
    rotas = one_rotation(["anna", "bea"], cadence="fortnightly")
    rotas["compliance"]["days"] = 14
    config, issues = issues_of(write_config, rules=[rule], rotas=rotas)
    assert config is None and any("13.625 consecutive days, more than 7" in m for m in messages(issues))


def test_standby_review_and_rest_break_warnings(write_config):
    rules = [{"kind": "standby_classification", "review_if_response_minutes_at_most": 15, "severity": "warn",
              "cite": "C-518/15 Matzak"},
             {"kind": "rest_break_no_oncall", "severity": "warn", "cite": "Augustus v. ABM"}]
    rotas = one_rotation(["anna", "bea"], response_minutes=8)
    config, issues = issues_of(write_config, rules=rules, rotas=rotas)
    warnings = messages(issues, "warning")
    assert config is not None
    assert any("within 8 min" in m and "Matzak" in m for m in warnings)
    assert any("rest breaks must stay duty-free" in m and "Augustus" in m for m in warnings)


def test_on_site_standby_counts_as_work(write_config):
    rules = [{"kind": "standby_classification", "on_site": "working_time", "severity": "warn", "cite": "SIMAP"},
             {"kind": "min_daily_rest", "hours": 11, "cite": "TEST art. 3"}]
    config, issues = issues_of(write_config, rules=rules, rotas=one_rotation(["anna", "bea"], standby="on_site"))
    # a week of on-site standby around the clock leaves no rest at all
    assert config is None and any("only 0 h consecutive rest" in m for m in messages(issues))


def test_coverage_gap_in_a_follow_the_sun_policy(write_config):
    rotas = one_rotation(["anna"], coverage=[{"days": "MO-SU", "window": "07:00-19:00"}])
    night = dict(rotas["rotations"][0], id="night", participants=["bea"], coverage=[{"days": "MO-SU", "window": "20:00-07:00"}])
    rotas["rotations"].append(night)
    rotas["escalation_policies"] = [{"id": "sun", "fallback": "boss",
                                     "levels": [{"targets": [{"rotation": "ops"}, {"rotation": "night"}]}]}]
    config, issues = issues_of(write_config, rules=[], rotas=rotas)
    # 19:00-20:00 Berlin is covered by neither rotation, every day of the 7-day horizon
    gaps = [m for m in messages(issues, "warning") if m.startswith("coverage gap")]
    assert config is not None and len(gaps) == 7
    assert "2026-03-02 19:00 Europe/Berlin to 2026-03-02 20:00 Europe/Berlin" in gaps[0]


def test_weekly_rest_boundary_35h_vs_34h59(write_config):
    rules = [{"kind": "min_weekly_rest", "hours": 24, "plus_daily_rest": True, "cite": "TEST art. 5"},
             {"kind": "min_daily_rest", "hours": 11, "cite": "TEST art. 3"}]

    def anna(sunday_start: str):
        return person("anna", "U0ANNA001", working_hours={"MO-FR": ["08:00-19:00"], "SA": ["06:00-07:00"],
                                                           "SU": [f"{sunday_start}-20:00"]})
    others = [person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]
    # longest rest in the week MO 03-02 00:00 .. MO 03-09 00:00 is SA 07:00 -> SU 18:00 = 35 h = 24 h + 11 h: fine.
    config, issues = issues_of(write_config, rules=rules, people=[anna("18:00")] + others)
    assert config is not None, issues
    # starting at 17:59 on Sunday leaves 34 h 59 min: a violation.
    config, issues = issues_of(write_config, rules=rules, people=[anna("17:59")] + others)
    assert config is None and any("longest rest in the 7 days from here is 34 h 59 min, needs 35 h" in m for m in messages(issues))


def test_average_weekly_hours_boundary(write_config):
    rule = [{"kind": "max_avg_weekly_hours", "hours": 48, "reference_weeks": 1, "severity": "warn", "cite": "TEST art. 6"}]
    others = [person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]
    # 08:00-17:36 is 9 h 36 min = 9.6 h a day, 48.0 h in the 7-day horizon: not more than 48.
    _, issues = issues_of(write_config, rules=rule, people=[person("anna", "U0ANNA001", working_hours={"MO-FR": ["08:00-17:36"]})] + others)
    assert messages(issues, "warning") == []
    # one more minute a day: 48.08 h -> warning (warn severity: the config still loads)
    config, issues = issues_of(write_config, rules=rule, people=[person("anna", "U0ANNA001", working_hours={"MO-FR": ["08:00-17:37"]})] + others)
    assert config is not None and any("48 h 5 min in the 7 days from here, 48.1 h per week" in m
                                      for m in messages(issues, "warning"))
    # With the default 17-week reference period the 7-day horizon cannot judge the average: not a warning.
    long = [dict(rule[0], reference_weeks=17)]
    _, issues = issues_of(write_config, rules=long, people=[person("anna", "U0ANNA001", working_hours={"MO-FR": ["08:00-20:00"]})] + others)
    assert messages(issues, "warning") == []


def test_standby_review_boundary(write_config):
    rule = [{"kind": "standby_classification", "review_if_response_minutes_at_most": 15, "severity": "warn", "cite": "Matzak"}]
    _, issues = issues_of(write_config, rules=rule, rotas=one_rotation(["anna", "bea"], response_minutes=15))
    assert any("within 15 min" in m for m in messages(issues, "warning"))
    _, issues = issues_of(write_config, rules=rule, rotas=one_rotation(["anna", "bea"], response_minutes=16))
    assert messages(issues, "warning") == []
