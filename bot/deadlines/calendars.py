"""Working-day calendars for business-day deadlines and roll-forward rules.

A calendar is data in a regime file::

    calendars:
      us_federal_sec: {country: US, observed: true, extra_closures: ["2025-12-24"]}
      member_state:   {country_fact: member_state}     # the entity's own country (DORA Art. 5(4))

Holidays come from the ``holidays`` package (country and optional
subdivision); ``observed: true`` keeps observed dates (a Saturday New Year's
Day is a closed Friday in the previous year), ``extra_closures`` adds dates
the package cannot know (e.g. executive-order closures of the SEC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from pydantic import Field, model_validator

from bot.config.types import ConfigModel, Date, Weekday


class CalendarSpec(ConfigModel):
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code known to the holidays package")
    country_fact: str | None = Field(default=None, description="fact holding the country code (e.g. member_state)")
    subdivision: str | None = None
    subdivision_fact: str | None = None
    observed: bool = True
    weekend: list[Weekday] = Field(default_factory=lambda: [5, 6], description="closed weekdays (default SA, SU)")
    extra_closures: list[Date] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _one_country_source(self) -> "CalendarSpec":
        if (self.country is None) == (self.country_fact is None):
            raise ValueError('expected exactly one of "country" (e.g. "US") or "country_fact" (e.g. "member_state"), '
                             f"got {'both' if self.country else 'neither'}")
        if self.country is not None:
            check_country(self.country, self.subdivision)
        return self


def check_country(country: str, subdivision: str | None) -> None:
    if country not in _country_codes():
        raise ValueError(f'expected a country code known to the holidays package like "US" or "DE", got "{country}"')
    if subdivision is None:
        return
    # only this country's module is imported: holidays.list_supported_countries() imports all 250 of them,
    # which was a fifth of a cold `deadlines` command
    import holidays  # here, not at the top: most assessments use no working-day calendar (60 ms of start-up)

    subdivisions = list(getattr(holidays, country).subdivisions)
    if subdivision not in subdivisions:
        known = ", ".join(subdivisions[:12])
        raise ValueError(f'expected a subdivision of {country} ({known}{" ..." if len(subdivisions) > 12 else ""}), '
                         f'got "{subdivision}"')


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    """Codes and aliases (e.g. UK for GB) known to the holidays package, read from its registry without imports."""
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes(include_aliases=True))


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, observed: bool, year: int) -> frozenset[date]:
    # observed dates of one year can fall in the year before (Saturday 1 January -> Friday 31 December)
    import holidays

    table = holidays.country_holidays(country, subdiv=subdivision, years=[year - 1, year, year + 1], observed=observed)
    return frozenset(d for d in table if d.year == year)


@dataclass(frozen=True)
class WorkingCalendar:
    """A resolved calendar: answers "is this local date a working day?"."""

    name: str
    country: str
    subdivision: str | None
    observed: bool
    weekend: frozenset[int]
    extra_closures: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day.weekday() in self.weekend or day in self.extra_closures:
            return False
        return day not in _holidays(self.country, self.subdivision, self.observed, day.year)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        probe = day + timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(probe):
                return probe
            probe += timedelta(days=1)
        raise ValueError(f"calendar {self.name}: no working day within 400 days after {day}")

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day strictly after ``day`` (day itself is never counted)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def describe(self) -> str:
        where = self.country + (f"-{self.subdivision}" if self.subdivision else "")
        return f"{self.name} ({where} holidays{', observed dates' if self.observed else ''})"


class CalendarUnknown(ValueError):
    """The calendar depends on a fact that is not known yet."""


def resolve_calendar(name: str, spec: CalendarSpec, facts: dict[str, Any]) -> WorkingCalendar:
    from bot.deadlines.conditions import MISSING, lookup

    country = spec.country
    if country is None:
        value = lookup(facts, spec.country_fact or "")
        if value is MISSING:
            raise CalendarUnknown(f'calendar {name} needs fact "{spec.country_fact}" (a country code like "DE")')
        country = str(value).upper()
    subdivision = spec.subdivision
    if spec.subdivision_fact:
        value = lookup(facts, spec.subdivision_fact)
        subdivision = None if value is MISSING else str(value)
    try:
        check_country(country, subdivision)
    except ValueError as exc:
        raise ValueError(f"calendar {name}: {exc}") from None
    return WorkingCalendar(name, country, subdivision, spec.observed, frozenset(spec.weekend), frozenset(spec.extra_closures))
