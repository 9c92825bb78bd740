"""A site's public holidays: the ``holidays`` package (country, subdivision, categories) plus local holidays in YAML.

The package gives a country's and a state's public holidays; some are public
only in part of a state and sit in a category the site must ask for
(Assumption Day is a public holiday in Bavarian municipalities with a
predominantly Catholic population, FTG Bayern Art. 1(1) Nr. 2: category
``catholic``).  Town-level holidays the package does not know (Augsburg's
Hohes Friedensfest on 8 August, FTG Bayern Art. 1(2)) are written as local
holidays: a fixed date, every year on a month and day, or a number of days
from Easter Sunday, each with its name and citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays as holiday_lib
from dateutil.easter import easter
from pydantic import Field, field_validator, model_validator

from bot.config.types import ConfigModel, Date

PACKAGE = "holidays package"


class LocalHoliday(ConfigModel):
    """One holiday the package does not give: exactly one of ``date``, ``annually`` or ``easter_offset``."""

    name: str = Field(min_length=1)
    cite: str = Field(min_length=1, description="the statute or ordinance that makes it a holiday at this site")
    date: Date | None = Field(None, description="a single day, e.g. 2027-06-01")
    annually: str | None = Field(None, description='every year on this month and day, "MM-DD", e.g. "08-08"')
    easter_offset: int | None = Field(None, ge=-60, le=70, description="days after Easter Sunday (Western), e.g. 60")
    from_year: int | None = Field(None, ge=1900, le=2200, description="first year a recurring holiday applies")

    @field_validator("annually")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            month, day = (int(x) for x in value.split("-"))
            date(2024, month, day)  # a leap year, so 02-29 is accepted (it then falls only in leap years)
        except (ValueError, TypeError):
            raise ValueError(f'expected a month and day like "08-08", got "{value}"') from None
        return f"{month:02d}-{day:02d}"

    @model_validator(mode="after")
    def _one_rule(self) -> "LocalHoliday":
        given = [k for k in ("date", "annually", "easter_offset") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of date, annually or easter_offset for {self.name}, "
                             f"got {', '.join(given) or 'none'}")
        return self

    def on(self, year: int) -> date | None:
        if self.from_year is not None and year < self.from_year:
            return None
        if self.date is not None:
            return self.date if self.date.year == year else None
        if self.annually is not None:
            month, day = (int(x) for x in self.annually.split("-"))
            try:
                return date(year, month, day)
            except ValueError:
                return None  # 29 February outside leap years
        assert self.easter_offset is not None
        return easter(year) + timedelta(days=self.easter_offset)


class HolidayCalendar(ConfigModel):
    country: str = Field(description='ISO 3166 code known to the "holidays" package, e.g. "DE"')
    subdivision: str | None = Field(None, description='state/region code, e.g. "BY" for Bavaria, "CA" for California')
    categories: list[str] = Field(default_factory=lambda: ["public"],
                                  description='holidays package categories, e.g. [public, catholic] for Munich')
    cite: str = Field("", description="why these categories apply at this site (required beyond public)")
    local: list[LocalHoliday] = Field(default_factory=list, description="holidays the package does not give")

    @model_validator(mode="after")
    def _known(self) -> "HolidayCalendar":
        label = f"{self.country}/{self.subdivision}" if self.subdivision else self.country
        try:
            holiday_lib.country_holidays(self.country, subdiv=self.subdivision, years=2026)
        except NotImplementedError as exc:
            raise ValueError(f'expected a country and subdivision known to the holidays package, got "{label}" ({exc})') from None
        supported = _supported_categories(self.country)
        unknown = [c for c in self.categories if c not in supported]
        if unknown:
            raise ValueError(f"expected holiday categories the holidays package has for {label} "
                             f"({', '.join(supported)}), got {', '.join(unknown)}")
        if set(self.categories) != {"public"} and not self.cite.strip():
            raise ValueError(f"expected a cite saying why the categories {', '.join(self.categories)} apply at "
                             "this site (e.g. FTG Bayern Art. 1(1) Nr. 2 for catholic), got none")
        return self

    @property
    def label(self) -> str:
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


@lru_cache(maxsize=64)
def _supported_categories(country: str) -> tuple[str, ...]:
    return tuple(sorted(holiday_lib.country_holidays(country, years=2026).supported_categories))


@lru_cache(maxsize=512)
def _package_year(country: str, subdivision: str | None, categories: tuple[str, ...], year: int):
    return holiday_lib.country_holidays(country, subdiv=subdivision, years=year, categories=categories)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    source: str  # "holidays package DE-BY (catholic)" or the local holiday's citation


def holidays_in(calendar: HolidayCalendar, year: int) -> list[Holiday]:
    """Every holiday of ``calendar`` in ``year``, in date order, each with where it comes from."""
    found: dict[date, Holiday] = {}
    for category in calendar.categories:
        for day, name in sorted(_package_year(calendar.country, calendar.subdivision, (category,), year).items()):
            if day not in found:
                found[day] = Holiday(day, name, f"{PACKAGE} {calendar.label} ({category})"
                                     + (f"; {calendar.cite}" if category != "public" and calendar.cite else ""))
    for local in calendar.local:
        day = local.on(year)
        if day is not None and day not in found:
            found[day] = Holiday(day, local.name, f"local: {local.cite}")
    return [found[d] for d in sorted(found)]


def public_holiday(calendar: HolidayCalendar | None, day: date) -> str | None:
    """The holiday's name if ``day`` is one in ``calendar``."""
    if calendar is None:
        return None
    name = _package_year(calendar.country, calendar.subdivision, tuple(calendar.categories), day.year).get(day)
    if name:
        return name
    for local in calendar.local:
        if local.on(day.year) == day:
            return local.name
    return None


def site_holiday_lists(people_file, year: int, site: str | None = None) -> list[tuple[str, list[Holiday]]]:
    """(heading, holidays) per site (and per person without a site who has a calendar) for ``check --holidays``.

    Company closures are listed too, marked as closures: days off, not public holidays.
    Raises KeyError for an unknown ``site``.
    """
    sites = list(people_file.sites)
    if site is not None:
        sites = [s for s in sites if s.id == site]
        if not sites:
            known = ", ".join(s.id for s in people_file.sites) or "none"
            raise KeyError(f'unknown site "{site}"; sites in people.yaml: {known}')
    out: list[tuple[str, list[Holiday]]] = []
    for s in sites:
        days = holidays_in(s.holidays, year) if s.holidays else []
        closures = [c for c in list(people_file.company_closures) + list(s.closures)]
        days += _closure_days(closures, year)
        label = s.holidays.label if s.holidays else "no public-holiday calendar"
        out.append((f"{s.id} ({label}, {s.timezone})", sorted(days, key=lambda h: h.day)))
    if site is None:
        for p in people_file.people:
            if p.site is None and p.holidays is not None:
                days = holidays_in(p.holidays, year) + _closure_days(list(people_file.company_closures), year)
                out.append((f"{p.id} (no site; {p.holidays.label}, {p.timezone})", sorted(days, key=lambda h: h.day)))
    return out


def _closure_days(closures, year: int) -> list[Holiday]:
    out = []
    for c in closures:
        day = c.date
        while day <= (c.to or c.date):
            if day.year == year:
                out.append(Holiday(day, c.name, "company closure (a day off, not a public holiday)"))
            day += timedelta(days=1)
    return out
