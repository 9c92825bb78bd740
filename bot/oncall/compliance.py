"""Plan-time checks: materialise the rota for a horizon and report violations.

Run by ``bot check`` through the rotas cross-check.  Each shipped rule kind
that runs at the ``plan`` check point has one function here; a violation of a
``block`` rule is an error, of a ``warn`` rule a warning, ``log`` rules are
not reported.  Every message names the person, the time, the rule and its
citation.  Standby counts as rest unless the rotation is on site and the
profile classifies on-site standby as working time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.oncall.schedule import Shift, merge, shifts, subtract
from bot.oncall.team import Interval, PersonInfo, Team, team_of
from bot.oncall.wallclock import describe_local, local_date, local_window, start_of_local_day, to_local


@dataclass(frozen=True)
class Violation:
    person: str
    at: datetime
    rule: str
    citation: str
    severity: str  # block | warn
    message: str
    rotation: str | None = None


def _hm(hours: float) -> str:
    """34.983 -> '34 h 59 min'; 10.0 -> '10 h' (never rounds a shortfall up to the limit)."""
    minutes = int(round(hours * 60, 6))
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def _longest(gaps: list[Interval]) -> float:
    return max(((e - s).total_seconds() / 3600 for s, e in gaps), default=0.0)


class _Checker:
    def __init__(self, team: Team, start: datetime, end: datetime) -> None:
        self.team, self.start, self.end = team, start, end
        self.zone = next(iter(team.rotations.values())).timezone if team.rotations else "UTC"  # as horizon()
        self.shifts: list[Shift] = [sh for rid in team.rotations for sh in shifts(team, rid, start, end)]
        self.out: list[Violation] = []
        self._work: dict[str, list[Interval]] = {}

    def by_person(self, pid: str) -> list[Shift]:
        return [s for s in self.shifts if s.person == pid]

    def work(self, p: PersonInfo) -> list[Interval]:
        if p.id not in self._work:
            self._work[p.id] = self._build_work(p)
        return self._work[p.id]

    def _build_work(self, p: PersonInfo) -> list[Interval]:
        intervals = p.work_between(self.start - timedelta(days=1), self.end)
        for rule in p.rules.of_kind("standby_classification"):
            if rule.on_site == "working_time":
                intervals += [(s.start, s.end) for s in self.by_person(p.id)
                              if self.team.rotations[s.rotation].standby == "on_site"]
        return merge(intervals)

    def add(self, p: PersonInfo, at: datetime, rule, message: str, rotation: str | None = None) -> None:
        if rule.severity != "log":
            self.out.append(Violation(p.id, at, rule.kind, rule.cite, rule.severity,
                                      f"{p.id} {describe_local(at, p.zone)}: {message} ({rule.cite})", rotation))

    def periods(self, days: int) -> list[Interval]:
        """Consecutive periods of ``days`` calendar days from the horizon start, in the horizon's zone (a period
        with a DST change is 1 h shorter or longer in absolute time and still checked); a last partial one is not."""
        out: list[Interval] = []
        day = local_date(self.start, self.zone)
        cursor = self.start
        while True:
            day += timedelta(days=days)
            window_end = start_of_local_day(day, self.zone)
            if window_end > self.end:
                return out
            out.append((cursor, window_end))
            cursor = window_end

    def leave(self, p: PersonInfo) -> None:
        rules = p.rules.of_kind("leave")
        cite = rules[0].cite if rules else "leave record (people.yaml)"
        for sh in self.by_person(p.id):
            day = local_date(sh.start, p.zone)
            while start_of_local_day(day, p.zone) < sh.end:
                absence = p.absence(day)
                if absence:
                    self.out.append(Violation(p.id, max(sh.start, start_of_local_day(day, p.zone)), "leave", cite, "block",
                                              f"{p.id} is rostered on {sh.rotation} on {day} but on {absence.kind} leave "
                                              f"{absence.start}..{absence.end}; add an override that covers it ({cite})",
                                              sh.rotation))
                    break
                day += timedelta(days=1)

    def sunday_holiday(self, p: PersonInfo, rule) -> None:
        if not (rule.forbid and rule.includes_standby):
            return
        for sh in self.by_person(p.id):
            if self.team.rotations[sh.rotation].activity in rule.allow_if_activity:
                continue
            day = local_date(sh.start, p.zone)
            while start_of_local_day(day, p.zone) < sh.end:
                holiday = p.holiday(day) if rule.holidays else None
                if holiday or (rule.sundays and day.weekday() == 6):
                    what = f"public holiday {holiday}" if holiday else "a Sunday"
                    self.add(p, max(sh.start, start_of_local_day(day, p.zone)), rule,
                             f"on call for {sh.rotation} on {what} ({day}), which the rule forbids incl. standby",
                             sh.rotation)
                day += timedelta(days=1)

    def consecutive(self, p: PersonInfo, rule) -> None:
        for s, e in merge([(sh.start, sh.end) for sh in self.by_person(p.id)]):
            # counted in local wall-clock days, so a MO 09:00 -> MO 09:00 week is 7 days also across DST
            days = (to_local(e, p.zone).replace(tzinfo=None) - to_local(s, p.zone).replace(tzinfo=None)) / timedelta(days=1)
            if days > rule.days:
                self.add(p, s, rule, f"on call for {days:g} consecutive days, more than {rule.days:g}")

    def standby_days(self, p: PersonInfo, rule) -> None:
        """Standby hours in each consecutive ``per_days`` period of the horizon, at most ``days`` x 24 h."""
        standby = merge([(sh.start, sh.end) for sh in self.by_person(p.id)])
        for cursor, window_end in self.periods(rule.per_days):
            hours = sum((min(e, window_end) - max(s, cursor)).total_seconds() / 3600
                        for s, e in standby if e > cursor and s < window_end)
            if hours > rule.days * 24:
                self.add(p, cursor, rule, f"{_hm(hours)} on call in the {rule.per_days} days from here, more than "
                                          f"{rule.days:g} x 24 h")
                return

    def compensation(self, p: PersonInfo, rule) -> None:
        mine = self.by_person(p.id)
        if mine and not p.contract.compensation.strip():
            self.add(p, mine[0].start, rule, f"on call for {mine[0].rotation} without a compensation in the contract "
                                             "(people.yaml contract.compensation: money or rest)", mine[0].rotation)

    def daily_rest(self, p: PersonInfo, rule) -> None:
        work = self.work(p)
        for s, _ in work:
            if not (self.start <= s < self.end):
                continue
            longest = _longest(subtract([(s, s + timedelta(hours=24))], work))
            if longest < rule.hours:
                self.add(p, s, rule, f"only {_hm(longest)} consecutive rest in the 24 h from this work period, "
                                     f"needs {rule.hours:g} h")
                return

    def weekly_rest(self, p: PersonInfo, rule) -> None:
        need = rule.hours + (max((r.hours for r in p.rules.of_kind("min_daily_rest")), default=0) if rule.plus_daily_rest else 0)
        work = self.work(p)
        for cursor, window_end in self.periods(rule.per_days):
            longest = _longest(subtract([(cursor, window_end)], work))
            if longest < need:
                self.add(p, cursor, rule, f"longest rest in the {rule.per_days} days from here is {_hm(longest)}, needs {need:g} h")
                return

    def weekly_hours(self, p: PersonInfo, rule) -> None:
        if rule.individual_opt_out and p.contract.opt_out_48h:
            return
        hours = sum((min(e, self.end) - max(s, self.start)).total_seconds() / 3600
                    for s, e in self.work(p) if e > self.start and s < self.end)
        weeks = (self.end - self.start) / timedelta(weeks=1)
        if weeks and hours / weeks > rule.hours:
            self.add(p, self.start, rule, f"{hours / weeks:.1f} h per week on average, more than {rule.hours:g} h")

    def night(self, p: PersonInfo, rule) -> None:
        if rule.applies_if == "night_worker" and not p.contract.night_worker:
            return
        ws, we = rule.window
        day = local_date(self.start, p.zone)
        work = self.work(p)
        while start_of_local_day(day, p.zone) < self.end:
            ns, ne = local_window(day, ws, we, p.zone)
            hours = sum((min(e, ne) - max(s, ns)).total_seconds() / 3600 for s, e in work if e > ns and s < ne)
            if hours > rule.max_hours_per_24h:
                self.add(p, ns, rule, f"{hours:.1f} h of night work scheduled, limit {rule.max_hours_per_24h:g} h")
                return
            day += timedelta(days=1)

    def standby(self, p: PersonInfo, rule) -> None:
        for rid in sorted({s.rotation for s in self.by_person(p.id)}):
            rot = self.team.rotations[rid]
            limit = rule.review_if_response_minutes_at_most
            if rot.standby == "remote" and rot.response_minutes is not None and limit is not None \
                    and rot.response_minutes <= limit:
                first = next(s for s in self.by_person(p.id) if s.rotation == rid)
                self.add(p, first.start, rule, f"{rid} requires a response within {rot.response_minutes} min; such "
                                              "standby may count as working time, review it", rid)

    def rest_break(self, p: PersonInfo, rule) -> None:
        work = self.work(p)
        for sh in self.by_person(p.id):
            if any(s < sh.end and sh.start < e for s, e in work):
                self.add(p, sh.start, rule, f"on call for {sh.rotation} during working hours; rest breaks must stay "
                                            "duty-free (schedule breaks off call or pay the premium)", sh.rotation)
                return


_PLAN_CHECKS = {
    "sunday_holiday_work": _Checker.sunday_holiday, "max_consecutive_standby_days": _Checker.consecutive,
    "max_standby_days_in_period": _Checker.standby_days, "compensation_required": _Checker.compensation,
    "min_daily_rest": _Checker.daily_rest, "min_weekly_rest": _Checker.weekly_rest,
    "max_avg_weekly_hours": _Checker.weekly_hours, "night_work_limit": _Checker.night,
    "standby_classification": _Checker.standby, "rest_break_no_oncall": _Checker.rest_break,
}


def violations(team: Team, start: datetime, end: datetime) -> list[Violation]:
    checker = _Checker(team, start, end)
    rostered = {s.person for s in checker.shifts}
    for pid in sorted(rostered):
        person = team.person(pid)
        checker.leave(person)
        for rule in person.rules.rules:
            check = _PLAN_CHECKS.get(rule.kind)
            if check is not None and rule.checked_at("plan"):
                check(checker, person, rule)
    return checker.out


def coverage_gaps(team: Team, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Periods where a policy's first level has no rotation covering: (policy, from, to)."""
    from bot.oncall.schedule import coverage_intervals

    out = []
    for pol in team.policies.values():
        rids = [t.rotation for t in pol.levels[0].targets if t.rotation]
        if not rids or len(rids) != len(pol.levels[0].targets):
            continue
        covered = merge([iv for rid in rids for iv in coverage_intervals(team.rotations[rid], start, end)])
        out += [(pol.id, s, e) for s, e in subtract([(start, end)], covered)]
    return out


