"""Business days on a site's calendar: weekdays that are neither public holidays nor closure days there.

A review due "within 5 business days" after an incident resolved on Wednesday
23 December 2026 in Munich is due at the end of Tuesday 5 January 2027: the
24th and 31st are company closures, the 25th (Christmas) and 1 January (New
Year) public holidays, and the weekends do not count, which leaves the 28th,
29th and 30th December and the 4th and 5th January.  Which calendar counts is the playbook's
``review.site``, else the review owner's own site (``config/people.yaml``),
else plain weekdays in the workspace zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.oncall.people import Closure
from bot.oncall.site_calendar import HolidayCalendar, public_holiday
from bot.oncall.wallclock import local_date, start_of_local_day

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
MAX_BUSINESS_DAYS = 60


@dataclass(frozen=True)
class BusinessCalendar:
    label: str  # "site munich (DE-BY)" / "workspace zone Europe/Berlin, weekdays only"
    zone: str
    holidays: HolidayCalendar | None = None
    closures: tuple[Closure, ...] = ()
    weekend: frozenset[int] = WEEKEND

    def day_off(self, day: date) -> str | None:
        """Why ``day`` is not a business day (weekend, holiday name, closure name), or None."""
        if day.weekday() in self.weekend:
            return "weekend"
        holiday = public_holiday(self.holidays, day)
        if holiday:
            return holiday
        return next((c.name for c in self.closures if c.date <= day <= (c.to or c.date)), None)

    def add(self, start: date, business_days: int) -> date:
        """The ``business_days``-th business day after ``start`` (``start`` itself is not counted)."""
        if not 0 <= business_days <= MAX_BUSINESS_DAYS:
            raise ValueError(f"expected 0 to {MAX_BUSINESS_DAYS} business days, got {business_days}")
        day, counted = start, 0
        while counted < business_days:
            day += timedelta(days=1)
            if self.day_off(day) is None:
                counted += 1
        return day

    def next_business_day(self, day: date) -> date:
        """``day`` if it is a business day, else the next one."""
        while self.day_off(day) is not None:
            day += timedelta(days=1)
        return day

    def end_of(self, day: date) -> datetime:
        """The instant the local ``day`` ends (the next local midnight, DST policy of the on-call package)."""
        return start_of_local_day(day + timedelta(days=1), self.zone)

    def start_of(self, day: date) -> datetime:
        return start_of_local_day(day, self.zone)

    def local_day(self, at: datetime) -> date:
        return local_date(at, self.zone)


def _people_file(config: Any) -> Any:
    return config.one("people")


def site_calendar(config: Any, site_id: str) -> BusinessCalendar:
    people = _people_file(config)
    sites = {s.id: s for s in (people.sites if people else [])}
    if site_id not in sites:
        raise KeyError(f'unknown site "{site_id}"; sites in people.yaml: {", ".join(sorted(sites)) or "none"}')
    site = sites[site_id]
    label = f"site {site.id}" + (f" ({site.holidays.label})" if site.holidays else " (no public-holiday calendar)")
    return BusinessCalendar(label, site.timezone, site.holidays,
                            tuple(people.company_closures) + tuple(site.closures))


def calendar_for(config: Any, *, site: str | None = None, slack_user: str | None = None) -> BusinessCalendar:
    """The playbook's site, else the person's own calendar, else weekdays in the workspace zone."""
    if site:
        return site_calendar(config, site)
    if slack_user and config.loaded("people"):
        from bot.oncall.team import team_of

        person = next((p for p in team_of(config).people.values() if p.slack == slack_user), None)
        if person is not None:
            if person.site:
                return site_calendar(config, person.site)
            label = f"{person.id}'s own calendar" + (f" ({person.calendar_label})" if person.calendar else "")
            return BusinessCalendar(label, person.zone, person.calendar, person.closures)
    zone = getattr(config.settings, "timezone", "UTC")
    return BusinessCalendar(f"workspace zone {zone}, weekdays only", zone)
