"""``config/people.yaml``: sites (zone, holidays, labor profile) and people.

A person works at a site (the workplace decides the labor profile and the
public-holiday calendar) or, when remote without a site, names a zone and a
profile directly.  Working hours may have several intervals per day, windows
may cross midnight.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config.types import ConfigModel, Date, Identifier, SlackUserId, TimeZoneName, parse_weekday
from bot.oncall.labor_rules import parse_window
from bot.oncall.notification_rules import Contact, OrganisationRules, UrgencyRules
from bot.oncall.site_calendar import HolidayCalendar

DEFAULT_HOURS = {"MO-FR": ["09:00-17:00"]}


class Closure(ConfigModel):
    date: Date
    to: Date | None = Field(None, description="last day, for closures of several days")
    name: str = "company closure"


class Site(ConfigModel):
    id: Identifier
    name: str = ""
    timezone: TimeZoneName
    holidays: HolidayCalendar | None = None
    closures: list[Closure] = Field(default_factory=list)
    labor_profile: Identifier
    overlays: list[Identifier] = Field(default_factory=list, description="company or collective agreements")
    manager: Identifier | None = Field(None, description="default manager of the site's people (rest ledger, covers)")


class Contract(ConfigModel):
    oncall_agreement: bool = Field(False, description="the contract or an agreement provides for on-call duty")
    compensation: str = Field("", description='e.g. "EUR 350 per standby week + time in lieu"')
    weekly_hours: float = Field(40, gt=0, le=80)
    opt_out_48h: bool = Field(False, description="individual written opt-out of the 48 h average (where the law allows)")
    night_worker: bool = False


class Absence(ConfigModel):
    start: Date = Field(alias="from")
    end: Date = Field(alias="to")
    kind: Literal["vacation", "sick", "parental", "training", "other"] = "vacation"
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "Absence":
        if self.end < self.start:
            raise ValueError(f"expected 'to' on or after 'from' ({self.start}), got {self.end}")
        return self


@lru_cache(maxsize=1024)
def parse_days(spec: str) -> tuple[int, ...]:
    """'MO-FR' -> (0..4); 'SA,SU' -> (5, 6); 'mon' -> (0,)."""
    days: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            first, last = (parse_weekday(x.strip()) for x in part.split("-", 1))
            span = (last - first) % 7
            days += [(first + i) % 7 for i in range(span + 1)]
        else:
            days.append(parse_weekday(part))
    return tuple(days)


def parse_week(spec: dict[str, list[str]]) -> dict[int, tuple[tuple[time, time], ...]]:
    return dict(_parsed_week(tuple((days, tuple(windows)) for days, windows in spec.items())))


@lru_cache(maxsize=1024)  # most people of a site share a few shapes of working hours
def _parsed_week(spec: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[int, tuple[tuple[time, time], ...]], ...]:
    week: dict[int, list[tuple[time, time]]] = {d: [] for d in range(7)}
    for days, windows in spec:
        for day in parse_days(days):
            week[day] += [parse_window(w) for w in windows]
    return tuple((d, tuple(sorted(w))) for d, w in week.items())


class Person(ConfigModel):
    id: Identifier
    name: str = ""
    slack: SlackUserId
    site: Identifier | None = None
    timezone: TimeZoneName | None = Field(None, description="own zone if different from the site's (remote worker)")
    labor_profile: Identifier | None = Field(None, description="only for people without a site")
    overlays: list[Identifier] = Field(default_factory=list, description="only for people without a site")
    holidays: HolidayCalendar | None = Field(None, description="only for people without a site")
    working_hours: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_HOURS),
                                                description='e.g. {"MO-FR": ["09:00-12:30", "13:15-17:30"]}')
    contract: Contract = Field(default_factory=Contract)
    leave: list[Absence] = Field(default_factory=list, description="vacation, sick leave and other absences")
    manager: Identifier | None = Field(None, description="sees their work records, is nudged about owed rest")
    contact: Contact = Field(default_factory=Contact, description="phone and email for SMS, voice and email pages")
    notify: UrgencyRules | None = Field(None, description="own notification rules per urgency (docs/paging.md)")

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for days in value:
            try:
                parse_days(days)
            except ValueError:
                raise ValueError(f'expected weekdays like "MO-FR", "SA,SU" or "WE" as keys, got "{days}"') from None
        parse_week(value)
        return value

    @model_validator(mode="after")
    def _site_or_zone(self) -> "Person":
        if self.site is None and (self.timezone is None or self.labor_profile is None):
            raise ValueError(f'expected "site", or "timezone" and "labor_profile" for someone without a site, for {self.id}')
        if self.site is not None and (self.labor_profile or self.holidays or self.overlays):
            raise ValueError(f"expected labor_profile/overlays/holidays on the site, not on {self.id} who works at {self.site}")
        return self


class PeopleFile(ConfigModel):
    company_closures: list[Closure] = Field(default_factory=list, description="closure days for every site")
    sites: list[Site] = Field(default_factory=list)
    people: list[Person] = Field(min_length=1)
    notification_rules: OrganisationRules = Field(default_factory=OrganisationRules,
                                                  description="default steps per urgency and the high-urgency minimum")

    def summary(self) -> str:
        return f"{len(self.people)} people at {len(self.sites)} sites"


def cross_check(config) -> list:
    from bot.oncall.labor_profile import profiles_by_id

    lf = config.loaded("people")[0]
    model: PeopleFile = lf.model
    issues = []
    profiles = profiles_by_id(config)

    def dup(items, what, path):
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = getattr(item, what)
            if value in seen:
                issues.append(lf.issue((path, i, what), f'{what} "{value}" appears twice; each must be unique'))
            seen.add(value)

    dup(model.sites, "id", "sites")
    dup(model.people, "id", "people")
    dup(model.people, "slack", "people")
    sites = {s.id for s in model.sites}

    def known_profiles(names, path):
        for j, name in enumerate(names):
            if name not in profiles:
                issues.append(lf.issue(path + ((j,) if len(names) > 1 or path[-1] == "overlays" else ()),
                                       f'unknown labor profile "{name}"; files in config/labor/ define: '
                                       f'{", ".join(sorted(profiles)) or "none"}'))

    for i, site in enumerate(model.sites):
        known_profiles([site.labor_profile], ("sites", i, "labor_profile"))
        known_profiles(site.overlays, ("sites", i, "overlays"))
    people = {p.id for p in model.people}
    for i, site_model in enumerate(model.sites):
        if site_model.manager and site_model.manager not in people:
            issues.append(lf.issue(("sites", i, "manager"), f'unknown person "{site_model.manager}" as manager; people: '
                                                             f'{", ".join(sorted(people))}'))
    for i, person in enumerate(model.people):
        if person.manager and person.manager not in people:
            issues.append(lf.issue(("people", i, "manager"), f'unknown person "{person.manager}" as manager; people: '
                                                              f'{", ".join(sorted(people))}'))
        if person.site is not None and person.site not in sites:
            issues.append(lf.issue(("people", i, "site"), f'unknown site "{person.site}"; sites: {", ".join(sorted(sites))}'))
        if person.labor_profile:
            known_profiles([person.labor_profile], ("people", i, "labor_profile"))
            known_profiles(person.overlays, ("people", i, "overlays"))
    issues += _shared_phones(lf, model)
    from bot.oncall.reach_checks import loosened_rules

    return issues + loosened_rules(lf)


def _shared_phones(lf, model: PeopleFile) -> list:
    """A warning for each person whose phone number someone listed earlier has too (a team's on-call handset, a
    home landline): allowed, and answers still reach the right page, but a reply naming no page is ambiguous while
    several of them have pages open. The number itself is not quoted (personal data)."""
    earlier: dict[str, list[str]] = {}
    issues = []
    for i, person in enumerate(model.people):
        phone = person.contact.phone
        if not phone:
            continue
        if earlier.get(phone):
            issues.append(lf.issue(("people", i, "contact", "phone"),
                                   f'{person.id} has the same phone number as {", ".join(earlier[phone])}: SMS replies '
                                   f'and keys pressed on a call count for the page they answer, and "ack" without a '
                                   f'page number only works while one of them has a page open; give each their own '
                                   f'number if they have one', "warning"))
        earlier.setdefault(phone, []).append(person.id)
    return issues


