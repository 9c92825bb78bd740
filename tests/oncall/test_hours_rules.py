"""Hours by statute: weekly averages, a night worker's average, the daily maximum incl. call-outs, call-out minimums.

Every expected value is worked out by hand in the comment above it, from the statute cited. Averages are judged
per reference period of whole calendar days and never extrapolated from part of one.
"""

from __future__ import annotations

from bot.oncall.history import EngagementHistory
from bot.oncall.planner import plan_pages
from tests.oncall.helpers import local
from tests.oncall.statute_helpers import findings, site_config

NIGHT_WORKER = {"contract": {"oncall_agreement": True, "compensation": "EUR 40 per day", "night_worker": True}}


def test_uk_weekly_average_over_a_partial_window_is_not_judged_not_extrapolated(tmp_path):
    # WTR 1998 reg 4: 48 h a week on average over 17 weeks (119 days). anna works MO-FR 09:00-17:00 = 40 h. A preview
    # of MO 2 .. FR 6 March holds 5 of the 119 days and 40 h, within the 48 x 17 = 816 h the period allows: too short
    # to judge. (The old engine stretched 40 h over 5/7 of a week: "56 h per week".)
    config = site_config(tmp_path, "uk-wtr", "Europe/London")
    violations, notes = findings(config, "2026-03-02", "2026-03-06", "max_avg_weekly_hours")
    assert violations == []
    assert len(notes) == 1 and ("not judged: the window covers 5 of the 119 days of the reference period from here, "
                                "and its 40 h stay within the 816 h the whole period allows") in notes[0]
    assert "WTR 1998 reg 4, 5" in notes[0]


def test_uk_weekly_average_over_the_whole_reference_period(tmp_path):
    # MO-FR 08:00-18:00 = 50 h a week; 17 weeks from MO 2 March (to SU 28 June) = 850 h > 816 h: 50.0 h a week on
    # average. (The clocks go forward on 29 March; 08:00-18:00 is 10 h either side, so the sum is unchanged.)
    people = {"anna": {"working_hours": {"MO-FR": ["08:00-18:00"]}}}
    config = site_config(tmp_path / "a", "uk-wtr", "Europe/London", people=people)
    violations, notes = findings(config, "2026-03-02", "2026-06-28", "max_avg_weekly_hours")
    assert notes == [] and len(violations) == 1
    assert "850 h in the 119 days from here, 50.0 h per week on average, more than 48 h" in violations[0]
    # reg 5: an individual written opt-out, which the UK rule allows
    people["anna"]["contract"] = {"oncall_agreement": True, "compensation": "GBP 300 a week", "opt_out_48h": True}
    config = site_config(tmp_path / "b", "uk-wtr", "Europe/London", people=people)
    assert findings(config, "2026-03-02", "2026-06-28", "max_avg_weekly_hours") == ([], [])


def test_partial_window_already_over_the_whole_periods_budget(tmp_path):
    # An agreement averaging 48 h over 2 weeks (budget 96 h). anna works MO-FR 08:00-20:30 = 12.5 h a day. A window of
    # 10 days (MO 2 .. WE 11 March) holds 8 working days = 100 h: more than the whole 14-day period allows, whatever
    # the remaining 4 days hold, so it is judged. With 08:00-20:00 (96 h) it is not.
    rule = [{"kind": "max_avg_weekly_hours", "hours": 48, "reference_weeks": 2, "severity": "warn",
             "cite": "TEST agreement: 48 h over 2 weeks"}]
    config = site_config(tmp_path / "a", "uk-wtr", "Europe/London", extra_rules=rule,
                         people={"anna": {"working_hours": {"MO-FR": ["08:00-20:30"]}}})
    violations, _ = findings(config, "2026-03-02", "2026-03-11", "max_avg_weekly_hours")
    assert violations and ("already 100 h in the first 10 of the 14 days of the reference period from here, more "
                           "than the 96 h the whole period allows (48 h per week)") in violations[0]
    config = site_config(tmp_path / "b", "uk-wtr", "Europe/London", extra_rules=rule,
                         people={"anna": {"working_hours": {"MO-FR": ["08:00-20:00"]}}})
    violations, notes = findings(config, "2026-03-02", "2026-03-11", "max_avg_weekly_hours")
    assert violations == [] and "not judged" in notes[0]


