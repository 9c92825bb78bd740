"""The DST week, the DST night and the partial window in each European profile as shipped: DE, FR, NL, PT and UK.

Every expected value is worked out by hand in the comment above it, from the statute the profile cites. Two
principles run through all of them:

* a week is seven calendar days in the person's zone, 167 h in the spring week and 169 h in the autumn week
  (Directive 2003/88/EC art. 5 and 16(a) "per each seven-day period"; WTR 1998 reg 11; ArbZG §3/§11; C. trav.
  L3132-2; Atw art. 5:5), and rest inside it is counted in real hours, so the hour the clocks skip is not rest;
* a window shorter than a rule's period is never extrapolated: it is judged only when it already fails whatever the
  days after it hold, and otherwise it is reported as not judged.

The clocks change on the last Sunday of March and October at 01:00 UTC in all five zones (29 March and 25 October
2026).
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.oncall.history import EngagementHistory
from bot.oncall.planner import plan_pages
from tests.oncall.helpers import local
from tests.oncall.statute_helpers import findings, review, site_config

# profile, zone, the weekly rest it requires in hours:
#   DE: inherits the Directive's 24 h + the 11 h daily rest (art. 5 with C-477/21 MAV-START; ArbZG §5(1)) = 35 h
#   FR: 24 h + 11 h = 35 h (C. trav. L3132-2)
#   NL: 36 h in each 7 days, not added to the daily rest (Atw art. 5:5)
#   PT: inherits the Directive: 35 h
#   UK: 24 h in each 7 days, not added to the daily rest (WTR 1998 reg 11(1))
PROFILES = [
    ("de-arbzg", "Europe/Berlin", 35),
    ("fr-ct", "Europe/Paris", 35),
    ("nl-atw", "Europe/Amsterdam", 36),
    ("pt-ct", "Europe/Lisbon", 35),
    ("uk-wtr", "Europe/London", 24),
]


def _weekend(sunday_start: int) -> dict:
    # MO-FR 09:00-19:00, SA 06:00-07:00, SU from sunday_start to 22:00. The longest rest of the week runs from SA 07:00
    # to SU sunday_start: 17 + sunday_start hours on the wall clock. Every other gap is shorter: 14 h on weekday
    # nights, 11 h from SU 22:00 to MO 09:00, 11 h from FR 19:00 to SA 06:00.
    return {"anna": {"working_hours": {"MO-FR": ["09:00-19:00"], "SA": ["06:00-07:00"],
                                       "SU": [f"{sunday_start:02d}:00-22:00"]}}}


@pytest.mark.parametrize("profile,zone,need", PROFILES)
def test_weekly_rest_in_the_dst_weeks_counts_real_hours(tmp_path, profile, zone, need):
    # Spring week MO 23 .. SU 29 March: the SA 07:00 -> SU rest loses the skipped hour, 16 + sunday_start real hours.
    # Starting on Sunday at need - 16 gives exactly `need` hours: fine. One hour earlier gives need - 1: too short,
    # although the wall clock shows `need` hours.
    ok = site_config(tmp_path / "spring-ok", profile, zone, people=_weekend(need - 16), rotation={"start": "2026-03-23"})
    assert findings(ok, "2026-03-23", "2026-03-29", "min_weekly_rest") == ([], [])
    short = site_config(tmp_path / "spring-short", profile, zone, people=_weekend(need - 17),
                        rotation={"start": "2026-03-23"})
    violations, _ = findings(short, "2026-03-23", "2026-03-29", "min_weekly_rest")
    assert len(violations) == 1 and f"longest rest in the 7 days from here is {need - 1} h, needs {need} h" in violations[0]
    # Autumn week MO 19 .. SU 25 October: the rest gains the repeated hour, 18 + sunday_start real hours. Starting at
    # need - 18 reads need - 1 hours on the wall clock but is `need` real hours: fine.
    autumn = site_config(tmp_path / "autumn", profile, zone, people=_weekend(need - 18), rotation={"start": "2026-10-19"})
    assert findings(autumn, "2026-10-19", "2026-10-25", "min_weekly_rest") == ([], [])


@pytest.mark.parametrize("profile,zone,need", PROFILES)
def test_weekly_rest_over_a_partial_week_is_not_judged(tmp_path, profile, zone, need):
    # A window of MO 23 .. TH 26 March holds 4 of the 7 days. Its longest rest is a weekday night (19:00 -> 09:00,
    # 14 h), shorter than `need`, but the weekly rest may still come on FR-SU, after the window: not judged.
    config = site_config(tmp_path, profile, zone, people=_weekend(need - 16), rotation={"start": "2026-03-23"})
    violations, notes = findings(config, "2026-03-23", "2026-03-26", "min_weekly_rest")
    assert violations == []
    assert len(notes) == 1 and (f"not judged: the window covers 4 of the 7 days from here and holds no rest of {need} h "
                                "(longest 14 h)") in notes[0]


# profile, zone, reference period in days, hours the whole period allows:
#   DE: 48 h a week over 24 weeks (ArbZG §3 with §14(3)): 168 days, 48 x 24 = 1152 h
#   FR, NL, PT: the Directive's 48 h over 17 weeks (art. 6, 16(b)): 119 days, 48 x 17 = 816 h
#   UK: 48 h over 17 weeks (WTR 1998 reg 4(1), (3)): 119 days, 816 h
AVERAGES = [
    ("de-arbzg", "Europe/Berlin", 168, 1152),
    ("fr-ct", "Europe/Paris", 119, 816),
    ("nl-atw", "Europe/Amsterdam", 119, 816),
    ("pt-ct", "Europe/Lisbon", 119, 816),
    ("uk-wtr", "Europe/London", 119, 816),
]


@pytest.mark.parametrize("profile,zone,days,budget", AVERAGES)
def test_weekly_average_over_a_partial_window_is_not_judged(tmp_path, profile, zone, days, budget):
    # anna works MO-FR 09:00-17:00 = 40 h. MO 2 .. FR 6 March is 5 days of the reference period with 40 h: far
    # within the whole period's budget, and nothing is extrapolated from 5 days (not "56 h a week").
    config = site_config(tmp_path, profile, zone)
    violations, notes = findings(config, "2026-03-02", "2026-03-06", "max_avg_weekly_hours")
    assert violations == []
    assert len(notes) == 1 and (f"not judged: the window covers 5 of the {days} days of the reference period from "
                                f"here, and its 40 h stay within the {budget} h the whole period allows") in notes[0]


def test_dutch_standby_days_over_a_partial_28_day_period(tmp_path):
    # Atb consignatie (as shipped): at most 14 x 24 h = 336 h of consignatie in each 28 days. The window MO 2 .. SU 22
    # March holds 21 of the 28 days of the period from MO 2 March.
    # anna alone on the rota is on call all 21 days, 504 h: already more than the whole period allows, judged.
    alone = site_config(tmp_path / "alone", "nl-atw", "Europe/Amsterdam", rotation={"participants": ["anna"]})
    violations, _ = findings(alone, "2026-03-02", "2026-03-22", "max_standby_days_in_period")
    assert len(violations) == 1
    assert "already 504 h on call in the first 21 of the 28 days from here, more than 14 x 24 h" in violations[0]
    # anna and bea alternate weekly from MO 2 March 09:00 (bea before it): anna holds MO 2 09:00 .. MO 9 09:00 (168 h)
    # and MO 16 09:00 .. the window's end, SU 22 March 24:00 (159 h): 327 h, within 336 h. The 7 days after the window
    # could still bring her over, so it is not judged (not "within").
    shared = site_config(tmp_path / "shared", "nl-atw", "Europe/Amsterdam")
    violations, notes = findings(shared, "2026-03-02", "2026-03-22", "max_standby_days_in_period")
    assert violations == []
    assert len(notes) == 1 and ("not judged: the window covers 21 of the 28 days of the period from here, and its "
                                "327 h on call stay within the 14 x 24 h the whole period allows") in notes[0]


def test_french_notice_period_counts_calendar_days_across_the_clock_change(tmp_path):
    # C. trav. L3121-12 2°: 15 days' notice. Notified on SU 15 March 2026, the 15 days end with SA 29 March (the day the
    # clocks go forward): shifts from MO 30 March 00:00 are on time, although only 359 real hours lie between the
    # two midnights. anna and bea alternate weekly from MO 2 March 09:00: bea holds 23 .. 30 March 09:00.
    before = site_config(tmp_path / "before", "fr-ct", "Europe/Paris")

    def notice(name, start, end):
        after = site_config(tmp_path / name, "fr-ct", "Europe/Paris", overrides=[
            {"rotation": "ops", "person": "anna", "replaces": "bea", "from": start, "to": end}])
        result = review(before, after, "2026-03-16", "2026-04-12", notified_on=date(2026, 3, 15))
        return [v for v in result.new_violations if v.rule == "advance_notice"]

    # MO 30 March 00:30 CEST: on the 16th day, on time (a count of 15 x 24 real hours would end at 01:00 and call it
    # too soon).
    assert notice("on-time", "2026-03-30 00:30", "2026-03-30 08:00") == []
    # SU 29 March 23:30 CEST: inside the 15 days: a warning for both (exceptional circumstances only).
    late = notice("late", "2026-03-29 23:30", "2026-03-30 08:00")
    assert sorted((v.person, v.severity) for v in late) == [("anna", "warn"), ("bea", "warn")]
    assert "less than 15 days after it was notified on 2026-03-15" in late[0].message


def test_rota_preview_diff_cli_flags_a_missing_replacement_rest_day(tmp_path, capsys):
    # The German edit of test_rest_rules through the command line: anna also covers bea's week 9-16 March, so she is
    # on standby 2-23 March and her Sunday 22 March has no free working day within its 14-day period (ArbZG §11(3)):
    # blocking, exit 1, and the text names the rule and the citation.
    from bot.cli import main

    it = {"activity": "it_systems_continuity"}
    site_config(tmp_path / "before", "de-arbzg", "Europe/Berlin", rotation=it)
    site_config(tmp_path / "after", "de-arbzg", "Europe/Berlin", rotation=it, overrides=[
        {"rotation": "ops", "person": "anna", "replaces": "bea", "from": "2026-03-09 09:00", "to": "2026-03-16 09:00"}])
    args = ["rota", "preview", "--config-dir", str(tmp_path / "before" / "config"), "--from", "2026-02-16",
            "--to", "2026-04-12", "--diff", str(tmp_path / "after" / "config"), "--notified-on", "2026-02-01"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "BLOCK replacement_rest_day: anna" in out and "worked on a Sunday (2026-03-22)" in out
    assert "ArbZG §11(3)" in out


# profile, zone, what a call-out during an incomplete rest does (as shipped), its citation
CALLOUTS = [
    ("de-arbzg", "Europe/Berlin", "restart", "ArbZG §5(1)"),
    ("fr-ct", "Europe/Paris", "restart", "L3121-10"),
    ("nl-atw", "Europe/Amsterdam", "compensate", "Atw art. 5:3"),
    ("pt-ct", "Europe/Lisbon", "compensate", "CT art. 214"),
    ("uk-wtr", "Europe/London", "compensate", "WTR 1998 reg 10, 21, 24"),
]


@pytest.mark.parametrize("profile,zone,action,cite", CALLOUTS)
@pytest.mark.parametrize("start,saturday,sunday,until", [
    # Spring: SA 28 March, call-outs 20:00-21:00 (after a complete rest since FR 17:00: the new working day) and
    # 23:00-00:30 (2 h after the first: an incomplete rest). 00:30 local is before the change in every zone (01:00 UTC),
    # and 11 real hours later the clocks show 12:30, not 11:30.
    ("2026-03-23", "2026-03-28", "2026-03-29", "12:30"),
    # Autumn: SA 24 October, the same call-outs; 11 real hours after 00:30 local the clocks show 10:30.
    ("2026-10-19", "2026-10-24", "2026-10-25", "10:30"),
])
def test_the_rest_after_a_call_out_on_the_dst_night_runs_11_real_hours(tmp_path, profile, zone, action, cite, start,
                                                                       saturday, sunday, until):
    # anna (MO-FR 09:00-17:00) holds the rota that week; she is paged at SU 09:00.
    def at(text):
        return local(text, zone)

    config = site_config(tmp_path, profile, zone, rotation={"start": start, "activity": "it_systems_continuity"})
    history = EngagementHistory.of([("anna", at(f"{saturday} 20:00"), at(f"{saturday} 21:00")),
                                    ("anna", at(f"{saturday} 23:00"), at(f"{sunday} 00:30"))])
    plan = plan_pages(config, "ops", at(f"{sunday} 09:00"), "sev2", history=history)
    running = f"11 h daily rest running until {until} {zone}"
    if action == "restart":
        # ArbZG §5(1), C. trav. L3121-10: the rest is due again in full: anna is skipped until then
        [skip] = [s for s in plan.skipped if s.person == "anna" and s.reason_code == "daily_rest"]
        assert running in skip.reason and cite in skip.citation
    else:
        # Directive art. 17(2), WTR reg 24, and the NL/PT readings: paged, with equivalent compensatory rest owed
        [step] = [s for s in plan.plan if s.person == "anna"]
        assert any(running in n and "compensatory rest is owed" in n and cite in n for n in step.notes), step.notes
