"""``config/rotas.yaml``: rotations, overrides, deputies, incident roles, escalation.

Layers: a rotation says who is on call by cadence; an override (a swap or a
cover) is a higher layer and always wins for its time range.  Each rotation
has deputies (the next people in the rotation, or a fixed list) and a
fallback manager who is paged when nobody else may be.  ``bot check`` reads the
file against the others with :mod:`bot.oncall.rota_check`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from bot.config.types import ConfigModel, Date, Duration, Identifier, TimeZoneName, parse_wall_time, parse_weekday_time
from bot.oncall.labor_rules import parse_window
from bot.oncall.people import parse_days


def _local_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0))
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f'expected a local date and time like "2026-12-24 09:00" (or with offset "+01:00"), got "{value}"')


LocalDateTime = Annotated[datetime, BeforeValidator(_local_datetime)]


class Coverage(ConfigModel):
    days: str = "MO-SU"
    window: str = "00:00-24:00"

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        try:
            parse_days(value)
        except ValueError:
            raise ValueError(f'expected weekdays like "MO-FR" or "SA,SU", got "{value}"') from None
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value


class Rotation(ConfigModel):
    id: Identifier
    name: str = ""
    timezone: TimeZoneName = Field(description="zone of the handoff and coverage wall-clock times")
    participants: list[Identifier] = Field(min_length=1)
    start: Date = Field(description="anchor: a handoff date on which the first participant takes over; the cadence "
                        "runs from it in both directions (like PagerDuty's rotation_virtual_start)")
    handoff: str = Field("MO 09:00", description='"MO 09:00" for weekly/fortnightly cadence, "09:00" for daily')
    cadence: Literal["daily", "weekly", "fortnightly"] = "weekly"
    coverage: list[Coverage] = Field(default_factory=list, description="windows covered; empty = around the clock")
    deputies: Literal["next_in_rotation"] | list[Identifier] = "next_in_rotation"
    fallback: Identifier = Field(description="manager paged when nobody else may be paged")
    escalation: Identifier | None = Field(None, description="escalation policy used when this rotation is paged")
    ack_timeout: Duration = Field(timedelta(minutes=5), description="for the built-in policy: on call, then deputy, then fallback")
    activity: Identifier | None = Field(None, description="activity exempted by some statutes, e.g. it_systems_continuity")
    standby: Literal["remote", "on_site"] = "remote"
    response_minutes: int | None = Field(None, ge=0, description="how fast the person must respond when paged")
    deputies_on_standby: bool = Field(False, description="the first deputy is told they are on standby, so they count "
                                                          "as rostered (not at rest) for contact rules")

    @field_validator("handoff")
    @classmethod
    def _handoff(cls, value: str) -> str:
        try:
            parse_weekday_time(value)
        except ValueError:
            try:
                parse_wall_time(value)
            except ValueError:
                raise ValueError(f'expected a handoff like "MO 09:00" (or "09:00" for a daily cadence), got "{value}"') from None
        return value

    @model_validator(mode="after")
    def _start_matches_handoff(self) -> "Rotation":
        if self.cadence != "daily":
            try:
                weekday, _ = parse_weekday_time(self.handoff)
            except ValueError:
                raise ValueError(f'expected a handoff with a weekday like "MO 09:00" for a {self.cadence} cadence, '
                                 f'got "{self.handoff}"') from None
            if self.start.weekday() != weekday:
                raise ValueError(f"expected start to fall on the handoff weekday ({self.handoff.split()[0]}), "
                                 f"got {self.start} which is a {self.start.strftime('%A')}")
        return self

    @cached_property
    def handoff_time(self) -> time:
        try:
            return parse_weekday_time(self.handoff)[1]
        except ValueError:
            return parse_wall_time(self.handoff)

    @property
    def period_days(self) -> int:
        return {"daily": 1, "weekly": 7, "fortnightly": 14}[self.cadence]


class Override(ConfigModel):
    rotation: Identifier
    person: Identifier
    start: LocalDateTime = Field(alias="from", description="local time of the rotation unless an offset is given")
    end: LocalDateTime = Field(alias="to")
    replaces: Identifier | None = Field(None, description="only while this person is rostered (a swap)")
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "Override":
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("expected 'from' and 'to' both with or both without a UTC offset")
        if self.end <= self.start:
            raise ValueError(f"expected 'to' after 'from' ({self.start}), got {self.end}")
        return self


class Target(ConfigModel):
    rotation: Identifier | None = Field(None, description="whoever is on call (their deputy if they may not be paged)")
    deputies_of: Identifier | None = Field(None, description="the next eligible deputy of that rotation")
    person: Identifier | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Target":
        given = [k for k in ("rotation", "deputies_of", "person") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of rotation, deputies_of or person, got {given or 'none'}")
        return self


class Level(ConfigModel):
    targets: list[Target] = Field(min_length=1)
    ack_timeout: Duration = timedelta(minutes=5)


class UrgencyHandling(ConfigModel):
    low: Literal["hold_until_working_hours", "page_now"] = "hold_until_working_hours"
    high: Literal["hold_until_working_hours", "page_now"] = "page_now"


class EscalationPolicy(ConfigModel):
    id: Identifier
    name: str = ""
    levels: list[Level] = Field(min_length=1)
    repeat: int = Field(0, ge=0, le=5, description="times the levels run again after the last one")
    fallback: Identifier = Field(description="manager paged when nobody at any level may be paged")
    urgency: UrgencyHandling = Field(default_factory=UrgencyHandling)


class ComplianceHorizon(ConfigModel):
    start: Date | None = Field(None, alias="from", description="first day checked; default: the latest rotation start")
    days: int = Field(28, ge=1, le=366)
    weeks_ahead: int = Field(8, ge=0, le=104, description="`check` also checks this many weeks from the day it runs; "
                                                           "0: the fixed window only")


class RotasFile(ConfigModel):
    compliance: ComplianceHorizon = Field(default_factory=ComplianceHorizon)
    rotations: list[Rotation] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)
    roles: dict[Identifier, list[Identifier]] = Field(default_factory=dict,
                                                      description="incident role -> people in order (deputies)")
    escalation_policies: list[EscalationPolicy] = Field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.rotations)} rotations, {len(self.escalation_policies)} escalation policies, "
                f"{len(self.overrides)} overrides, {len(self.roles)} roles")

    def horizon_start(self) -> date:
        return self.compliance.start or max(r.start for r in self.rotations)
