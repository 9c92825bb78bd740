"""Page-time limits on work already done: daily hours incl. call-outs, a night worker's hours, the week's only rest.

Each function takes the :class:`bot.oncall.findings.Context` of one person
at one instant and returns findings, like the other page-time checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.oncall.findings import Context, Finding
from bot.oncall.labor_rules import MaxDailyHours, NightWorkLimit, WeeklyRestAtPage
from bot.oncall.schedule import merge
from bot.oncall.wallclock import describe_local, local_date, start_of_local_day
from bot.oncall.worked_hours import below_limit_from, callouts, hours, worked

DAY = timedelta(hours=24)


def check_daily_hours(ctx: Context, rule: MaxDailyHours) -> list[Finding]:
    """Work in the last 24 h incl. call-outs and recorded work has reached the daily maximum: not paged until it
    falls below (ArbZG §3: 10 h; Dutch consignatie: 13 h per 24 h)."""
    cap = rule.extendable_to or rule.hours
    spans = worked(ctx.person, ctx.history, ctx.at - DAY, ctx.at)
    done = hours(spans)
    if done < cap:
        return []
    until = below_limit_from(spans, ctx.at, cap, DAY)
    return [Finding("daily_hours", f"already {done:.4g} h of work in the last 24 h incl. call-outs, limit {cap:g} h; "
                     f"free again {describe_local(until, ctx.person.zone)}", rule.kind, rule.key, rule.cite,
                     rule.severity, until)]


def check_night_worker(ctx: Context, rule: NightWorkLimit) -> list[Finding]:
    """A night worker's work in the last 24 h, whole shifts and call-outs counted, has reached the limit."""
    if rule.applies_if == "night_worker" and not ctx.person.contract.night_worker:
        return []
    spans = worked(ctx.person, ctx.history, ctx.at - DAY, ctx.at)
    done = hours(spans)
    if done < rule.max_hours_per_24h:
        return []
    until = below_limit_from(spans, ctx.at, rule.max_hours_per_24h, DAY)
    return [Finding("night_work", f"night worker: already {done:.4g} h of work in the last 24 h (whole shifts and "
                     f"call-outs), limit {rule.max_hours_per_24h:g} h", rule.kind, rule.key, rule.cite,
                     rule.severity, until)]


def _week(ctx: Context, rule: WeeklyRestAtPage) -> tuple[datetime, datetime]:
    zone = ctx.person.zone
    day = local_date(ctx.at, zone)
    monday = day - timedelta(days=(day.weekday() - rule.week_starts) % 7)
    return start_of_local_day(monday, zone), start_of_local_day(monday + timedelta(days=7), zone)


def needed_weekly_rest(ctx: Context, rule: WeeklyRestAtPage) -> float | None:
    if rule.hours is not None:
        return rule.hours
    weekly = ctx.person.rules.of_kind("min_weekly_rest")
    if not weekly:
        return None
    daily = max((r.hours for r in ctx.person.rules.of_kind("min_daily_rest")), default=0)
    return weekly[0].hours + (daily if weekly[0].plus_daily_rest else 0)


def check_only_weekly_rest(ctx: Context, rule: WeeklyRestAtPage) -> list[Finding]:
    """Paging now would break the only rest of this calendar week long enough to be its weekly rest.

    A rest belongs to the week it starts in and counts whole (a Saturday-to-Monday rest is that week's). The page
    is warned about when ``at`` falls in the only such rest and neither the part before nor the part after it is
    long enough on its own.
    """
    need = needed_weekly_rest(ctx, rule)
    if need is None:
        return []
    start, end = _week(ctx, rule)
    p = ctx.person
    lo, hi = start - timedelta(days=7), end + timedelta(days=7)
    work = merge([(max(s, lo), min(e, hi)) for s, e in p.work_between(lo, hi) if e > lo and s < hi]
                 + [(max(s, lo), min(e, hi)) for s, e in callouts(p, ctx.history, lo, hi)])
    gaps, cursor = [], lo
    for s, e in work:
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < hi:
        gaps.append((cursor, hi))
    weekly = [(s, e) for s, e in gaps if start <= s < end and (e - s) >= timedelta(hours=need)]
    if len(weekly) != 1:
        return []
    s, e = weekly[0]
    if not (s < ctx.at < e) or max(ctx.at - s, e - ctx.at) >= timedelta(hours=need):
        return []
    return [Finding("weekly_rest", f"a call-out now breaks the only {need:g} h weekly rest of this week "
                    f"({describe_local(s, p.zone)} to {describe_local(e, p.zone)})", rule.kind, rule.key, rule.cite,
                    rule.severity, e)]
