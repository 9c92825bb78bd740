"""What a call-out does to the daily rest: during working time, during an incomplete rest, after a complete one.

The rest runs from the end of the working day (ArbZG §5(1); Directive
2003/88/EC art. 3).  So a call-out is one of three things:

* inside the person's working hours it is **working time** like any other;
* outside them, before a full rest since the last work had passed, it
  **interrupts an incomplete rest**: what follows depends on the profile
  (restart in full, compensatory rest owed, or nothing);
* outside them, after a complete rest, it **starts the new working day**:
  no rest was interrupted.

The profile's ``min_daily_rest.on_interrupt`` maps each situation to an
action (:class:`bot.oncall.labor_rules.OnInterrupt`).  Work before a call-out
is the person's working hours plus every earlier call-out and work record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.oncall.history import Engagement, EngagementHistory
from bot.oncall.labor_rules import MinDailyRest
from bot.oncall.team import PersonInfo

Situation = Literal["working_time", "incomplete_rest", "complete_rest"]

SITUATION_TEXT = {
    "working_time": "during working time",
    "incomplete_rest": "during an incomplete rest",
    "complete_rest": "after a complete rest",
}


@dataclass(frozen=True)
class CalloutEffect:
    """A finished call-out under one ``min_daily_rest`` rule."""

    engagement: Engagement
    situation: Situation
    rest_before_hours: float | None  # rest since the previous work; None: no earlier work known
    action: str  # work | restart | compensate | ignore
    rest_until: datetime | None  # restart: when the full rest is over; compensate: when equivalent rest would end

    def describe(self) -> str:
        before = "" if self.rest_before_hours is None else f" after {self.rest_before_hours:.4g} h of rest"
        return f"call-out {SITUATION_TEXT[self.situation]}{before}"


def previous_work_end(person: PersonInfo, history: EngagementHistory, before: datetime) -> datetime | None:
    """End of the latest work (working hours, a call-out or a work record) that ended at or before ``before``."""
    ends = [e.end for e in history.engagements(person.id, before=before) if e.end is not None and e.end <= before]
    last = person.last_work_end(before)
    if last is not None:
        ends.append(last)
    return max(ends) if ends else None


def situation_of(person: PersonInfo, history: EngagementHistory, start: datetime,
                 rest_hours: float) -> tuple[Situation, float | None]:
    """The situation of a call-out starting at ``start`` and the rest (hours) it found."""
    if person.working_at(start):
        return "working_time", None
    if any(e.start < start and (e.end is None or e.end > start) for e in history.engagements(person.id, before=start)):
        return "working_time", None  # still at work on an earlier call-out: one continuous stretch of work
    previous = previous_work_end(person, history, start)
    if previous is None:
        return "complete_rest", None
    rest = (start - previous) / timedelta(hours=1)
    return ("incomplete_rest" if rest < rest_hours else "complete_rest"), rest


def effect(person: PersonInfo, history: EngagementHistory, engagement: Engagement, rule: MinDailyRest) -> CalloutEffect:
    situation, rest = situation_of(person, history, engagement.start, rule.hours)
    action = rule.on_interrupt.action(situation)
    until = None
    if engagement.end is not None and action in ("restart", "compensate"):
        until = engagement.end + timedelta(hours=rule.hours)
    return CalloutEffect(engagement, situation, rest, action, until)


def effects_since(person: PersonInfo, history: EngagementHistory, rule: MinDailyRest,
                  since: datetime, before: datetime) -> list[CalloutEffect]:
    """Effects of the call-outs that ended in ``[since, before]``, oldest first."""
    done = [e for e in history.engagements(person.id, before=before)
            if e.end is not None and since <= e.end <= before]
    return [effect(person, history, e, rule) for e in sorted(done, key=lambda e: e.end)]  # type: ignore[arg-type, return-value]
