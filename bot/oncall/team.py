"""The resolved team: people with their zone, calendar, rules and hours, built once per config.

Everything the planner and the checks ask about a person ("is this a public
holiday for her?", "when do her working hours begin?") is answered here, in
the person's own zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.clock import ensure_utc
from bot.oncall.labor_profile import RuleSet, profiles_by_id, resolve
from bot.oncall.people import Absence, Closure, Contract, PeopleFile, parse_week
from bot.oncall.rota import EscalationPolicy, Rotation, RotasFile
from bot.oncall.site_calendar import HolidayCalendar, public_holiday
from bot.oncall.wallclock import local_date, local_naive_to_utc, local_window

Interval = tuple[datetime, datetime]


@dataclass
class PersonInfo:
    id: str
    name: str
    slack: str
    zone: str
    site: str | None
    rules: RuleSet
    calendar: HolidayCalendar | None
    closures: tuple[Closure, ...]
    week: dict[int, tuple[tuple[time, time], ...]]
    contract: Contract
    leave: tuple[Absence, ...]
    manager: str | None = None
    _day_cache: dict[date, tuple[Interval, ...]] = field(default_factory=dict, repr=False)
    # (id of the shared hours_key, day) -> work_on without leave, and each distinct hours_key itself (so equal
    # keys are one object); one dict for the whole team, so a site's people share it
    _shared_days: dict[tuple, tuple[Interval, ...]] = field(default_factory=dict, init=False, repr=False)
    _hours_key: tuple | None = field(default=None, init=False, repr=False)

    @property
    def calendar_label(self) -> str:
        return self.calendar.label if self.calendar else "no public-holiday calendar"

    def holiday(self, day: date) -> str | None:
        return public_holiday(self.calendar, day)

    def closure(self, day: date) -> str | None:
        return next((c.name for c in self.closures if c.date <= day <= (c.to or c.date)), None)

    def absence(self, day: date) -> Absence | None:
        return next((a for a in self.leave if a.start <= day <= a.end), None)

    def day_off(self, day: date) -> bool:
        return bool(self.holiday(day) or self.closure(day) or self.absence(day))

    def work_on(self, day: date) -> tuple[Interval, ...]:
        """Working intervals (UTC) that start on local ``day``; windows may end the next day."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        if self.leave and self.absence(day):
            out: tuple[Interval, ...] = ()
        else:
            key = (id(self.hours_key()), day)
            shared = self._shared_days.get(key)
            if shared is None:
                off = self.holiday(day) or self.closure(day)
                shared = self._shared_days[key] = () if off else tuple(
                    local_window(day, start, end, self.zone) for start, end in self.week[day.weekday()])
            out = shared
        self._day_cache[day] = out
        return out

    def hours_key(self) -> tuple:
        """What :meth:`work_on` answers from besides the person's own leave: two people with the same key work
        the same intervals on every day neither is on leave (the plan checks share the work of such people).
        Keep it in step with :meth:`work_on` and :meth:`day_off`."""
        if self._hours_key is None:
            calendar = id(self.calendar) if self.calendar is not None else None  # one object per site
            key = (self.zone, tuple(sorted(self.week.items())), calendar, self.closures)
            self._hours_key = self._shared_days.setdefault(("hours_key", key), key)  # type: ignore[arg-type]
        return self._hours_key

    def days_away(self, first: date, last: date) -> tuple[date, ...]:
        """The local days from ``first`` to ``last`` the person is on leave (:meth:`work_on` has nothing on them):
        with :meth:`hours_key`, all that the working time of those days depends on."""
        away: set[date] = set()
        for a in self.leave:
            day, until = max(a.start, first), min(a.end, last)
            while day <= until:
                away.add(day)
                day += timedelta(days=1)
        return tuple(sorted(away))

    def work_between(self, start: datetime, end: datetime) -> list[Interval]:
        first = local_date(start, self.zone) - timedelta(days=1)
        last = local_date(end, self.zone)
        out = []
        day = first
        while day <= last:
            out += [(s, e) for s, e in self.work_on(day) if e > start and s < end]
            day += timedelta(days=1)
        return out

    def working_at(self, at: datetime) -> bool:
        at = ensure_utc(at)
        return any(s <= at < e for s, e in self.work_between(at - timedelta(hours=1), at + timedelta(hours=1)))

    def next_work_start(self, at: datetime, *, within_days: int = 21) -> datetime | None:
        at = ensure_utc(at)
        day = local_date(at, self.zone) - timedelta(days=1)
        for _ in range(within_days + 1):
            for s, e in self.work_on(day):
                if s <= at < e:
                    return at
                if s > at:
                    return s
            day += timedelta(days=1)
        return None

    def last_work_end(self, before: datetime) -> datetime | None:
        ends = [e for s, e in self.work_between(before - timedelta(days=3), before) if e <= before]
        return max(ends) if ends else None


