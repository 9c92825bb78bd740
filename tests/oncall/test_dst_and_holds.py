"""DST on both changes in Europe and the US, and held low-urgency pages skipping public holidays.

Policy (docs/oncall.md "DST policy"): nonexistent local times shift forward by the gap; an ambiguous local
time is its first occurrence when it starts something and its last when it ends something; rest is
counted on absolute time. Expected instants are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import datetime, timezone

from bot.oncall.history import EngagementHistory
from bot.oncall.planner import plan_pages
from tests.oncall.conftest import one_rotation, person, site
from tests.oncall.helpers import local, team_config

LA = "America/Los_Angeles"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_us_daily_handoff_at_a_nonexistent_time_shifts_forward(write_config):
    # Daily handoff 02:30 Los Angeles, anna on 2026-03-02 (index 0), bea the 3rd, ... anna on SU 03-08 (index 6).
    # 02:30 on 03-08 does not exist (02:00 PST -> 03:00 PDT): shifted forward to 03:30 PDT = 10:30 UTC.
    config = team_config(write_config, [], zone=LA, rotation={"cadence": "daily", "handoff": "02:30"})
    assert plan_pages(config, "ops", utc("2026-03-08 10:29"), "sev2").on_call == ["bea"]
    assert plan_pages(config, "ops", utc("2026-03-08 10:30"), "sev2").on_call == ["anna"]


def test_europe_daily_handoff_at_an_ambiguous_time_is_the_first_occurrence(write_config):
    # Daily handoff 02:30 Berlin from MO 2026-10-19 (anna); SU 10-25 is index 6 -> anna. 02:30 happens at
    # 02:30 CEST (00:30 UTC) and again at 02:30 CET (01:30 UTC); a start is the first: anna from 00:30 UTC,
    # and the repeated 02:30 an hour later is no second handoff.
    config = team_config(write_config, [], rotation={"start": "2026-10-19", "cadence": "daily", "handoff": "02:30"})
    assert plan_pages(config, "ops", utc("2026-10-25 00:29"), "sev2").on_call == ["bea"]
    assert plan_pages(config, "ops", utc("2026-10-25 00:30"), "sev2").on_call == ["anna"]
    assert plan_pages(config, "ops", utc("2026-10-25 01:30"), "sev2").on_call == ["anna"]


def test_daily_rest_across_europe_fall_back_counts_absolute_hours(write_config):
    rest = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "ArbZG §5(1)"}
    config = team_config(write_config, [rest], rotation={"start": "2026-10-19"})
    # anna's call-out ended SU 2026-10-25 00:40 CEST = SA 22:40 UTC; + 11 h = 09:40 UTC = 10:40 CET.
    # The wall clock shows 10 h between 00:40 and 10:40 because 02:00-03:00 was lived twice.
    # (An earlier call-out SA 20:00-21:00 CEST leaves only 2 h 30 min of rest before this one at 23:30 CEST, so
    # it interrupts an incomplete rest and ArbZG §5(1) restarts the 11 h; after a complete rest it would start
    # the new working day instead and restart nothing.)
    history = EngagementHistory.of([("anna", utc("2026-10-24 18:00"), utc("2026-10-24 19:00")),
                                    ("anna", utc("2026-10-24 21:30"), utc("2026-10-24 22:40"))])
    skip = plan_pages(config, "ops", local("2026-10-25 10:39"), "sev2", history=history).skipped[0]
    assert (skip.person, skip.until) == ("anna", utc("2026-10-25 09:40"))
    assert skip.reason == "skipped: 11 h daily rest running until 10:40 Europe/Berlin (ArbZG §5(1))"
    assert plan_pages(config, "ops", local("2026-10-25 10:40"), "sev2", history=history).skipped == []


def test_us_held_page_released_at_local_working_hours_after_spring_forward(write_config):
    # Low urgency on SA 2026-03-07 12:00 PST: anna works MO-FR 09:00-17:00 Los Angeles; SU 03-08 the clocks
    # go forward, so MO 03-09 09:00 is PDT (UTC-7) = 16:00 UTC, not 17:00 UTC as PST would give.
    config = team_config(write_config, [], zone=LA)
    plan = plan_pages(config, "ops", local("2026-03-07 12:00", LA), "sev3", urgency="low")
    assert plan.plan[0].held and plan.plan[0].page_at == utc("2026-03-09 16:00")


def test_us_held_page_released_after_fall_back(write_config):
    # Low urgency on FR 2026-10-30 20:00 PDT; SU 11-01 back to PST, so MO 11-02 09:00 PST = 17:00 UTC.
    config = team_config(write_config, [], zone=LA, rotation={"start": "2026-10-26"})
    plan = plan_pages(config, "ops", local("2026-10-30 20:00", LA), "sev3", urgency="low")
    assert plan.plan[0].page_at == utc("2026-11-02 17:00")


def test_held_page_skips_public_holidays_in_the_persons_calendar(write_config):
    # Bavaria: Good Friday 2026-04-03 and Easter Monday 2026-04-06 are public holidays. Low urgency on
    # TH 04-02 18:00 -> not FR (holiday), not SA/SU (no working hours), not MO (holiday) -> TU 04-07 09:00 CEST.
    config = team_config(write_config, [], holidays={"country": "DE", "subdivision": "BY"}, rotation={"start": "2026-03-30"})
    plan = plan_pages(config, "ops", local("2026-04-02 18:00"), "sev4", urgency="low")
    assert plan.plan[0].page_at == local("2026-04-07 09:00")
    assert "goes out 2026-04-07 09:00 Europe/Berlin" in plan.plan[0].notes[0]


def test_held_page_uses_the_paged_persons_zone_and_calendar(write_config):
    # Same rota, two zones: anna in Berlin, bea in Lisbon (PT calendar). 2026-06-10 is Portugal Day (a PT public
    # holiday), not a Bavarian one. Low urgency TU 06-09 20:00 Berlin with bea on call (week from MO 06-08):
    # bea's next working hours are TH 06-11 09:00 Lisbon (WEST, UTC+1) = 08:00 UTC, skipping her holiday.
    people = {"sites": [site("munich", "Europe/Berlin", holidays={"country": "DE", "subdivision": "BY"}),
                        site("lisbon", "Europe/Lisbon", holidays={"country": "PT"})],
              "people": [person("anna", "U0ANNA001"), person("bea", "U0BEA0001", site="lisbon"),
                         person("boss", "U0BOSS001")]}
    config = write_config(people=people, rotas=one_rotation(["anna", "bea"], start="2026-06-01"))
    plan = plan_pages(config, "ops", local("2026-06-09 20:00"), "sev4", urgency="low")
    assert plan.plan[0].person == "bea" and plan.plan[0].page_at == utc("2026-06-11 08:00")


def test_weekly_rest_in_the_spring_forward_week_is_checked_on_absolute_hours(write_config):
    rules = [{"kind": "leave", "cite": "TEST leave"},
             {"kind": "min_weekly_rest", "hours": 24, "plus_daily_rest": True, "cite": "TEST art. 5"},
             {"kind": "min_daily_rest", "hours": 11, "cite": "TEST art. 3"}]

    def issues(sunday_start: str):
        anna = person("anna", "U0ANNA001", working_hours={"MO-FR": ["08:00-19:00"], "SA": ["06:00-07:00"],
                                                           "SU": [f"{sunday_start}-20:00"]})
        people = {"sites": [site("munich", "Europe/Berlin")], "people": [anna, person("bea", "U0BEA0001"),
                                                                          person("boss", "U0BOSS001")]}
        return write_config(people=people, rotas=one_rotation(["anna", "bea"], start="2026-03-23"),
                            labor=[{"id": "base", "rules": rules}], expect_valid=False)

    # Horizon MO 2026-03-23 00:00 CET .. MO 03-30 00:00 CEST (7 calendar days, 167 h). Rest SA 07:00 CET ->
    # SU 18:00 CEST reads 35 h on the wall clock but is 34 h (the clocks skipped 02:00-03:00): too short.
    config, found = issues("18:00")
    assert config is None
    assert any("longest rest in the 7 days from here is 34 h, needs 35 h" in i.message for i in found)
    # Starting work at 19:00 CEST gives 35 h of absolute rest: fine.
    config, found = issues("19:00")
    assert config is not None, [i.message for i in found]


def test_working_hours_window_across_europe_fall_back_and_spring_forward(write_config):
    # anna works a night window SA "22:00-06:00" Berlin. Autumn: SA 2026-10-24 22:00 CEST (20:00 UTC) to
    # SU 06:00 CET (05:00 UTC) = 9 h, the repeated hour is worked. Spring: SA 2026-03-28 22:00 CET (21:00 UTC)
    # to SU 06:00 CEST (04:00 UTC) = 7 h. She is working at the second 02:30 (01:30 UTC) of the autumn night.
    from datetime import date, timedelta

    from bot.oncall.team import team_of
    config = team_config(write_config, [], people_extra={"anna": {"working_hours": {"SA": ["22:00-06:00"]}}})
    anna = team_of(config).person("anna")
    [(start, end)] = anna.work_on(date(2026, 10, 24))
    assert (start, end - start) == (utc("2026-10-24 20:00"), timedelta(hours=9))
    [(start, end)] = anna.work_on(date(2026, 3, 28))
    assert (start, end - start) == (utc("2026-03-28 21:00"), timedelta(hours=7))
    assert anna.working_at(utc("2026-10-25 01:30")) and not anna.working_at(utc("2026-10-25 05:00"))
