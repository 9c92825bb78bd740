"""The rule kinds, calendars and input parsing on their own."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.deadlines.assess import RuleContextImpl, Situation, assess
from bot.deadlines.calendars import CalendarSpec, resolve_calendar
from bot.deadlines.instants import parse_instant_input
from bot.deadlines.rules import add_months
from tests.deadlines.conftest import load_dir, utc, write_regime


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),   # February 2026 has 28 days
    (date(2028, 1, 31), 1, date(2028, 2, 29)),   # 2028 is a leap year
    (date(2026, 3, 31), 1, date(2026, 4, 30)),   # April has 30 days
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across the year end
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
])
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_us_calendar_closes_observed_dates_and_extra_closures():
    cal = resolve_calendar("sec", CalendarSpec(country="US", extra_closures=["2026-12-24"]), {})
    assert not cal.is_working_day(date(2021, 12, 31))  # New Year 2022 (Saturday) observed on Friday 2021-12-31
    assert not cal.is_working_day(date(2026, 7, 3))    # Independence Day 2026 (Saturday) observed Friday
    assert not cal.is_working_day(date(2026, 12, 24))  # extra closure from config
    assert cal.is_working_day(date(2026, 12, 23))
    assert cal.is_working_day(date(2026, 4, 3))  # Good Friday is not a federal holiday (the NYSE calendar differs)


def test_calendar_country_from_a_fact():
    spec = CalendarSpec(country_fact="member_state")
    assert not resolve_calendar("ms", spec, {"member_state": "de"}).is_working_day(date(2026, 10, 3))  # German Unity Day
    assert resolve_calendar("ms", spec, {"member_state": "FR"}).is_working_day(date(2026, 10, 2))  # Friday, no holiday in FR
    assert not resolve_calendar("ms", spec, {"member_state": "FR"}).is_working_day(date(2026, 7, 14))  # Bastille Day


@pytest.mark.parametrize("text, zone, expected", [
    ("2026-03-29T02:30:00+02:00", None, utc(2026, 3, 29, 0, 30)),
    ("2026-03-29T00:30:00Z", None, utc(2026, 3, 29, 0, 30)),
    ("2026-03-28T10:00[Europe/Berlin]", None, utc(2026, 3, 28, 9, 0)),  # CET (+01:00) the day before the change
    ("2026-10-25T04:00", "Europe/Berlin", utc(2026, 10, 25, 3, 0)),     # after the change: CET
])
def test_instant_inputs_that_name_one_instant(text, zone, expected):
    assert parse_instant_input(text, zone) == expected


def test_local_time_in_the_autumn_overlap_is_ambiguous():
    # 2026-10-25 02:30 happened twice in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET)
    with pytest.raises(ValueError, match="ambiguous in Europe/Berlin.*00:30 UTC and 2026-10-25 01:30 UTC"):
        parse_instant_input("2026-10-25T02:30", "Europe/Berlin")


def test_local_time_in_the_spring_gap_does_not_exist():
    with pytest.raises(ValueError, match="does not exist in Europe/Berlin"):
        parse_instant_input("2026-03-29T02:30[Europe/Berlin]")
    with pytest.raises(ValueError, match="does not exist in America/New_York"):
        parse_instant_input("2026-03-08T02:15", "America/New_York")


def test_local_time_without_offset_or_zone_is_rejected():
    with pytest.raises(ValueError, match="has no UTC offset"):
        parse_instant_input("2026-03-02T10:00")
    with pytest.raises(ValueError, match="expected an ISO 8601 time"):
        parse_instant_input("yesterday 10:00")


NOT_YET = """id: future
name: "Future regime"
jurisdiction: IN
status: not_yet_effective
effective_from: "2027-05-13"
zone: Asia/Kolkata
verification: {last_checked: "2026-11-22"}
obligations:
  - id: future.board
    title: "Detailed report to the Board"
    stage: report
    recipient: "Data Protection Board"
    deadline: {kind: hours, amount: 72, from: aware}
    citations: [{text: "Rule 7"}]
