"""Page-time checks: may this person be contacted at this instant?

Each shipped rule kind that runs at the ``page`` check point has one small
function here (the limits on work already done in :mod:`bot.oncall.page_limits`).  A function returns :class:`Finding` objects; a finding with
severity ``block`` makes the person ineligible (unless a named exception
waives it), ``warn`` lets the page go out with a note.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.oncall.callouts import effects_since
from bot.oncall.findings import Context, Finding, Verdict
from bot.oncall.history import EngagementHistory
from bot.oncall.labor_rules import ContactWindow, MinDailyRest, SundayHolidayWork
from bot.oncall.page_limits import check_daily_hours, check_night_worker, check_only_weekly_rest
from bot.oncall.team import PersonInfo
from bot.oncall.wallclock import describe_local, local_date, start_of_local_day


def _when(ctx: Context, until: datetime) -> str:
    same_day = local_date(until, ctx.person.zone) == local_date(ctx.at, ctx.person.zone)
    return describe_local(until, ctx.person.zone, with_date=not same_day)


def _hours(value: float) -> str:
    return f"{value:g} h"


def check_leave(ctx: Context) -> list[Finding]:
    day = local_date(ctx.at, ctx.person.zone)
    absence = ctx.person.absence(day)
    if absence is None:
        return []
    rules = ctx.person.rules.of_kind("leave")
    cite = rules[0].cite if rules else "leave record (people.yaml)"
    until = start_of_local_day(absence.end + timedelta(days=1), ctx.person.zone)
    return [Finding("leave", f"on {absence.kind} leave until {_when(ctx, until)}", "leave",
                    rules[0].key if rules else "leave", cite, "block", until)]


def check_scheduled_rest(ctx: Context) -> list[Finding]:
    """Rest scheduled in the rest ledger is time off: never paged in it unless an exception waives the rest rule."""
    rest = ctx.history.scheduled_rest_at(ctx.person.id, ctx.at)
    if rest is None:
        return []
    what = rest.kind.replace("_", " ")
    rule = "replacement_rest_day" if rest.kind == "replacement_rest_day" else "min_daily_rest"
    return [Finding("scheduled_rest", f"{what} scheduled until {_when(ctx, rest.end)} (rest ledger #{rest.debt_id})",
                    rule, rest.kind, rest.citation, "block", rest.end)]


def check_sunday_holiday(ctx: Context, rule: SundayHolidayWork) -> list[Finding]:
    if not rule.forbid:
        return []
    exempt = bool(ctx.activity and ctx.activity in rule.allow_if_activity)
    if exempt and not rule.activity_attestation_required:
        return []

    def forbidden(day) -> str | None:
        holiday = ctx.person.holiday(day) if rule.holidays else None
        if holiday:
            return f"public holiday {holiday} ({ctx.person.calendar_label})"
        if rule.sundays and day.weekday() == 6:
            return "Sunday"
        return None

    day = local_date(ctx.at, ctx.person.zone)
    why = forbidden(day)
    if why is None:
        return []
    if exempt:
        return [Finding("activity_exemption", f"{why}: allowed for {ctx.activity} only if the work cannot wait for a "
                        "weekday; record why it cannot", rule.kind, rule.key, rule.cite, "warn")]
    end = day + timedelta(days=1)
    while forbidden(end) and (end - day).days < 14:
        end += timedelta(days=1)
    until = start_of_local_day(end, ctx.person.zone)
    code = "holiday_work" if why != "Sunday" else "sunday_work"
    return [Finding(code, f"{why}: work forbidden until {_when(ctx, until)}", rule.kind, rule.key,
                    rule.cite, rule.severity, until)]


def check_daily_rest(ctx: Context, rule: MinDailyRest) -> list[Finding]:
    """The rest that recent call-outs left running, by the profile's ``on_interrupt`` (:mod:`bot.oncall.callouts`)."""
    window = timedelta(hours=rule.hours)
    findings: list[Finding] = []
    restarted = [fx for fx in effects_since(ctx.person, ctx.history, rule, ctx.at - window, ctx.at)
                 if fx.action in ("restart", "compensate") and fx.rest_until and ctx.at < fx.rest_until]
    for action in ("restart", "compensate"):
        running = [fx for fx in restarted if fx.action == action]
        if not running:
            continue
        latest = max(running, key=lambda fx: fx.rest_until)  # type: ignore[arg-type, return-value]
        assert latest.rest_until is not None
        reason = f"{_hours(rule.hours)} daily rest running until {_when(ctx, latest.rest_until)}"
        if action == "compensate":
            findings.append(Finding("daily_rest", reason + "; paging interrupts it and equivalent compensatory rest "
                                    "is owed", rule.kind, rule.key, rule.cite, "warn", latest.rest_until, rule.hours))
        else:
            findings.append(Finding("daily_rest", reason, rule.kind, rule.key, rule.cite, rule.severity,
                                    latest.rest_until, rule.hours))
    return findings


def check_contact(ctx: Context, rule: ContactWindow) -> list[Finding]:
    if rule.mode == "none" or ctx.person.working_at(ctx.at):
        return []
    if rule.during == "rest_periods" and ctx.rostered and not rule.rostered_standby_is_rest:
        return []  # rostered on call: at the employer's disposal, not at rest
    resume = ctx.person.next_work_start(ctx.at)
    until_text = f" until {_when(ctx, resume)}" if resume else ""
    if rule.mode == "forbid":
        return [Finding("contact_forbidden", f"contact during rest forbidden{until_text}", rule.kind, rule.key,
                        rule.cite, rule.severity, resume)]
    if rule.mode == "may_refuse":
        return [Finding("may_refuse", "may refuse contact outside working hours; a non-answer is never held against them",
                        rule.kind, rule.key, rule.cite, "warn", resume)]
    return [Finding("contact_policy", f"contact outside working hours only as the policy {rule.policy_ref} allows",
                    rule.kind, rule.key, rule.cite, "warn", resume)]


_CHECKS = {
    "sunday_holiday_work": check_sunday_holiday,
    "min_daily_rest": check_daily_rest,
    "contact_window": check_contact,
    "night_work_limit": check_night_worker,
    "max_daily_hours": check_daily_hours,
    "weekly_rest_at_page": check_only_weekly_rest,
}


def evaluate(person: PersonInfo, at: datetime, *, rostered: bool, activity: str | None,
             history: EngagementHistory) -> Verdict:
    ctx = Context(person, at, rostered, activity, history)
    findings = check_leave(ctx) + check_scheduled_rest(ctx)
    for rule in person.rules.rules:
        check = _CHECKS.get(rule.kind)
        if check is not None and rule.checked_at("page"):
            findings += check(ctx, rule)
    verdict = Verdict()
    for f in findings:
        if f.severity == "block":
            verdict.blocks.append(f)
        elif f.severity == "warn":
            verdict.warnings.append(f)
    return verdict