def test_a_dst_week_is_still_one_week(tmp_path):
    # us-flsa as shipped: 40 h in a workweek. The week MO 2 .. SU 8 March 2026 in Los Angeles has 167 hours (clocks go
    # forward on SU 8 March). anna works MO-FR 09:00-17:00 = 40 h: one week, 40 h, not "40.2 h per week" from
    # dividing by 167/168 of a week.
    config = site_config(tmp_path / "a", "us-flsa", "America/Los_Angeles")
    assert findings(config, "2026-03-02", "2026-03-08", "max_avg_weekly_hours") == ([], [])
    # one more minute a day: 40 h 5 min > 40 h
    config = site_config(tmp_path / "b", "us-flsa", "America/Los_Angeles",
                         people={"anna": {"working_hours": {"MO-FR": ["09:00-17:01"]}}})
    violations, _ = findings(config, "2026-03-02", "2026-03-08", "max_avg_weekly_hours")
    assert violations and "40 h 5 min in the 7 days from here, 40.1 h per week on average, more than 40 h" in violations[0]
    # The same in London's spring week (MO 23 .. SU 29 March 2026, 167 h): 48 h exactly (MO-FR 08:00-17:36) is
    # within a one-week 48 h limit.
    rule = [{"kind": "max_avg_weekly_hours", "hours": 48, "reference_weeks": 1, "severity": "warn", "cite": "TEST 1 week"}]
    config = site_config(tmp_path / "c", "uk-wtr", "Europe/London", extra_rules=rule,
                         people={"anna": {"working_hours": {"MO-FR": ["08:00-17:36"]}}},
                         rotation={"start": "2026-03-23"})
    assert findings(config, "2026-03-23", "2026-03-29", "max_avg_weekly_hours") == ([], [])


def test_uk_night_worker_average_counts_whole_shifts(tmp_path):
    # WTR 1998 reg 6(1), (5): a night worker's normal hours, 8 h per 24 h on average over 17 weeks, the divisor being
    # the 119 days less the weekly rest entitlement (reg 11: one day a week) = 102 days: 816 h. anna works six nights
    # a week, SA-TH 22:00-07:00 = 9 h each, whole shifts counted. From MO 2 March to SU 28 June (119 days): 102 nights
    # start in the window (17 x 6); the last (SU 28 June) counts 2 h, the one before the window (SU 1 March) spills
    # 7 h in, and the night of SA 28 March is 8 h (clocks forward at 01:00): 102 x 9 - 7 + 7 - 1 = 917 h > 816 h.
    # (Counting only the 23:00-06:00 window, as before, gives at most 7 h a night and never fires.)
    people = {"anna": {"working_hours": {"SA-TH": ["22:00-07:00"]}, **NIGHT_WORKER}}
    config = site_config(tmp_path, "uk-wtr", "Europe/London", people=people)
    violations, notes = findings(config, "2026-03-02", "2026-06-28", "night_work_limit")
    assert notes == [] and len(violations) == 1
    assert "917 h in the 119 days from here, 9.0 h per 24 h on average, more than 8 h (WTR 1998 reg 6" in violations[0]
    # The first 28 days (to SU 29 March): 24 nights, the last one 2 h, 7 h spilled in, the short spring night:
    # 24 x 9 - 7 + 7 - 1 = 215 h, within 816 h: not judged.
    violations, notes = findings(config, "2026-03-02", "2026-03-29", "night_work_limit")
    assert violations == [] and ("not judged: the window covers 28 of the 119 days of the reference period from here, "
                                 "and its 215 h stay within the 816 h") in notes[0]


def test_german_night_worker_per_working_day_and_per_shift(tmp_path):
    # ArbZG §6(2): a night worker's working time per working day (Werktag: Monday-Saturday) at most 8 h, up to 10 h if
    # 8 h are not exceeded on average within a calendar month or four weeks. anna works MO-FR 22:00-08:00 (10 h).
    # Four weeks from MO 2 March: 20 shifts = 200 h; 24 working days (no public holidays at this site) x 8 h = 192 h.
    people = {"anna": {"working_hours": {"MO-FR": ["22:00-08:00"]}, **NIGHT_WORKER}}
    config = site_config(tmp_path / "a", "de-arbzg", "Europe/Berlin", people=people,
                         rotation={"activity": "it_systems_continuity"})
    violations, _ = findings(config, "2026-03-02", "2026-03-29", "night_work_limit")
    assert violations and "200 h in the 28 days from here, 8.3 h per working day on average, more than 8 h" in violations[0]
    # 22:00-07:30 (9.5 h): 190 h <= 192 h, fine.
    people["anna"]["working_hours"] = {"MO-FR": ["22:00-07:30"]}
    config = site_config(tmp_path / "b", "de-arbzg", "Europe/Berlin", people=people,
                         rotation={"activity": "it_systems_continuity"})
    assert findings(config, "2026-03-02", "2026-03-29", "night_work_limit")[0] == []
    # A 10.5 h shift (22:00-08:30) is over the 10 h a day, counted whole.
    people["anna"]["working_hours"] = {"MO-FR": ["22:00-08:30"]}
    config = site_config(tmp_path / "c", "de-arbzg", "Europe/Berlin", people=people,
                         rotation={"activity": "it_systems_continuity"})
    violations, _ = findings(config, "2026-03-02", "2026-03-29", "night_work_limit")
    assert violations and "a night shift of 10 h 30 min (whole shift counted), more than 10 h" in violations[0]


