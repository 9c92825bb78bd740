"""The plan-time rule kinds: one function per kind, each over one person's own shifts.

:mod:`bot.oncall.compliance` materialises the rota for the horizon once,
indexes the shifts by person, and hands every rostered person's
:class:`PersonPlan` to the function registered here for each of their rules
that runs at the ``plan`` check point.  A function only reads the person's
plan (their shifts and working time as :class:`~bot.oncall.timeline.Timeline`
s, the horizon and its periods) and reports through :meth:`PersonPlan.add`, so
a check costs time in proportion to that person's own intervals.

To add a rule kind: define its parameters in :mod:`bot.oncall.labor_rules`
and write one function decorated with ``@plan_check("<kind>")`` here or in a
module :mod:`bot.oncall.compliance` imports (hours in
:mod:`bot.oncall.hours_checks`, rest days and blocks in
:mod:`bot.oncall.rest_day_checks`).

Every message names the person, the time, the rule and its citation.  Standby
counts as rest unless the rotation is on site and the profile classifies
on-site standby as working time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, Callable

from bot.oncall import reference_periods
from bot.oncall.reference_periods import Period
from bot.oncall.schedule import Shift
from bot.oncall.team import PersonInfo, Team
from bot.oncall.timeline import Timeline
from bot.oncall.wallclock import describe_local, local_date, start_of_local_day, to_local


@dataclass(frozen=True)
class Violation:
    person: str
    at: datetime
    rule: str
    citation: str
    severity: str  # block | warn | note (not judged; never an error or warning)
    message: str
    rotation: str | None = None


def hm(hours: float) -> str:
    """34.983 -> '34 h 59 min'; 10.0 -> '10 h' (never rounds a shortfall up to the limit)."""
    minutes = int(round(hours * 60, 6))
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


class Horizon:
    """The checked period: [start, end), its zone (the first rotation's) and its calendar periods."""

    def __init__(self, team: Team, start: datetime, end: datetime) -> None:
        self.team, self.start, self.end = team, start, end
        self.zone = next(iter(team.rotations.values())).timezone if team.rotations else "UTC"
        self._periods: dict[int, list[Period]] = {}
        self._shared_work: dict[tuple, Timeline] = {}
        self._days: dict[str, tuple[date, date]] = {}

    def work_of(self, person: PersonInfo) -> Timeline:
        """The person's working time from a day before the horizon, shared by everyone with the same hours
        (:meth:`PersonInfo.hours_key`) and the same days of leave near the horizon, so its answers are computed
        once for them."""
        start = self.start - timedelta(days=1)
        key: tuple = person.hours_key()
        if person.leave:
            key = (id(key), person.days_away(*self._local_days(person.zone)))
        if key not in self._shared_work:
            self._shared_work[key] = Timeline(person.work_between(start, self.end))
        return self._shared_work[key]

    def _local_days(self, zone: str) -> tuple[date, date]:
        """The first and last local day whose working time :meth:`work_of` reads (work_between's own range)."""
        if zone not in self._days:
            self._days[zone] = (local_date(self.start - timedelta(days=1), zone) - timedelta(days=1),
                                local_date(self.end, zone))
        return self._days[zone]

    def periods(self, days: int) -> list[Period]:
        """Consecutive periods of ``days`` calendar days from the horizon start, in the horizon's zone (a period
        with a DST change is 1 h shorter or longer in absolute time and still one period).  The last may be
        partial (not ``complete``): a check judges it only when it already fails whatever the days after the
        window hold, and otherwise notes it as not judged."""
        if days not in self._periods:
            self._periods[days] = reference_periods.periods(self.start, self.end, self.zone, days)
        return self._periods[days]


class PersonPlan:
    """One rostered person over the horizon: their shifts in rota order, as a timeline, and their working time."""

    def __init__(self, horizon: Horizon, person: PersonInfo, shifts: list[Shift], out: list[Violation]) -> None:
        self.horizon, self.person, self.shifts, self._out = horizon, person, shifts, out
        self.team = horizon.team

    @cached_property
    def standby(self) -> Timeline:
        return Timeline((sh.start, sh.end) for sh in self.shifts)

    @cached_property
    def work(self) -> Timeline:
        """Working hours from a day before the horizon, plus on-site standby where the profile counts it as work."""
        onsite = [(s.start, s.end) for s in self.shifts if self.team.rotations[s.rotation].standby == "on_site"]
        if onsite and any(r.on_site == "working_time" for r in self.person.rules.of_kind("standby_classification")):
            return Timeline(self.horizon.work_of(self.person).spans + onsite)
        return self.horizon.work_of(self.person)

    def days_of(self, shift: Shift):
        """The person's local calendar days a shift touches, with the instant each begins inside the shift."""
        zone = self.person.zone
        day = local_date(shift.start, zone)
        while (midnight := start_of_local_day(day, zone)) < shift.end:
            yield day, max(shift.start, midnight)
            day += timedelta(days=1)

    def add(self, at: datetime, rule: Any, message: str, rotation: str | None = None) -> None:
        if rule.severity != "log":
            p = self.person
            self._out.append(Violation(p.id, at, rule.kind, rule.cite, rule.severity,
                                       f"{p.id} {describe_local(at, p.zone)}: {message} ({rule.cite})", rotation))

    def from_work(self, rule: Any, findings: Callable[[], list[Finding]], *inputs: Any) -> None:
        """Report what ``findings()`` finds in the person's working time alone.

        It is computed once per working time shared by several people (:meth:`Horizon.work_of`) and reported for
        each of them, so ``findings`` may read only the working time, the horizon, the rule and the person's zone
        and public holidays (everyone sharing a working time has those in common); anything else it reads (another
        rule's hours) goes into ``inputs``.  A finding is ``("add" | "note", at, message)``.
        """
        key = ("findings", id(rule), self.horizon.start, self.horizon.end, *inputs)
        for how, at, message in self.work.remember(key, findings):
            (self.add if how == "add" else self.note)(at, rule, message)

    def note(self, at: datetime, rule: Any, message: str, rotation: str | None = None) -> None:
        """Not a violation: something the check could not judge (e.g. an average over a window too short)."""
        if rule.severity != "log":
            p = self.person
            self._out.append(Violation(p.id, at, rule.kind, rule.cite, "note",
                                       f"{p.id} {describe_local(at, p.zone)}: {message} ({rule.cite})", rotation))

    def block(self, at: datetime, rule_kind: str, cite: str, message: str, rotation: str | None) -> None:
        """A violation that is always blocking and already worded (leave)."""
        self._out.append(Violation(self.person.id, at, rule_kind, cite, "block", message, rotation))


Finding = tuple[str, datetime, str]  # ("add" | "note", at, message), see PersonPlan.from_work
PlanCheck = Callable[[PersonPlan, Any], None]
PLAN_CHECKS: dict[str, PlanCheck] = {}


def plan_check(kind: str) -> Callable[[PlanCheck], PlanCheck]:
    def register(check: PlanCheck) -> PlanCheck:
        PLAN_CHECKS[kind] = check
        return check
    return register


def check_leave(plan: PersonPlan) -> None:
    """Rostered on a day of leave: always blocking, whatever the profile says (cited from its leave rule)."""
    p = plan.person
    if not p.leave:
        return  # nothing to find: no day of leave
    rules = p.rules.of_kind("leave")
    cite = rules[0].cite if rules else "leave record (people.yaml)"
    for sh in plan.shifts:
        for day, at in plan.days_of(sh):
            absence = p.absence(day)
            if absence:
                plan.block(at, "leave", cite, f"{p.id} is rostered on {sh.rotation} on {day} but on {absence.kind} leave "
                                              f"{absence.start}..{absence.end}; add an override that covers it ({cite})",
                           sh.rotation)
                break


@plan_check("sunday_holiday_work")
def sunday_holiday(plan: PersonPlan, rule) -> None:
    if not (rule.forbid and rule.includes_standby):
        return
    p = plan.person
    for sh in plan.shifts:
        if plan.team.rotations[sh.rotation].activity in rule.allow_if_activity:
            continue
        for day, at in plan.days_of(sh):
            holiday = p.holiday(day) if rule.holidays else None
            if holiday or (rule.sundays and day.weekday() == 6):
                what = f"public holiday {holiday}" if holiday else "a Sunday"
                plan.add(at, rule, f"on call for {sh.rotation} on {what} ({day}), which the rule forbids incl. standby",
                         sh.rotation)


@plan_check("max_consecutive_standby_days")
def consecutive(plan: PersonPlan, rule) -> None:
    zone = plan.person.zone
    for s, e in plan.standby:
        # counted in local wall-clock days, so a MO 09:00 -> MO 09:00 week is 7 days also across DST
        days = (to_local(e, zone).replace(tzinfo=None) - to_local(s, zone).replace(tzinfo=None)) / timedelta(days=1)
        if days > rule.days:
            plan.add(s, rule, f"on call for {days:g} consecutive days, more than {rule.days:g}")


@plan_check("max_standby_days_in_period")
def standby_days(plan: PersonPlan, rule) -> None:
    """Standby hours in each consecutive ``per_days`` period of the horizon, at most ``days`` x 24 h."""
    allowed = rule.days * 24
    for period in plan.horizon.periods(rule.per_days):
        hours = plan.standby.hours_within(period.start, period.end)
        if hours > allowed:
            seen = (f"{hm(hours)} on call in the {rule.per_days} days from here" if period.complete else
                    f"already {hm(hours)} on call in the first {period.days_seen} of the {rule.per_days} days from here")
            plan.add(period.start, rule, f"{seen}, more than {rule.days:g} x 24 h")
            return
        if not period.complete:
            plan.note(period.start, rule, f"not judged: the window covers {period.days_seen} of the {rule.per_days} "
                                          f"days of the period from here, and its {hm(hours)} on call stay within the "
                                          f"{rule.days:g} x 24 h the whole period allows")


@plan_check("compensation_required")
def compensation(plan: PersonPlan, rule) -> None:
    if plan.shifts and not plan.person.contract.compensation.strip():
        first = plan.shifts[0]
        plan.add(first.start, rule, f"on call for {first.rotation} without a compensation in the contract "
                                    "(people.yaml contract.compensation: money or rest)", first.rotation)


@plan_check("min_daily_rest")
def daily_rest(plan: PersonPlan, rule) -> None:
    start, end, work = plan.horizon.start, plan.horizon.end, plan.work

    def findings() -> list[Finding]:
        for s, _ in work:
            if start <= s < end:
                longest = work.longest_gap_hours(s, s + timedelta(hours=24))
                if longest < rule.hours:
                    return [("add", s, f"only {hm(longest)} consecutive rest in the 24 h from this work period, "
                                       f"needs {rule.hours:g} h")]
        return []

    plan.from_work(rule, findings)


@plan_check("min_weekly_rest")
def weekly_rest(plan: PersonPlan, rule) -> None:
    daily = max((r.hours for r in plan.person.rules.of_kind("min_daily_rest")), default=0)
    need = rule.hours + (daily if rule.plus_daily_rest else 0)

    def findings() -> list[Finding]:
        for period in plan.horizon.periods(rule.per_days):
            longest = plan.work.longest_gap_hours(period.start, period.end)
            if longest >= need:
                continue
            if period.complete:
                return [("add", period.start, f"longest rest in the {rule.per_days} days from here is {hm(longest)}, "
                                              f"needs {need:g} h")]
            return [("note", period.start, f"not judged: the window covers {period.days_seen} of the {rule.per_days} "
                                           f"days from here and holds no rest of {need:g} h (longest {hm(longest)}); "
                                           "it may fall in the days after the window")]
        return []

    plan.from_work(rule, findings, need)


@plan_check("standby_classification")
def standby_review(plan: PersonPlan, rule) -> None:
    limit = rule.review_if_response_minutes_at_most
    first_shift: dict[str, Shift] = {}
    for sh in plan.shifts:
        first_shift.setdefault(sh.rotation, sh)
    for rid in sorted(first_shift):
        rot = plan.team.rotations[rid]
        if rot.standby == "remote" and rot.response_minutes is not None and limit is not None \
                and rot.response_minutes <= limit:
            plan.add(first_shift[rid].start, rule, f"{rid} requires a response within {rot.response_minutes} min; such "
                                                  "standby may count as working time, review it", rid)


@plan_check("rest_break_no_oncall")
def rest_break(plan: PersonPlan, rule) -> None:
    for sh in plan.shifts:
        if plan.work.overlaps(sh.start, sh.end):
            plan.add(sh.start, rule, f"on call for {sh.rotation} during working hours; rest breaks must stay "
                                     "duty-free (schedule breaks off call or pay the premium)", sh.rotation)
            return
