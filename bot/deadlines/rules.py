"""Deadline rule kinds: small, general and pure.

Each kind turns an anchor instant into a due instant:

* ``hours``          elapsed time on the absolute time line (right across DST changes);
* ``calendar_days``  N days later on the local calendar, at the same local time or end of that day;
* ``months``         N calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb);
* ``business_days``  the N-th working day after the anchor's local date on a named calendar;
* ``year_end_plus``  N days after 31 December of the anchor's year (end of that day);
* ``earliest_of``    the earliest of several rules, with an optional override (DORA Art. 5(2));
* ``before``         no later than another notice ("before the consumer notice"): due when that one is
                     (its due time until it is submitted, then its actual submission);
* ``qualitative``    "without undue delay": no legal due time, only internal targets.

Local days are counted in the zone the rule is computed in (``RuleContext.zone``).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Literal, Protocol, Union
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, model_validator

from bot.config.types import ConfigModel, Duration, WallTime

TRIGGERS: dict[str, str] = {
    "aware": "the organisation became aware of the incident (or of reasonable certainty of a breach)",
    "discovered": "the incident was discovered (known, or would have been known with reasonable diligence)",
    "determined": "the organisation determined that a breach / notifiable incident occurred",
    "classified_major": "the incident was classified as major (e.g. DORA classification criteria)",
    "materiality_determined": "the incident was determined to be material (SEC Form 8-K Item 1.05)",
    "ransom_paid": "a ransom or extortion payment was made",
    "assessed_notifiable": "the assessment concluded that the breach is notifiable",
    "corrective_measure_available": "a corrective or mitigating measure for the vulnerability became available",
}
SUBMITTED = "submitted:"
END_OF_DAY = time(23, 59, 59)


def _check_anchor(value: str) -> str:
    if value in TRIGGERS:
        return value
    if value.startswith(SUBMITTED) and "." in value[len(SUBMITTED):]:
        return value
    raise ValueError(f"expected a trigger ({', '.join(TRIGGERS)}) or \"submitted:<obligation id>\", got \"{value}\"")


Anchor = Annotated[str, AfterValidator(_check_anchor)]


@dataclass(frozen=True)
class AnchorTime:
    instant: datetime  # aware UTC
    estimated: bool
    text: str  # e.g. "aware 2026-03-27 10:00 UTC"


class Pending(Exception):
    """The clock has not started: an anchor it needs is not known yet."""


class RuleContext(Protocol):
    zone: ZoneInfo

    def anchor(self, name: str) -> AnchorTime:
        """The instant of a trigger or (estimated) submission; raises Pending when unknown."""

    def calendar(self, name: str):  # -> WorkingCalendar; raises CalendarUnknown
        ...


@dataclass(frozen=True)
class Due:
    at: datetime  # aware UTC
    estimated: bool
    window_start: datetime  # the anchor instant: start of the window (for "half the window" reminders)
    steps: tuple[str, ...] = field(default_factory=tuple)


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """A local wall time as UTC. A time in a spring gap moves forward by the gap; in an autumn
    overlap the first (earlier) occurrence is used."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(timezone.utc)


