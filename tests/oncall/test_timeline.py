"""The per-person time index of the plan-time checks answers like a scan of every interval would."""

from __future__ import annotations

import typing
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.oncall.labor_rules import LaborRule
from bot.oncall.plan_checks import PLAN_CHECKS
from bot.oncall.schedule import merge, subtract
from bot.oncall.timeline import Timeline

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)

# intervals of whole minutes inside three days, possibly overlapping, touching or empty-handed
interval = st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 20 * 60)).map(
    lambda t: (T0 + timedelta(minutes=t[0]), T0 + timedelta(minutes=t[0] + t[1])))
window = st.tuples(st.integers(-600, 4 * 24 * 60), st.integers(1, 2 * 24 * 60)).map(
    lambda t: (T0 + timedelta(minutes=t[0]), T0 + timedelta(minutes=t[0] + t[1])))


@settings(max_examples=300, deadline=None)
@given(intervals=st.lists(interval, max_size=25), win=window)
def test_window_queries_match_a_scan_of_every_interval(intervals, win):
    start, end = win
    timeline = Timeline(intervals)
    spans = merge(intervals)
    # the reference: every merged span tested against the window, as the checks did before the index
    touching = [(s, e) for s, e in spans if e > start and s < end]
    assert timeline.overlapping(start, end) == touching
    assert timeline.overlaps(start, end) == bool(touching)
    assert timeline.gaps_within(start, end) == subtract([(start, end)], intervals)
    expected_hours = sum((min(e, end) - max(s, start)).total_seconds() / 3600 for s, e in touching)
    assert timeline.hours_within(start, end) == expected_hours
    gaps = subtract([(start, end)], intervals)
    assert timeline.longest_gap_hours(start, end) == max(((e - s).total_seconds() / 3600 for s, e in gaps), default=0.0)


def test_touching_intervals_are_one_span_and_a_window_ending_at_a_span_does_not_overlap_it():
    a = (T0, T0 + timedelta(hours=2))
    b = (T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    timeline = Timeline([b, a])
    assert list(timeline) == [(T0, T0 + timedelta(hours=3))]
    assert not timeline.overlaps(T0 - timedelta(hours=1), T0)  # [T0-1h, T0) ends where the span begins
    assert timeline.overlaps(T0 + timedelta(hours=2, minutes=59), T0 + timedelta(hours=4))
    assert not timeline.overlaps(T0 + timedelta(hours=3), T0 + timedelta(hours=4))
    assert timeline.gaps_within(T0 - timedelta(hours=1), T0 + timedelta(hours=4)) == [
        (T0 - timedelta(hours=1), T0), (T0 + timedelta(hours=3), T0 + timedelta(hours=4))]


def test_every_rule_kind_checked_at_plan_time_has_one_check():
    # leave is checked for every rostered person, with or without a rule (compliance.check_leave)
    plan_kinds = {cls.model_fields["kind"].annotation.__args__[0]
                  for cls in typing.get_args(typing.get_args(LaborRule)[0]) if "plan" in cls.DEFAULT_AT}
    assert plan_kinds - {"leave"} <= set(PLAN_CHECKS), plan_kinds - set(PLAN_CHECKS)
    assert "min_daily_rest" in plan_kinds and "leave" in plan_kinds  # the introspection found the kinds