def horizon(team: Team) -> tuple[datetime, datetime]:
    rotas = team.rotas_file
    assert rotas is not None
    first = rotas.horizon_start()
    zone = next(iter(team.rotations.values())).timezone
    start = start_of_local_day(first, zone)
    return start, start_of_local_day(first + timedelta(days=rotas.compliance.days), zone)


def check_rotas(config, lf) -> list:
    """Issues for ``bot check``: block -> error, warn -> warning, pinned to the rotation concerned."""
    try:
        team = team_of(config)
    except (KeyError, ValueError):
        return []  # dangling references: reported by the people/labor cross-checks
    start, end = horizon(team)
    index = {r.id: i for i, r in enumerate(lf.model.rotations)}
    issues = []
    policies = {p.id: i for i, p in enumerate(lf.model.escalation_policies)}
    for pid, s, e in coverage_gaps(team, start, end):
        zone = team.rotations[next(t.rotation for t in team.policies[pid].levels[0].targets)].timezone
        issues.append(lf.issue(("escalation_policies", policies[pid]),
                               f"coverage gap: no rotation of {pid} covers {describe_local(s, zone)} to "
                               f"{describe_local(e, zone)}; the fallback would be paged", "warning"))
    for v in violations(team, start, end):
        path = ("rotations", index[v.rotation]) if v.rotation in index else ("compliance",)
        issues.append(lf.issue(path, f"{v.rule}: {v.message}", "error" if v.severity == "block" else "warning"))
    return issues
