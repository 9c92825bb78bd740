"""Plan-time checks on days and blocks of rest: replacement rest days, standby-free blocks, buffers around night work.

* ``replacement_rest_day``: who works on a Sunday (or a public holiday on a
  working day) needs a replacement rest day: a free working day within a
  period of two (eight) weeks that includes the day worked (ArbZG §11(3)).
  A free day is a local Monday-Saturday that is not a holiday, with no work
  and, unless the rule allows it, no standby.  Each free day serves one
  Sunday or holiday.  When part of that period lies outside the checked
  window and no free day is inside it, the finding is a note (not judged).
* ``min_standby_free_blocks``: in each period of ``per_days`` days at least
  ``count`` blocks of ``hours`` consecutive hours free of standby and work
  (Dutch consignatie: 2 x 48 h in 28 days).
* ``standby_night_buffer``: no standby within ``before_hours`` before or
  ``after_hours`` after a night shift, a work period with more than
  ``min_night_hours`` inside ``night_window`` (Dutch consignatie: 11 h / 14 h).
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.oncall.plan_checks import PersonPlan, hm, plan_check
from bot.oncall.reference_periods import periods
from bot.oncall.timeline import Timeline
from bot.oncall.wallclock import describe_local, local_date, local_window, start_of_local_day


def _day_span(plan: PersonPlan, day: date):
    zone = plan.person.zone
    return start_of_local_day(day, zone), start_of_local_day(day + timedelta(days=1), zone)


@plan_check("replacement_rest_day")
def replacement_rest_day(plan: PersonPlan, rule) -> None:
    p, zone = plan.person, plan.person.zone
    first, last = local_date(plan.horizon.start, zone), local_date(plan.horizon.end - timedelta(microseconds=1), zone)
    busy = Timeline(list(plan.work) + (list(plan.standby) if rule.includes_standby else []))
    blocking = Timeline(list(plan.work) + (list(plan.standby) if rule.standby_breaks_rest_day else []))
    worked: list[tuple[date, str, int]] = []
    free: list[date] = []
    day = first
    while day <= last:
        s, e = _day_span(plan, day)
        holiday = p.holiday(day)
        if day.weekday() == 6 or (holiday and day.weekday() < 6):
            if busy.overlaps(s, e):
                what = "a Sunday" if day.weekday() == 6 else f"public holiday {holiday}"
                window = rule.after_sunday_within_days if day.weekday() == 6 else rule.after_holiday_within_days
                worked.append((day, what, window))
        elif not blocking.overlaps(s, e):
            free.append(day)
        day += timedelta(days=1)
    # Free days are matched to the worked days whose whole period lies in the window first, earliest deadline first
    # (optimal for matching days to periods); worked days whose period reaches outside take what is left, and
    # without one they are not judged (a free day outside the window may serve them).
    def inside(item) -> bool:
        day, _what, window = item
        return day - timedelta(days=window - 1) >= first and day + timedelta(days=window - 1) <= last

    used: set[date] = set()
    judged = sorted((w for w in worked if inside(w)), key=lambda w: w[0] + timedelta(days=w[2] - 1))
    for day, what, window in judged + [w for w in worked if not inside(w)]:
        reach = window - 1
        found = next((d for d in free if d not in used and abs((d - day).days) <= reach), None)
        if found is not None:
            used.add(found)
            continue
        s, _ = _day_span(plan, day)
        if not inside((day, what, window)):
            plan.note(s, rule, f"not judged: worked on {what} ({day}); no free working day within {reach} days of it "
                               f"inside the checked window ({first} to {last}), and the rest of the {window}-day period "
                               "lies outside it")
            continue
        plan.add(s, rule, f"worked on {what} ({day}) and no replacement rest day (a free working day, no work"
                          + ("" if not rule.standby_breaks_rest_day else " or standby")
                          + f") within a {window}-day period that includes it")
        return


@plan_check("min_standby_free_blocks")
def standby_free_blocks(plan: PersonPlan, rule) -> None:
    busy = Timeline(list(plan.work) + list(plan.standby))
    for period in periods(plan.horizon.start, plan.horizon.end, plan.person.zone, rule.per_days):
        gaps = busy.gaps_within(period.start, period.end)
        blocks = [(s, e) for s, e in gaps if (e - s) >= timedelta(hours=rule.hours)]
        if len(blocks) >= rule.count:
            continue
        if not period.complete:
            plan.note(period.start, rule, f"not judged: {len(blocks)} block(s) of {rule.hours:g} h free of standby and "
                                          f"work in the {period.days_seen} of {period.days} days the window covers")
            continue
        longest = max(((e - s).total_seconds() / 3600 for s, e in gaps), default=0.0)
        plan.add(period.start, rule, f"{len(blocks)} block(s) of {rule.hours:g} h free of standby and work in the "
                                     f"{period.days} days from here, needs {rule.count} (longest: {hm(longest)})")
        return


@plan_check("standby_night_buffer")
def standby_night_buffer(plan: PersonPlan, rule) -> None:
    zone = plan.person.zone
    ws, we = rule.window
    for s, e in plan.work:
        night = 0.0
        day = local_date(s, zone) - timedelta(days=1)
        while day <= local_date(e, zone):
            ns, ne = local_window(day, ws, we, zone)
            night += max(0.0, (min(e, ne) - max(s, ns)).total_seconds() / 3600)
            day += timedelta(days=1)
        if night <= rule.min_night_hours:
            continue
        before = (s - timedelta(hours=rule.before_hours), s)
        after = (e, e + timedelta(hours=rule.after_hours))
        for lo, hi, what in ((*before, f"{rule.before_hours:g} h before"), (*after, f"{rule.after_hours:g} h after")):
            if plan.standby.overlaps(lo, hi):
                plan.add(max(lo, plan.horizon.start), rule,
                         f"on standby within {what} the night shift {describe_local(s, zone)} to "
                         f"{describe_local(e, zone)}")
                return
