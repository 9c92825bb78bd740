"""Hours a person has worked, for the page-time limits: working hours plus call-outs and recorded work.

A profile's ``callout_minimum`` rule makes each call-out count at least its
``minutes`` and joins call-outs less than ``join_gaps_under_minutes`` apart
(Dutch consignatie: every call-out counts at least 30 minutes, and a gap of
less than 30 minutes between two call-outs is work).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.oncall.history import EngagementHistory
from bot.oncall.schedule import merge
from bot.oncall.team import Interval, PersonInfo


def callouts(person: PersonInfo, history: EngagementHistory, start: datetime, end: datetime) -> list[Interval]:
    """Call-outs and recorded work overlapping [start, end), as counted under the profile's ``callout_minimum``."""
    rules = person.rules.of_kind("callout_minimum")
    minimum = timedelta(minutes=rules[0].minutes) if rules else timedelta(0)
    join = timedelta(minutes=rules[0].join_gaps_under_minutes) if rules else timedelta(0)
    spans = [(e.start, max(e.end or end, e.start + minimum)) for e in history.engagements(person.id, before=end)]
    spans = [(s, e) for s, e in spans if e > start]
    joined: list[Interval] = []
    for s, e in sorted(spans):
        if joined and s - joined[-1][1] < join:
            joined[-1] = (joined[-1][0], max(joined[-1][1], e))
        else:
            joined.append((s, e))
    return joined


def worked(person: PersonInfo, history: EngagementHistory, start: datetime, end: datetime) -> list[Interval]:
    """Work inside [start, end): working hours (only as far as they have passed at ``end``) and call-outs."""
    spans = [(max(s, start), min(e, end)) for s, e in person.work_between(start, end) if s < end and e > start]
    spans += [(max(s, start), min(e, end)) for s, e in callouts(person, history, start, end)]
    return merge([(s, e) for s, e in spans if s < e])


def hours(spans: list[Interval]) -> float:
    return sum((e - s).total_seconds() / 3600 for s, e in spans)


def below_limit_from(spans: list[Interval], at: datetime, limit: float, window: timedelta) -> datetime:
    """For work ``spans`` (in the ``window`` before ``at``) that reached ``limit``: the instant the oldest work has
    left the trailing window so far that less than ``limit`` remains, if no more work comes."""
    excess = max(timedelta(hours=hours(spans) - limit), timedelta(0))
    for s, e in sorted(spans):  # the oldest work leaves the window first
        if e - s >= excess:
            return s + excess + window
        excess -= e - s
    return at + window
