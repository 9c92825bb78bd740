"""Plan-time checks on hours: the weekly average, the daily maximum, a night worker's hours.

Each average is judged per reference period of whole local calendar days,
never extrapolated from part of one (:mod:`bot.oncall.reference_periods`):
a window too short to judge gets a ``note`` saying so, not a violation.
Hours are the person's working time (working hours, plus on-site standby
where the profile counts it as work), counted on absolute time.  Each check
reads only that working time, so people who share it share the work
(:meth:`~bot.oncall.plan_checks.PersonPlan.from_work`).
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.oncall.plan_checks import Finding, PersonPlan, hm, plan_check
from bot.oncall.reference_periods import judge, periods, units
from bot.oncall.wallclock import local_date, local_window, start_of_local_day


def working_day(plan: PersonPlan):
    """Monday to Saturday except the person's public holidays (a "Werktag", ArbZG §3 and §9)."""
    def counted(day: date) -> bool:
        return day.weekday() < 6 and not plan.person.holiday(day)
    return counted


def _judged(judgement, limit: float, unit: str) -> list[Finding]:
    if judgement.verdict == "over":
        return [("add", judgement.period.start, judgement.describe(limit, unit, hm))]
    if judgement.verdict == "not_judged":
        return [("note", judgement.period.start, judgement.describe(limit, unit, hm))]
    return []


@plan_check("max_avg_weekly_hours")
def weekly_hours(plan: PersonPlan, rule) -> None:
    """``hours`` per week on average over ``reference_weeks`` calendar weeks (WTR reg 4, ArbZG §3 with §14(3))."""
    if rule.individual_opt_out and plan.person.contract.opt_out_48h:
        return
    horizon = plan.horizon

    def findings() -> list[Finding]:
        out: list[Finding] = []
        for period in periods(horizon.start, horizon.end, plan.person.zone, rule.reference_weeks * 7):
            hours = plan.work.hours_within(period.start, period.end)
            verdict = judge(period, hours, rule.hours * rule.reference_weeks)
            out += _judged(verdict, rule.hours, "week")
            if verdict.verdict == "over":
                break
        return out

    plan.from_work(rule, findings)


def _days(plan: PersonPlan):
    zone = plan.person.zone
    day = local_date(plan.horizon.start, zone)
    while (midnight := start_of_local_day(day, zone)) < plan.horizon.end:
        yield day, midnight, start_of_local_day(day + timedelta(days=1), zone)
        day += timedelta(days=1)


@plan_check("max_daily_hours")
def daily_hours(plan: PersonPlan, rule) -> None:
    """At most ``extendable_to`` (else ``hours``) a day; with an extension, ``hours`` per counted day on average."""
    cap = rule.extendable_to or rule.hours
    counted = working_day(plan) if rule.days == "working_days" else None

    def findings() -> list[Finding]:
        for day, start, end in _days(plan):
            worked = plan.work.hours_within(start, end)
            if worked > cap:
                return [("add", start, f"{hm(worked)} of work scheduled on {day}, more than {cap:g} h a day")]
        out: list[Finding] = []
        if rule.extendable_to and rule.average_reference_days:
            unit = "working day" if counted else "day"
            for period in periods(plan.horizon.start, plan.horizon.end, plan.person.zone, rule.average_reference_days):
                hours = plan.work.hours_within(period.start, period.end)
                verdict = judge(period, hours, rule.hours * units(period, counted))
                out += _judged(verdict, rule.hours, unit)
                if verdict.verdict == "over":
                    break
        return out

    plan.from_work(rule, findings)


@plan_check("night_work_limit")
def night(plan: PersonPlan, rule) -> None:
    """A night worker's normal hours, whole shifts counted: at most ``max_hours_per_24h`` a day, and
    ``average_hours`` per 24 h (or per working day) over ``reference_days`` (WTR reg 6, ArbZG §6(2))."""
    p = plan.person
    if rule.applies_if == "night_worker" and not p.contract.night_worker:
        return
    ws, we = rule.window

    def findings() -> list[Finding]:
        for day, _start, _end in _days(plan) if rule.max_hours_per_24h is not None else ():
            # every work period that touches the night counts whole (not only its hours inside the window)
            ns, ne = local_window(day, ws, we, p.zone)
            for s, e in plan.work.overlapping(ns, ne):
                length = (e - s).total_seconds() / 3600
                if length > rule.max_hours_per_24h:
                    return [("add", s, f"a night shift of {hm(length)} (whole shift counted), more than "
                                       f"{rule.max_hours_per_24h:g} h")]
        if rule.average_hours is None or rule.reference_days is None:
            return []
        counted = working_day(plan) if rule.days == "working_days" else None
        unit = "working day" if counted else "24 h"
        out: list[Finding] = []
        for period in periods(plan.horizon.start, plan.horizon.end, p.zone, rule.reference_days):
            hours = plan.work.hours_within(period.start, period.end)
            budget = rule.average_hours * units(period, counted, rule.less_weekly_rest_days)
            verdict = judge(period, hours, budget)
            out += _judged(verdict, rule.average_hours, unit)
            if verdict.verdict == "over":
                break
        return out

    plan.from_work(rule, findings)