def fmt(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M %Z") + ("" if zone.key == "UTC" else f" ({instant.strftime('%H:%M')} UTC)")


class HoursRule(ConfigModel):
    kind: Literal["hours"]
    amount: float = Field(gt=0)
    from_: Anchor = Field(alias="from")

    def compute(self, ctx: RuleContext) -> Due:
        anchor = ctx.anchor(self.from_)
        due = anchor.instant + timedelta(hours=self.amount)
        return Due(due, anchor.estimated, anchor.instant, (f"{_n(self.amount)} h after {anchor.text} = {fmt(due, ctx.zone)}",))


class _LocalDayRule(ConfigModel):
    due: Literal["end_of_day", "same_time"] = "end_of_day"
    cutoff: WallTime | None = Field(default=None, description='with due: end_of_day, the due day ends at this local '
                                                              'time instead (e.g. "17:30", a filing system\'s cut-off)')

    @model_validator(mode="after")
    def _cutoff_needs_end_of_day(self):
        if self.cutoff is not None and self.due != "end_of_day":
            raise ValueError(f'expected "cutoff" only with due: end_of_day (it ends the due day early), got due: {self.due}')
        return self

    def _finish(self, ctx: RuleContext, anchor: AnchorTime, day: date, what: str) -> Due:
        if self.due == "same_time":
            wall, meaning = anchor.instant.astimezone(ctx.zone).time(), "same local time"
        elif self.cutoff is not None:
            wall, meaning = self.cutoff, f"by the {self.cutoff:%H:%M} cut-off of that day"
        else:
            wall, meaning = END_OF_DAY, "end of that day"
        due = local_instant(day, wall, ctx.zone)
        return Due(due, anchor.estimated, anchor.instant,
                   (f"{what} after {anchor.text}, {meaning} in {ctx.zone.key} = {fmt(due, ctx.zone)}",))


class CalendarDaysRule(_LocalDayRule):
    kind: Literal["calendar_days"]
    amount: int = Field(gt=0)
    from_: Anchor = Field(alias="from")
    first_day: Literal["next_day", "anchor_day"] = Field(
        default="next_day", description="next_day: day 1 is the day after the anchor's local day (the usual count); "
                                        "anchor_day: the anchor's own day is day 1, so the period ends a day earlier")

    def compute(self, ctx: RuleContext) -> Due:
        anchor = ctx.anchor(self.from_)
        shift = self.amount - (1 if self.first_day == "anchor_day" else 0)
        day = anchor.instant.astimezone(ctx.zone).date() + timedelta(days=shift)
        counted = " (the anchor's own day is day 1)" if self.first_day == "anchor_day" else ""
        return self._finish(ctx, anchor, day, f"{self.amount} calendar days{counted}")


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic with month-end clamping (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class MonthsRule(_LocalDayRule):
    kind: Literal["months"]
    amount: int = Field(gt=0)
    from_: Anchor = Field(alias="from")
    due: Literal["end_of_day", "same_time"] = "same_time"

    def compute(self, ctx: RuleContext) -> Due:
        anchor = ctx.anchor(self.from_)
        start = anchor.instant.astimezone(ctx.zone).date()
        day = add_months(start, self.amount)
        clamped = " (clamped to the month's last day)" if day.day != start.day else ""
        return self._finish(ctx, anchor, day, f"{self.amount} month(s){clamped}")


class BusinessDaysRule(_LocalDayRule):
    kind: Literal["business_days"]
    amount: int = Field(gt=0)
    from_: Anchor = Field(alias="from")
    calendar: str = Field(min_length=1, description="name of a calendar in this regime's calendars")

    def compute(self, ctx: RuleContext) -> Due:
        from bot.deadlines.calendars import CalendarUnknown

        anchor = ctx.anchor(self.from_)
        start = anchor.instant.astimezone(ctx.zone).date()
        try:
            cal = ctx.calendar(self.calendar)
        except CalendarUnknown as exc:
            # Every day counted as a working day: never later than on any real calendar (conservative).
            day = start + timedelta(days=self.amount)
            return self._finish(ctx, anchor, day, f"{self.amount} business days, counted as calendar days until the "
                                                  f"calendar is known ({exc}; conservative)")
        day = cal.add_working_days(start, self.amount)
        note = "" if cal.is_working_day(start) else f" (anchor day {start} is not a working day: counting starts on the next one)"
        return self._finish(ctx, anchor, day, f"{self.amount} business days on {cal.describe()}{note}")


class YearEndPlusRule(ConfigModel):
    kind: Literal["year_end_plus"]
    days: int = Field(gt=0)
    from_: Anchor = Field(alias="from")

    def compute(self, ctx: RuleContext) -> Due:
        anchor = ctx.anchor(self.from_)
        year = anchor.instant.astimezone(ctx.zone).year
        day = date(year, 12, 31) + timedelta(days=self.days)
        due = local_instant(day, END_OF_DAY, ctx.zone)
        return Due(due, anchor.estimated, anchor.instant,
                   (f"{self.days} days after the end of {year} (year of {anchor.text}) = {fmt(due, ctx.zone)}",))


class OverrideWhen(ConfigModel):
    anchor: Anchor
    later_than: Anchor
    by: Duration


class Override(ConfigModel):
    when: OverrideWhen
    use: "SimpleRule"
    note: str = ""


class EarliestOfRule(ConfigModel):
    kind: Literal["earliest_of"]
    of: list["SimpleRule"] = Field(min_length=2)
    override: Override | None = None

    def compute(self, ctx: RuleContext) -> Due:
        if self.override is not None:
            w = self.override.when
            try:
                late, early = ctx.anchor(w.anchor), ctx.anchor(w.later_than)
            except Pending:
                late = early = None
            if late and early and late.instant > early.instant + w.by:
                used = self.override.use.compute(ctx)
                why = f"{w.anchor} came more than {_n(w.by.total_seconds() / 3600)} h after {w.later_than}, so only"
                return Due(used.at, used.estimated, used.window_start, (why, *used.steps))
        limbs: list[Due] = []
        waiting: list[str] = []
        for rule in self.of:
            try:
                limbs.append(rule.compute(ctx))
            except Pending as exc:
                waiting.append(str(exc))
        if not limbs:
            raise Pending("; ".join(waiting))
        best = min(limbs, key=lambda d: d.at)
        steps = ["earliest of [" + "; ".join(s for d in limbs for s in d.steps) + "]"]
        if waiting:
            steps.append("not yet known, may make it earlier: " + "; ".join(waiting))
        return Due(best.at, best.estimated, min(d.window_start for d in limbs), tuple(steps))


def _check_obligation_id(value: str) -> str:
    if "." not in value or value.startswith(SUBMITTED):
        raise ValueError(f'expected the id of another obligation like "us_state_md.residents", got "{value}"')
    return value


class BeforeRule(ConfigModel):
    """An ordering constraint: this notice must go out no later than another one (e.g. the Attorney General
    before the consumers). Due when that notice is: its due time until it is submitted, then the submission."""

    kind: Literal["before"]
    of: Annotated[str, AfterValidator(_check_obligation_id)] = Field(
        description="the obligation this one must precede, e.g. us_state_md.residents")

    @property
    def from_(self) -> str:
        return SUBMITTED + self.of

    def compute(self, ctx: RuleContext) -> Due:
        anchor = ctx.anchor(self.from_)
        return Due(anchor.instant, anchor.estimated, anchor.instant,
                   (f"no later than the notice {self.of}: {anchor.text} = {fmt(anchor.instant, ctx.zone)}",))


class QualitativeRule(ConfigModel):
    kind: Literal["qualitative"]
    text: str = Field(min_length=1, description='the legal standard, e.g. "without undue delay"')
    from_: Anchor | None = Field(default=None, alias="from", description="anchor for internal targets")
    internal_targets: list[Duration] = Field(default_factory=list,
                                             description="company targets after the anchor; labelled internal, never legal")


SimpleRule = Annotated[
    Union[HoursRule, CalendarDaysRule, MonthsRule, BusinessDaysRule, YearEndPlusRule, BeforeRule],
    Field(discriminator="kind"),
]
DeadlineRule = Annotated[
    Union[HoursRule, CalendarDaysRule, MonthsRule, BusinessDaysRule, YearEndPlusRule, BeforeRule, EarliestOfRule,
          QualitativeRule],
    Field(discriminator="kind"),
]
Override.model_rebuild()
EarliestOfRule.model_rebuild()


def anchors_of(rule: object) -> list[str]:
    if isinstance(rule, EarliestOfRule):
        found = [a for r in rule.of for a in anchors_of(r)]
        if rule.override:
            found += [rule.override.when.anchor, rule.override.when.later_than, *anchors_of(rule.override.use)]
        return found
    anchor = getattr(rule, "from_", None)
    return [anchor] if anchor else []


def calendars_of(rule: object) -> list[str]:
    if isinstance(rule, EarliestOfRule):
        return [c for r in rule.of for c in calendars_of(r)] + (calendars_of(rule.override.use) if rule.override else [])
    return [rule.calendar] if isinstance(rule, BusinessDaysRule) else []


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def precedes(deadline: Any) -> list[str]:
    """The obligations a deadline rule says this one must precede."""
    if isinstance(deadline, BeforeRule):
        return [deadline.of]
    if isinstance(deadline, EarliestOfRule):
        return [o for rule in deadline.of for o in precedes(rule)]
    return []
