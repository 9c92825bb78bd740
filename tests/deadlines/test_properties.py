"""Invariants of the clock engine, checked on generated inputs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.deadlines.calendars import CalendarSpec, resolve_calendar
from bot.deadlines.rollover import Rollover
from bot.deadlines.rules import BusinessDaysRule, CalendarDaysRule, EarliestOfRule, HoursRule, MonthsRule, Pending, YearEndPlusRule
from bot.deadlines.assess import RuleContextImpl

ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                         "America/Sao_Paulo", "Pacific/Chatham"])
INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(tzinfo=timezone.utc))
CALENDARS = {"us": CalendarSpec(country="US"), "de": CalendarSpec(country="DE"), "au": CalendarSpec(country="AU", subdivision="NSW")}


def _no_chain(obligation_id: str):
    raise Pending(f"no chained stage {obligation_id} in these tests")


def _ctx(zone: str, aware: datetime, classified: datetime | None = None) -> RuleContextImpl:
    triggers = {"aware": aware} | ({"classified_major": classified} if classified else {})
    return RuleContextImpl(ZoneInfo(zone), triggers, {}, CALENDARS, _no_chain)


def _rules():
    return st.one_of(
        st.integers(1, 2000).map(lambda h: HoursRule(kind="hours", amount=h, **{"from": "aware"})),
        st.builds(lambda n, d: CalendarDaysRule(kind="calendar_days", amount=n, due=d, **{"from": "aware"}),
                  st.integers(1, 400), st.sampled_from(["end_of_day", "same_time"])),
        st.builds(lambda n, d: MonthsRule(kind="months", amount=n, due=d, **{"from": "aware"}),
                  st.integers(1, 24), st.sampled_from(["end_of_day", "same_time"])),
        st.builds(lambda n, c: BusinessDaysRule(kind="business_days", amount=n, calendar=c, **{"from": "aware"}),
                  st.integers(1, 30), st.sampled_from(sorted(CALENDARS))),
        st.integers(1, 120).map(lambda n: YearEndPlusRule(kind="year_end_plus", days=n, **{"from": "aware"})),
    )


@settings(max_examples=150, deadline=None)
@given(rule=_rules(), zone=ZONES, aware=INSTANTS)
def test_due_is_aware_utc_and_never_before_the_trigger(rule, zone, aware):
    due = rule.compute(_ctx(zone, aware))
    assert due.at.tzinfo is not None and due.at.utcoffset() == timedelta(0)
    assert due.at >= aware
    assert due.window_start == aware


@settings(max_examples=150, deadline=None)
@given(zone=ZONES, aware=INSTANTS, lag=st.integers(0, 96 * 60), a=st.integers(1, 48), b=st.integers(1, 72))
def test_earliest_of_is_never_later_than_any_limb(zone, aware, lag, a, b):
    classified = aware + timedelta(minutes=lag)
    limbs = [HoursRule(kind="hours", amount=a, **{"from": "classified_major"}),
             HoursRule(kind="hours", amount=b, **{"from": "aware"})]
    rule = EarliestOfRule(kind="earliest_of", of=limbs)
    ctx = _ctx(zone, aware, classified)
    due = rule.compute(ctx)
    assert all(due.at <= limb.compute(ctx).at for limb in limbs)
    assert due.at in {limb.compute(ctx).at for limb in limbs}


@settings(max_examples=150, deadline=None)
@given(zone=st.sampled_from(["Europe/Berlin", "Europe/Paris", "Australia/Sydney"]), aware=INSTANTS,
       hours=st.integers(1, 200), at=st.sampled_from(["00:00", "12:00", "24:00"]), country=st.sampled_from(["DE", "FR", "AU"]))
def test_rollover_never_moves_a_deadline_earlier(zone, aware, hours, at, country):
    ctx = RuleContextImpl(ZoneInfo(zone), {"aware": aware}, {"member_state": country},
                          {"ms": CalendarSpec(country_fact="member_state")}, _no_chain)
    due = HoursRule(kind="hours", amount=hours, **{"from": "aware"}).compute(ctx)
    rolled = Rollover(rule="next_working_day_at", at=at, calendar="ms").apply(due, ctx, {"member_state": country})
    assert rolled.at >= due.at
    day = rolled.at.astimezone(ZoneInfo(zone)).date()
    if rolled.at != due.at:  # moved: it lands on a working day
        assert resolve_calendar("ms", CalendarSpec(country_fact="member_state"), {"member_state": country}).is_working_day(day)


@settings(max_examples=100, deadline=None)
@given(zone=ZONES, aware=INSTANTS, hours=st.integers(1, 2000))
def test_hour_rules_are_exact_elapsed_time_in_any_zone(zone, aware, hours):
    due = HoursRule(kind="hours", amount=hours, **{"from": "aware"}).compute(_ctx(zone, aware))
    assert due.at - aware == timedelta(hours=hours)