"""


def test_not_yet_effective_regime_is_informational_until_commencement(tmp_path):
    write_regime(tmp_path, "future", NOT_YET)
    config, issues = load_dir(tmp_path)
    assert config is not None, issues
    from bot.deadlines.catalog import regimes

    before = assess(regimes(config), ["future"], Situation(triggers={"aware": utc(2027, 5, 12, 10)}))[0]
    after = assess(regimes(config), ["future"], Situation(triggers={"aware": utc(2027, 5, 13, 10)}))[0]
    assert (before.status, before.legal) == ("informational", False)
    assert "not in effect until 2027-05-13" in before.reason
    # in force: aware 2027-05-13 10:00 UTC + 72 h = 2027-05-16 10:00 UTC = 15:30 IST
    assert (after.status, after.legal, after.to_json()["due_at"]) == ("deadline", True, "2027-05-16T15:30:00+05:30")


def test_regime_past_its_effective_until_is_informational(tmp_path):
    # effective_until 2027-05-31 (last day in force). A clock that starts on 2027-05-31 in Kolkata is legal; one that
    # starts on 2027-06-01 is not: no legal deadline, no reminders.
    write_regime(tmp_path, "sunset", NOT_YET.replace("id: future", "id: sunset").replace("future.board", "sunset.board")
                 .replace("status: not_yet_effective\neffective_from: \"2027-05-13\"",
                          "status: in_force\neffective_from: \"2020-01-01\"\neffective_until: \"2027-05-31\""))
    config, issues = load_dir(tmp_path)
    assert config is not None, issues
    from bot.deadlines.catalog import regimes

    last = assess(regimes(config), ["sunset"], Situation(triggers={"aware": utc(2027, 5, 31, 10)}))[0]
    # 2027-06-01 00:30 IST is still 2027-05-31 19:00 UTC: the local date in the rule's zone decides
    after = assess(regimes(config), ["sunset"], Situation(triggers={"aware": utc(2027, 5, 31, 19)}))[0]
    assert (last.status, last.legal) == ("deadline", True)
    assert (after.status, after.legal) == ("informational", False)
    assert "ceased to apply after 2027-05-31" in after.reason


def test_same_time_rule_in_a_spring_gap_moves_forward_not_back(tmp_path):
    # one calendar day after Sat 2026-03-28 02:30 CET is Sun 03-29 02:30, which does not exist in Berlin:
    # the due time moves forward by the gap to 03:30 CEST (01:30 UTC), never back to 01:30 CET.
    write_regime(tmp_path, "gap", """id: gap
name: "Gap"
jurisdiction: DE
status: in_force
zone: Europe/Berlin
verification: {last_checked: "2026-11-22"}
obligations:
  - id: gap.a
    title: "A"
    stage: a
    recipient: "X"
    deadline: {kind: calendar_days, amount: 1, from: aware, due: same_time}
    citations: [{text: "Test"}]
""")
    config, _ = load_dir(tmp_path)
    from bot.deadlines.catalog import regimes

    [result] = assess(regimes(config), ["gap"], Situation(triggers={"aware": utc(2026, 3, 28, 1, 30)}))
    assert result.due_at == utc(2026, 3, 29, 1, 30)
    assert result.due_local().isoformat() == "2026-03-29T03:30:00+02:00"
    assert result.due_local().tzinfo == ZoneInfo("Europe/Berlin")


def test_cutoff_ends_the_due_day_early_and_needs_end_of_day():
    from pydantic import ValidationError

    from bot.deadlines.rules import CalendarDaysRule

    ctx = RuleContextImpl(ZoneInfo("America/New_York"), {"aware": utc(2026, 3, 2, 15)}, {}, {}, _no_chain)
    # aware Mon 2026-03-02 10:00 EST; + 1 calendar day = Tue 03-03; cut-off 17:30 EST = 22:30 UTC
    rule = CalendarDaysRule(kind="calendar_days", amount=1, cutoff="17:30", **{"from": "aware"})
    assert rule.compute(ctx).at == utc(2026, 3, 3, 22, 30)
    with pytest.raises(ValidationError, match='expected "cutoff" only with due: end_of_day'):
        CalendarDaysRule(kind="calendar_days", amount=1, due="same_time", cutoff="17:30", **{"from": "aware"})


def _no_chain(obligation_id: str):
    from bot.deadlines.rules import Pending

    raise Pending(obligation_id)