def test_german_daily_maximum_and_its_six_month_average(tmp_path):
    # ArbZG §3: 8 h per working day, up to 10 h if 8 h on average within 6 months or 24 weeks. MO-FR 07:00-18:00 is
    # 11 h on MO 2 March: over 10 h.
    config = site_config(tmp_path / "a", "de-arbzg", "Europe/Berlin", rotation={"activity": "it_systems_continuity"},
                         people={"anna": {"working_hours": {"MO-FR": ["07:00-18:00"]}}})
    violations, _ = findings(config, "2026-03-02", "2026-03-08", "max_daily_hours")
    assert violations and "11 h of work scheduled on 2026-03-02, more than 10 h a day (ArbZG §3)" in violations[0]
    # MO-FR 08:00-18:00 = 10 h a day is allowed on the day, but over 24 weeks (168 days from MO 2 March to SU 16 August,
    # 24 x 6 = 144 working days, no holidays at this site) it is 1200 h against 8 x 144 = 1152 h.
    config = site_config(tmp_path / "b", "de-arbzg", "Europe/Berlin", rotation={"activity": "it_systems_continuity"},
                         people={"anna": {"working_hours": {"MO-FR": ["08:00-18:00"]}}})
    violations, _ = findings(config, "2026-03-02", "2026-08-16", "max_daily_hours")
    assert violations and "1200 h in the 168 days from here, 8.3 h per working day on average, more than 8 h" in violations[0]
    # one week of it (50 h) cannot show the 24-week average: not judged
    violations, notes = findings(config, "2026-03-02", "2026-03-08", "max_daily_hours")
    assert violations == [] and "not judged: the window covers 7 of the 168 days" in notes[0]


def test_german_daily_maximum_at_page_time_counts_call_outs(tmp_path):
    # ArbZG §3 counts all working time of the day, call-outs included. anna worked TU 09:00-17:00 (8 h) and a call-out
    # 18:00-20:00 (2 h): 10 h in the last 24 h at 20:30, the maximum. A page would start an 11th hour: she is skipped
    # until her 09:00 start leaves the 24 h, WE 09:00. One minute less of call-out (9 h 59 min) leaves her pageable as
    # far as hours go.
    config = site_config(tmp_path, "de-arbzg", "Europe/Berlin", rotation={"activity": "it_systems_continuity"})
    history = EngagementHistory.of([("anna", local("2026-03-03 18:00"), local("2026-03-03 20:00"))])
    plan = plan_pages(config, "ops", local("2026-03-03 20:30"), "sev2", history=history)
    [hours] = [s for s in plan.skipped if s.person == "anna" and s.reason_code == "daily_hours"]
    assert hours.until == local("2026-03-04 09:00") and hours.citation == "ArbZG §3"
    assert "already 10 h of work in the last 24 h incl. call-outs, limit 10 h" in hours.reason
    history = EngagementHistory.of([("anna", local("2026-03-03 18:00"), local("2026-03-03 19:59"))])
    plan = plan_pages(config, "ops", local("2026-03-03 20:30"), "sev2", history=history)
    assert [s for s in plan.skipped if s.reason_code == "daily_hours"] == []


def test_dutch_consignatie_13_hours_with_the_30_minute_call_out_minimum(tmp_path):
    # Dutch consignatie (Atb, as shipped in nl-atw): at most 13 h of work per 24 h incl. call-outs; each call-out counts
    # at least 30 min, and a gap of less than 30 min between call-outs counts as work. anna worked TU 09:00-17:00
    # (8 h); call-outs 19:00-19:10 (counts 19:00-19:30), 19:40-19:50 (10 min after that: joined, to 20:10) and
    # 21:00-01:00 (4 h). At WE 01:30: 8 h + 1 h 10 min + 4 h = 13 h 10 min >= 13 h: skipped until the first 10 min
    # of her 09:00 start leave the 24 h, WE 09:10.
    history = EngagementHistory.of([("anna", local("2026-03-03 19:00", AMS), local("2026-03-03 19:10", AMS)),
                                    ("anna", local("2026-03-03 19:40", AMS), local("2026-03-03 19:50", AMS)),
                                    ("anna", local("2026-03-03 21:00", AMS), local("2026-03-04 01:00", AMS))])
    config = site_config(tmp_path / "a", "nl-atw", AMS)
    plan = plan_pages(config, "ops", local("2026-03-04 01:30", AMS), "sev2", history=history)
    [hours] = [s for s in plan.skipped if s.person == "anna" and s.reason_code == "daily_hours"]
    assert "already 13.17 h of work in the last 24 h incl. call-outs, limit 13 h" in hours.reason
    assert hours.until == local("2026-03-04 09:10", AMS)
    # Counted as they were (no minimum): 8 h + 20 min + 4 h = 12 h 20 min < 13 h: not skipped for hours.
    no_minimum = [{"kind": "callout_minimum", "minutes": 0, "join_gaps_under_minutes": 0, "cite": "TEST none"}]
    config = site_config(tmp_path / "b", "nl-atw", AMS, extra_rules=no_minimum)
    plan = plan_pages(config, "ops", local("2026-03-04 01:30", AMS), "sev2", history=history)
    assert [s for s in plan.skipped if s.reason_code == "daily_hours"] == []


AMS = "Europe/Amsterdam"
