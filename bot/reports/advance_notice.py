"""Advance notice of standby schedules: a rota edit that changes someone's shifts too soon is a finding.

A profile's ``advance_notice`` rule says how many days ahead a person's
standby schedule must be notified (France: 15 days, C. trav. L3121-12 2°,
failing a collective agreement) and how many clear days are the minimum even
in exceptional circumstances (1).  ``rota preview --diff`` compares the
edit with the current rota as of the day it is notified: a shift gained or
lost before ``days`` from then is a warning (allowed only in exceptional
circumstances), before the clear days have passed a blocking violation.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.oncall.plan_checks import Violation
from bot.oncall.team import Team
from bot.oncall.wallclock import start_of_local_day
from bot.reports.shift_change import ShiftChange
from bot.reports.timefmt import local_span


def notice_findings(teams: tuple[Team, Team], changes: list[ShiftChange], notified_on: date) -> list[Violation]:
    """Findings for ``changes`` (the edit's shift changes) notified on the local day ``notified_on``."""
    out: list[Violation] = []
    for change in changes:
        person = teams[1].people.get(change.person) or teams[0].people.get(change.person)
        if person is None:
            continue
        for rule in person.rules.of_kind("advance_notice"):
            if not rule.checked_at("review"):
                continue
            zone = person.zone
            due = start_of_local_day(notified_on + timedelta(days=rule.days), zone)
            if change.start >= due:
                continue
            clear = start_of_local_day(notified_on + timedelta(days=1 + rule.exceptional_min_clear_days), zone)
            severity = "block" if change.start < clear else rule.severity
            if severity == "log":
                continue
            why = (f"less than {rule.exceptional_min_clear_days} clear day(s) after it was notified on {notified_on}, "
                   "not allowed even in exceptional circumstances" if change.start < clear else
                   f"less than {rule.days} days after it was notified on {notified_on}; only in exceptional "
                   f"circumstances (at least {rule.exceptional_min_clear_days} clear day(s))")
            verb = "gains" if change.change == "gains" else "loses"
            out.append(Violation(person.id, change.start, rule.kind, rule.cite, severity,
                                 f"{person.id} {verb} {change.rotation} {local_span(change.start, change.end, zone)}: "
                                 f"{why} ({rule.cite})", change.rotation))
    return out
