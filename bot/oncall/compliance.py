"""Plan-time checks: materialise the rota for a horizon and report violations.

Run by ``bot check`` through the rotas cross-check.  The rota is materialised
once for the horizon and its shifts indexed by person; each rostered person's
own shifts are then checked against each of their rules that runs at the
``plan`` check point (one function per rule kind in
:mod:`bot.oncall.plan_checks`), so the check grows with the number of shifts,
not with people x shifts.  A violation of a ``block`` rule is an error, of a
``warn`` rule a warning, ``log`` rules are not reported.  Every message names
the person, the time, the rule and its citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.oncall import hours_checks, rest_day_checks  # noqa: F401  (they register their rule kinds)
from bot.oncall.plan_checks import PLAN_CHECKS, Horizon, PersonPlan, Violation, check_leave
from bot.oncall.rota import RotasFile
from bot.oncall.schedule import Shift, coverage_intervals, merge, shifts, subtract
from bot.oncall.team import Team, team_of
from bot.oncall.wallclock import describe_local, start_of_local_day

__all__ = ["Violation", "Window", "violations", "shifts_by_person", "coverage_gaps", "horizon", "windows",
           "check_rotas"]


def shifts_by_person(team: Team, start: datetime, end: datetime) -> dict[str, list[Shift]]:
    """Every rotation's final shifts in [start, end), grouped by person (rotation order, then time)."""
    out: dict[str, list[Shift]] = {}
    for rid in team.rotations:
        for sh in shifts(team, rid, start, end):
            out.setdefault(sh.person, []).append(sh)
    return out


def violations(team: Team, start: datetime, end: datetime, *, only: set[str] | None = None) -> list[Violation]:
    """Every rostered person's plan-time findings in [start, end) (``only``: just these people)."""
    span = Horizon(team, start, end)
    out: list[Violation] = []
    for pid, own in sorted(shifts_by_person(team, start, end).items()):
        if only is not None and pid not in only:
            continue
        plan = PersonPlan(span, team.person(pid), own, out)
        check_leave(plan)
        for rule in plan.person.rules.rules:
            check = PLAN_CHECKS.get(rule.kind)
            if check is not None and rule.checked_at("plan"):
                check(plan, rule)
    return out


def coverage_gaps(team: Team, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Periods where a policy's first level has no rotation covering: (policy, from, to)."""
    out = []
    for pol in team.policies.values():
        rids = [t.rotation for t in pol.levels[0].targets if t.rotation]
        if not rids or len(rids) != len(pol.levels[0].targets):
            continue
        covered = merge([iv for rid in rids for iv in coverage_intervals(team.rotations[rid], start, end)])
        out += [(pol.id, s, e) for s, e in subtract([(start, end)], covered)]
    return out


def horizon(team: Team) -> tuple[datetime, datetime]:
    """The fixed window of rotas.yaml's ``compliance`` (from, days): the same answer every day."""
    rotas = team.rotas_file
    assert rotas is not None
    first = rotas.horizon_start()
    zone = next(iter(team.rotations.values())).timezone
    start = start_of_local_day(first, zone)
    return start, start_of_local_day(first + timedelta(days=rotas.compliance.days), zone)


@dataclass(frozen=True)
class Window:
    name: str  # what it is, for the reader: "rotas.yaml compliance (from, days)" or "8 weeks from 2026-12-01"
    first: date  # first local day checked
    last: date  # last local day checked
    start: datetime
    end: datetime


def windows(rotas: RotasFile, today: date | None = None, weeks_ahead: int | None = None) -> list[Window]:
    """The windows ``check`` checks: the fixed one, and with ``today`` also the weeks ahead of today, so an
    edit that breaks a labor rule next month is caught whatever the fixed window says. Days are local
    days of the first rotation's zone, as in :func:`horizon`."""
    zone = rotas.rotations[0].timezone
    first = rotas.horizon_start()
    last_fixed = first + timedelta(days=rotas.compliance.days - 1)
    out = [Window("rotas.yaml compliance (from, days)", first, last_fixed, start_of_local_day(first, zone),
                  start_of_local_day(last_fixed + timedelta(days=1), zone))]
    weeks = rotas.compliance.weeks_ahead if weeks_ahead is None else weeks_ahead
    if today is not None and weeks > 0:
        last = today + timedelta(weeks=weeks, days=-1)
        out.append(Window(f"{weeks} weeks from {today.isoformat()}", today, last, start_of_local_day(today, zone),
                          start_of_local_day(last + timedelta(days=1), zone)))
    return out


def check_rotas(config, lf) -> list:
    """Issues for ``bot check``: block -> error, warn -> warning, pinned to the rotation concerned."""
    try:
        team = team_of(config)
    except (KeyError, ValueError):
        return []  # dangling references: reported by the people/labor cross-checks
    index = {r.id: i for i, r in enumerate(lf.model.rotations)}
    issues = []
    policies = {p.id: i for i, p in enumerate(lf.model.escalation_policies)}
    for window in windows(lf.model, config.today, config.weeks_ahead):
        for pid, s, e in coverage_gaps(team, window.start, window.end):
            zone = team.rotations[next(t.rotation for t in team.policies[pid].levels[0].targets)].timezone
            issues.append(lf.issue(("escalation_policies", policies[pid]),
                                   f"coverage gap: no rotation of {pid} covers {describe_local(s, zone)} to "
                                   f"{describe_local(e, zone)}; the fallback would be paged", "warning"))
        for v in violations(team, window.start, window.end):
            if v.severity == "note":
                continue  # not judged (e.g. an average needs a longer horizon): not an error nor a warning
            path = ("rotations", index[v.rotation]) if v.rotation in index else ("compliance",)
            issues.append(lf.issue(path, f"{v.rule}: {v.message}", "error" if v.severity == "block" else "warning"))
    return list(dict.fromkeys(issues))  # a finding inside both windows is reported once