@dataclass
class ResolvedOverride:
    rotation: str
    person: str
    start: datetime
    end: datetime
    replaces: str | None
    reason: str


@dataclass
class Team:
    people: dict[str, PersonInfo]
    rotations: dict[str, Rotation]
    policies: dict[str, EscalationPolicy]
    overrides: dict[str, list[ResolvedOverride]]
    roles: dict[str, list[str]]
    rotas_file: RotasFile | None

    def person(self, person_id: str) -> PersonInfo:
        try:
            return self.people[person_id]
        except KeyError:
            raise KeyError(f'unknown person "{person_id}"; people: {", ".join(sorted(self.people))}') from None


def build_team(config) -> Team:
    people_file: PeopleFile | None = config.one("people")
    rotas: RotasFile | None = config.one("rotas")
    profiles = profiles_by_id(config)
    people: dict[str, PersonInfo] = {}
    shared_days: dict[tuple, tuple[Interval, ...]] = {}
    if people_file:
        sites = {s.id: s for s in people_file.sites}
        rule_sets: dict[tuple, RuleSet] = {}
        for p in people_file.people:
            site = sites.get(p.site) if p.site else None
            if p.site and site is None:
                raise ValueError(f'{p.id} works at unknown site "{p.site}"')
            profile = site.labor_profile if site else p.labor_profile
            overlays = tuple(site.overlays if site else p.overlays)
            key = (profile, overlays)
            if key not in rule_sets:
                rule_sets[key] = resolve(profiles, profile, overlays)
            people[p.id] = PersonInfo(
                id=p.id, name=p.name or p.id, slack=p.slack, zone=p.timezone or (site.timezone if site else "UTC"),
                site=p.site, rules=rule_sets[key], calendar=site.holidays if site else p.holidays,
                closures=tuple(people_file.company_closures) + tuple(site.closures if site else ()),
                week=parse_week(p.working_hours), contract=p.contract, leave=tuple(p.leave),
                manager=p.manager or (site.manager if site else None))
            people[p.id]._shared_days = shared_days
    rotations = {r.id: r for r in rotas.rotations} if rotas else {}
    overrides: dict[str, list[ResolvedOverride]] = {}
    for ov in (rotas.overrides if rotas else []):
        zone_name = rotations[ov.rotation].timezone if ov.rotation in rotations else "UTC"
        overrides.setdefault(ov.rotation, []).append(ResolvedOverride(
            ov.rotation, ov.person, local_naive_to_utc(ov.start, zone_name, edge="start"),
            local_naive_to_utc(ov.end, zone_name, edge="end"), ov.replaces, ov.reason))
    return Team(people=people, rotations=rotations,
                policies={p.id: p for p in rotas.escalation_policies} if rotas else {},
                overrides=overrides, roles=dict(rotas.roles) if rotas else {}, rotas_file=rotas)


def team_of(config) -> Team:
    return config.derived("oncall.team", build_team)
