"""The general rule kinds a labor profile is written in.

Each rule is data: a ``kind``, its parameters, a ``severity`` (``block``: the
bot refuses or skips; ``warn``: it proceeds and says so; ``log``: recorded
only), the check points it runs at (``page``: before contacting a person,
``plan``: when a rota is checked) and a citation.  Countries differ only in
the parameters of these kinds, never in code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BeforeValidator, Field, field_validator, model_validator

from bot.config.types import ConfigModel, Identifier

Severity = Literal["block", "warn", "log"]
CheckPoint = Literal["plan", "page", "account", "review"]  # review: rota preview --diff

class RuleBase(ConfigModel):
    id: Identifier | None = Field(None, description="key used by `extends` and overlays to replace a rule; default: the kind")
    severity: Severity = "block"
    at: list[CheckPoint] | None = Field(None, description="check points; default depends on the kind")
    cite: str = Field(description="source of the rule: statute, article, case or agreement")
    note: str = ""

    DEFAULT_AT: ClassVar[tuple[str, ...]] = ()

    @field_validator("cite")
    @classmethod
    def _cite_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('expected a citation like "ArbZG §5(1)", got an empty text')
        return value

    @property
    def key(self) -> str:
        return self.id or self.kind  # type: ignore[attr-defined]

    def checked_at(self, point: str) -> bool:
        return point in (self.at if self.at is not None else self.DEFAULT_AT)

class OnInterrupt(ConfigModel):
    """What a call-out does to the daily rest, by when it starts (see :mod:`bot.oncall.callouts`).

    * ``working_time``: it starts inside the person's working hours;
    * ``incomplete_rest``: outside them, before ``hours`` of rest since the last work had passed;
    * ``complete_rest``: outside them, after a complete rest (it starts the new working day).

    Actions: ``work`` (it is working time like any other; the rest runs from the end of the working day,
    nobody is taken out), ``restart`` (the full rest is due again from the call-out's end; the person is
    not paged until it is over), ``compensate`` (the rest may be interrupted; equivalent compensatory rest
    is owed and enters the rest ledger), ``ignore`` (nothing).
    """

    working_time: Literal["work", "restart"] = "work"
    incomplete_rest: Literal["restart", "compensate", "ignore"] = "compensate"
    complete_rest: Literal["work", "restart"] = "work"

    def action(self, situation: str) -> str:
        return getattr(self, situation)


# Short forms: the action for a call-out during an incomplete rest; the other two situations are work.
# "restart_if_rest_incomplete" is kept as a synonym of "restart" (a complete rest is never restarted).
_ON_INTERRUPT_SHORT = {"restart": "restart", "restart_if_rest_incomplete": "restart", "compensate": "compensate",
                       "ignore": "ignore"}


def _on_interrupt(value):
    if isinstance(value, str):
        if value not in _ON_INTERRUPT_SHORT:
            raise ValueError(f'expected one of {", ".join(_ON_INTERRUPT_SHORT)} or a mapping with working_time, '
                             f'incomplete_rest and complete_rest, got "{value}"')
        return {"incomplete_rest": _ON_INTERRUPT_SHORT[value]}
    return value


class MinDailyRest(RuleBase):
    """Consecutive rest after work; what a call-out during standby does to it."""

    kind: Literal["min_daily_rest"]
    hours: float = Field(11, gt=0, le=24)
    on_interrupt: Annotated[OnInterrupt, BeforeValidator(_on_interrupt)] = Field(default_factory=OnInterrupt)
    DEFAULT_AT = ("plan", "page")

class MinWeeklyRest(RuleBase):
    kind: Literal["min_weekly_rest"]
    hours: float = Field(24, gt=0, le=96)
    plus_daily_rest: bool = Field(True, description="the daily rest is added to it (24 h + 11 h = 35 h)")
    per_days: int = Field(7, ge=1, le=14)
    DEFAULT_AT = ("plan",)

class MaxAvgWeeklyHours(RuleBase):
    kind: Literal["max_avg_weekly_hours"]
    hours: float = Field(48, gt=0)
    reference_weeks: int = Field(17, ge=1, description="averaging period; the plan check averages over the horizon")
    individual_opt_out: bool = Field(False, description="people whose contract has opt_out_48h are exempt")
    DEFAULT_AT = ("plan",)

class SundayHolidayWork(RuleBase):
    kind: Literal["sunday_holiday_work"]
    forbid: bool = True
    sundays: bool = True
    holidays: bool = True
    includes_standby: bool = Field(True, description="rostering standby on those days is already a violation")
    allow_if_activity: list[Identifier] = Field(default_factory=list,
                                                description="rotation activities the statute exempts, e.g. it_systems_continuity")
    activity_attestation_required: bool = Field(
        False, description="the activity exemption holds only if the work cannot wait for a weekday: the page says "
                           "so and asks for the reason to be recorded (ArbZG §10(1) Nr. 14)")
    DEFAULT_AT = ("plan", "page")

class ContactWindow(RuleBase):
    kind: Literal["contact_window"]
    mode: Literal["forbid", "may_refuse", "policy_required", "none"]
    during: Literal["rest_periods", "outside_working_hours"] = "rest_periods"
    rostered_standby_is_rest: bool = Field(
        False, description="true: being rostered on call is still rest, so even the on-call person may not be contacted")
    policy_ref: str = Field("", description="the company policy or charter (required for policy_required)")
    DEFAULT_AT = ("page",)

    @model_validator(mode="after")
    def _policy_named(self) -> "ContactWindow":
        if self.mode == "policy_required" and not self.policy_ref.strip():
            raise ValueError('expected policy_ref naming the disconnection policy when mode is "policy_required", got none')
        return self

class Leave(RuleBase):
    kind: Literal["leave"]
    DEFAULT_AT = ("plan", "page")

class MaxConsecutiveStandbyDays(RuleBase):
    kind: Literal["max_consecutive_standby_days"]
    days: float = Field(gt=0, le=62)
    DEFAULT_AT = ("plan",)

class MaxStandbyDaysInPeriod(RuleBase):
    """At most ``days`` x 24 h of standby in each ``per_days`` period (NL consignatie: 14 per 28)."""

    kind: Literal["max_standby_days_in_period"]
    days: float = Field(gt=0, le=366)
    per_days: int = Field(ge=1, le=366)
    DEFAULT_AT = ("plan",)

    @model_validator(mode="after")
    def _fits(self) -> "MaxStandbyDaysInPeriod":
        if self.days > self.per_days:
            raise ValueError(f"expected days at most per_days ({self.per_days}), got {self.days:g}")
        return self

class CompensationRequired(RuleBase):
    """Standby needs a compensation (money or rest) in the person's contract (FR astreinte contrepartie)."""

    kind: Literal["compensation_required"]
    DEFAULT_AT = ("plan",)

