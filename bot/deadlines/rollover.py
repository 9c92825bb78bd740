"""Roll-forward of a due time that falls on a non-working day: only where a rule says so.

Hour-based EU clocks do not roll (Reg. 1182/71 Art. 3(4) covers only periods
"expressed otherwise than in hours"); the catalog opts in per obligation, e.g.
DORA (CDR (EU) 2025/301 Art. 5(4)): a limit on a weekend or bank holiday in the
entity's Member State moves to 12:00 of the next working day, except for the
entity types listed in ``not_for`` (Art. 5(5)).

Unknown facts never grant relief: if the calendar's country, an exemption
fact or a fact listed in ``needs_facts`` (e.g. the entity's zone: 12:00 in
Brussels is 13:00 in Helsinki) is unknown, the earlier (unrolled) time stands
and the reason says why.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bot.config.types import ConfigModel, WallTime
from bot.deadlines.calendars import CalendarUnknown
from bot.deadlines.conditions import MISSING, Condition, evaluate, lookup
from bot.deadlines.rules import Due, RuleContext, fmt, local_instant


class Rollover(ConfigModel):
    rule: Literal["next_working_day_at"]
    at: WallTime = Field(description='local time on the next working day, e.g. "12:00" ("24:00" = end of day)')
    calendar: str = Field(min_length=1, description="name of a calendar in this regime's calendars")
    not_for: list[Condition] = Field(default_factory=list,
                                     description="if any of these holds, the entity gets no roll-forward")
    needs_facts: list[str] = Field(default_factory=list,
                                   description="facts that must be known before relief is granted, e.g. the entity's "
                                               "zone, which decides the local day and the time the limit moves to")
    citation: str = ""

    def apply(self, due: Due, ctx: RuleContext, facts: dict[str, Any]) -> Due:
        exempt_by: list[str] = []
        unknown: list[str] = []
        for condition in self.not_for:
            verdict = evaluate(condition, facts, getattr(ctx, "derived", None))
            if verdict.value:
                exempt_by.extend(verdict.used)
            elif verdict.value is None:
                unknown.extend(verdict.missing)
        unknown.extend(name for name in self.needs_facts if lookup(facts, name) is MISSING)
        if exempt_by:
            return _with(due, f"no roll-forward: exempt because {'; '.join(exempt_by)}")
        if unknown:
            return _with(due, f"no roll-forward applied until known: {', '.join(dict.fromkeys(unknown))} (conservative)")
        try:
            cal = ctx.calendar(self.calendar)
        except CalendarUnknown as exc:
            return _with(due, f"no roll-forward applied: {exc} (conservative)")
        day = due.at.astimezone(ctx.zone).date()
        if cal.is_working_day(day):
            return _with(due, f"falls on a working day ({day}) on {cal.describe()}: no roll-forward")
        target = cal.next_working_day(day)
        rolled = max(due.at, local_instant(target, self.at, ctx.zone))
        cite = f" ({self.citation})" if self.citation else ""
        return Due(rolled, due.estimated, due.window_start,
                   (*due.steps, f"{day} is not a working day on {cal.describe()}: moved to "
                                f"{self.at.strftime('%H:%M')} on the next working day{cite} = {fmt(rolled, ctx.zone)}"))


def _with(due: Due, step: str) -> Due:
    return Due(due.at, due.estimated, due.window_start, (*due.steps, step))
