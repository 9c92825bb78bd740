"""Averages over a reference period, judged without extrapolation.

Statutes limit *averages*: 48 h a week over 17 weeks (WTR 1998 reg 4), 8 h a
working day over 24 weeks (ArbZG §3), a night worker's 8 h per 24 h over 17
weeks (WTR reg 6) or per working day over four weeks (ArbZG §6(2)).  A window
of a few days cannot show an average over months, so:

* the window is cut into consecutive reference periods of whole local
  calendar days from its start (a week is seven calendar days whether it has
  167, 168 or 169 hours: DST never changes the count);
* a period wholly inside the window is judged: over when its hours exceed
  the limit times the period's units (weeks, days, or working days);
* the last, partial period is judged only when its hours *already* exceed
  what the whole period allows; otherwise it is **not judged**, and the
  finding says how much of the period the window covers.  Nothing is scaled up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Literal

from bot.oncall.wallclock import local_date, start_of_local_day

Verdict = Literal["over", "within", "not_judged"]


@dataclass(frozen=True)
class Period:
    start: datetime  # first instant inside the window
    end: datetime  # last instant inside the window (the period's end if complete)
    first_day: date
    days: int  # length of the whole reference period in local days
    days_seen: int  # local days of it inside the window

    @property
    def complete(self) -> bool:
        return self.days_seen >= self.days


def periods(start: datetime, end: datetime, zone: str, days: int) -> list[Period]:
    """Consecutive periods of ``days`` local calendar days from the local day of ``start``; the last may be partial."""
    out: list[Period] = []
    first = local_date(start, zone)
    cursor = start
    while cursor < end:
        period_end = start_of_local_day(first + timedelta(days=days), zone)
        seen_end = min(period_end, end)
        seen_days = (local_date(seen_end - timedelta(microseconds=1), zone) - first).days + 1
        out.append(Period(cursor, seen_end, first, days, days if period_end <= end else seen_days))
        cursor, first = period_end, first + timedelta(days=days)
    return out


def units(period: Period, counted: Callable[[date], bool] | None = None, less_days_per_week: float = 0) -> float:
    """The divisor over the whole period: its days (or the days ``counted`` accepts), less a number per week."""
    days = [period.first_day + timedelta(days=i) for i in range(period.days)]
    n = sum(1 for d in days if counted is None or counted(d))
    return n - less_days_per_week * period.days / 7


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    period: Period
    hours: float
    budget: float  # hours the whole period allows

    def describe(self, limit: float, unit: str, hm: Callable[[float], str]) -> str:
        p = self.period
        if self.verdict == "over" and p.complete:
            per = limit * self.hours / self.budget if self.budget else float("inf")
            return (f"{hm(self.hours)} in the {p.days} days from here, {per:.1f} h per {unit} on average, "
                    f"more than {limit:g} h")
        if self.verdict == "over":
            return (f"already {hm(self.hours)} in the first {p.days_seen} of the {p.days} days of the reference period "
                    f"from here, more than the {self.budget:g} h the whole period allows ({limit:g} h per {unit})")
        return (f"not judged: the window covers {p.days_seen} of the {p.days} days of the reference period from here, "
                f"and its {hm(self.hours)} stay within the {self.budget:g} h the whole period allows; averages are "
                "never extrapolated from part of a period (preview the whole period to judge it)")


def judge(period: Period, hours: float, budget: float) -> Judgement:
    if hours > budget + 1e-9:
        return Judgement("over", period, hours, budget)
    return Judgement("within" if period.complete else "not_judged", period, hours, budget)