DayCount = Literal["all", "working_days"]  # working_days: Monday to Saturday except public holidays (a "Werktag")


class NightWorkLimit(RuleBase):
    """A night worker's hours, whole shifts counted: a cap per shift / 24 h and an average over a reference period."""

    kind: Literal["night_work_limit"]
    night_window: str = Field("23:00-06:00", description='local window "HH:MM-HH:MM" (may cross midnight)')
    max_hours_per_24h: float | None = Field(None, gt=0, le=24, description="cap per shift and per 24 h (incl. call-outs)")
    average_hours: float | None = Field(None, gt=0, le=24, description="per 24 h (or working day) on average ...")
    reference_days: int | None = Field(None, ge=1, le=366, description="... over this many calendar days")
    days: DayCount = Field("all", description="the divisor: every day, or working days")
    less_weekly_rest_days: float = Field(0, ge=0, le=7, description="days per week left out of the divisor "
                                                                     "(WTR reg 6(5): the weekly rest entitlement)")
    applies_if: Literal["night_worker", "everyone"] = "night_worker"
    DEFAULT_AT = ("plan", "page")

    @model_validator(mode="after")
    def _average_complete(self) -> "NightWorkLimit":
        if (self.average_hours is None) != (self.reference_days is None):
            raise ValueError("expected average_hours and reference_days together (an average needs its period)")
        return self

    @field_validator("night_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @property
    def window(self):
        return parse_window(self.night_window)

class StandbyClassification(RuleBase):
    kind: Literal["standby_classification"]
    on_site: Literal["working_time", "rest"] = "working_time"
    remote: Literal["working_time", "rest"] = "rest"
    review_if_response_minutes_at_most: int | None = Field(15, ge=0)
    DEFAULT_AT = ("plan",)

class MaxDailyHours(RuleBase):
    """Work a day: ``hours``, up to ``extendable_to`` if ``hours`` are kept on average over the reference period.

    Plan: scheduled work per local day and the average; page: work in the last 24 h, call-outs included."""

    kind: Literal["max_daily_hours"]
    hours: float = Field(8, gt=0, le=24)
    extendable_to: float | None = Field(None, gt=0, le=24)
    average_reference_days: int | None = Field(None, ge=1, le=366, description="e.g. 168 (24 weeks, ArbZG §3)")
    days: DayCount = "all"
    DEFAULT_AT = ("plan", "page")

    @model_validator(mode="after")
    def _extension(self) -> "MaxDailyHours":
        if self.extendable_to is not None and self.extendable_to < self.hours:
            raise ValueError(f"expected extendable_to at least hours ({self.hours:g}), got {self.extendable_to:g}")
        return self

class CalloutMinimum(RuleBase):
    """How call-outs count toward hours: at least ``minutes`` each; shorter gaps between them count as work."""

    kind: Literal["callout_minimum"]
    minutes: float = Field(30, ge=0, le=240)
    join_gaps_under_minutes: float = Field(30, ge=0, le=240)
    DEFAULT_AT = ("page",)

class ReplacementRestDay(RuleBase):
    """Work on a Sunday (a public holiday on a working day) needs a free working day within a period including it."""

    kind: Literal["replacement_rest_day"]
    after_sunday_within_days: int = Field(14, ge=1, le=366)
    after_holiday_within_days: int = Field(56, ge=1, le=366)
    includes_standby: bool = Field(True, description="standby on the Sunday or holiday counts as work there")
    standby_breaks_rest_day: bool = Field(True, description="a day with standby is not a free day")
    DEFAULT_AT = ("plan",)

class AdvanceNotice(RuleBase):
    """Standby schedules notified ``days`` ahead; never with fewer than ``exceptional_min_clear_days`` clear days."""

    kind: Literal["advance_notice"]
    days: int = Field(15, ge=1, le=366)
    exceptional_min_clear_days: int = Field(1, ge=0, le=366)
    DEFAULT_AT = ("review",)

class MinStandbyFreeBlocks(RuleBase):
    """In each ``per_days`` period at least ``count`` blocks of ``hours`` free of standby and work."""

    kind: Literal["min_standby_free_blocks"]
    count: int = Field(ge=1, le=31)
    hours: float = Field(gt=0, le=24 * 14)
    per_days: int = Field(ge=1, le=366)
    DEFAULT_AT = ("plan",)

class StandbyNightBuffer(RuleBase):
    """No standby ``before_hours`` before or ``after_hours`` after a night shift (more than ``min_night_hours`` of
    work inside ``night_window``)."""

    kind: Literal["standby_night_buffer"]
    before_hours: float = Field(0, ge=0, le=72)
    after_hours: float = Field(0, ge=0, le=72)
    night_window: str = "00:00-06:00"
    min_night_hours: float = Field(1, ge=0, le=24)
    DEFAULT_AT = ("plan",)

    @field_validator("night_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @property
    def window(self):
        return parse_window(self.night_window)

class WeeklyRestAtPage(RuleBase):
    """At page time: warn when a call-out would break the only rest of the calendar week long enough to be its
    weekly rest (default length: the profile's ``min_weekly_rest``, plus the daily rest if it says so)."""

    kind: Literal["weekly_rest_at_page"]
    hours: float | None = Field(None, gt=0, le=96)
    week_starts: int = Field(0, ge=0, le=6, description="0 = Monday")
    severity: Severity = "warn"
    DEFAULT_AT = ("page",)

class CompensatoryRest(RuleBase):
    """The rest ledger: owed compensatory rest must be scheduled within ``schedule_within_hours``, else the
    person's manager is nudged (:mod:`bot.oncall.rest_ledger`)."""

    kind: Literal["compensatory_rest"]
    schedule_within_hours: float = Field(0, ge=0, le=24 * 366,
                                         description="0: at once (compensatory rest must immediately follow, Jaeger)")
    DEFAULT_AT = ("account",)

class RestBreakNoOncall(RuleBase):
    kind: Literal["rest_break_no_oncall"]
    DEFAULT_AT = ("plan",)

LaborRule = Annotated[
    Union[MinDailyRest, MinWeeklyRest, MaxAvgWeeklyHours, SundayHolidayWork, ContactWindow, Leave,
          MaxConsecutiveStandbyDays, MaxStandbyDaysInPeriod, CompensationRequired, NightWorkLimit, StandbyClassification, RestBreakNoOncall,
          CompensatoryRest, MaxDailyHours, CalloutMinimum, ReplacementRestDay, AdvanceNotice, MinStandbyFreeBlocks,
          StandbyNightBuffer, WeeklyRestAtPage],
    Field(discriminator="kind"),
]

RULE_KINDS = ("min_daily_rest", "min_weekly_rest", "max_avg_weekly_hours", "sunday_holiday_work", "contact_window",
              "leave", "max_consecutive_standby_days", "max_standby_days_in_period", "compensation_required",
              "night_work_limit", "standby_classification",
              "rest_break_no_oncall", "compensatory_rest", "max_daily_hours", "callout_minimum", "replacement_rest_day",
              "advance_notice", "min_standby_free_blocks", "standby_night_buffer", "weekly_rest_at_page")

@lru_cache(maxsize=1024)
def parse_window(value: str):
    """'23:00-06:00' -> (time(23), time(6)); used for working hours, coverage and night windows."""
    from bot.config.types import parse_wall_time

    if isinstance(value, str) and value.count("-") == 1:
        start, end = value.split("-")
        try:
            return parse_wall_time(start.strip()), parse_wall_time(end.strip())
        except ValueError:
            pass
    raise ValueError(f'expected a local time window like "09:00-17:30", got "{value}"')

