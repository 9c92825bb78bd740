"""Coverage gaps: times when a follow-the-sun escalation policy has nobody on call.

A rotation with coverage windows (e.g. nights and weekends only) is part-time
by design, so its uncovered hours are not gaps.  An escalation policy that
names two or more rotations hands over between them: any time none of them
covers is a gap, and incidents in that time reach nobody at the first level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.oncall.schedule import coverage_intervals
from bot.oncall.team import Team
from bot.oncall.wallclock import describe_local
from bot.reports.intervals import subtract
from bot.reports.local_windows import day_span
from bot.reports.timefmt import iso


@dataclass(frozen=True)
class CoverageGap:
    target: str  # escalation policy id
    rotations: tuple[str, ...]
    zone: str  # zone of the policy's first rotation, used to show the gap
    start: datetime
    end: datetime

    @property
    def key(self) -> tuple:
        return (self.target, self.start, self.end)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def describe(self) -> str:
        return (f"{self.target}: nobody on call {describe_local(self.start, self.zone)} -> "
                f"{describe_local(self.end, self.zone)} ({self.hours:g} h; none of {', '.join(self.rotations)} covers it)")

    def to_json(self) -> dict:
        return {"target": self.target, "rotations": list(self.rotations), "start": iso(self.start), "end": iso(self.end),
                "zone": self.zone, "hours": round(self.hours, 2), "description": self.describe()}


def policy_rotations(team: Team) -> dict[str, tuple[str, ...]]:
    """Policy id -> the rotations its levels page directly, in order of appearance."""
    out: dict[str, tuple[str, ...]] = {}
    for pid, policy in team.policies.items():
        names = [t.rotation for level in policy.levels for t in level.targets if t.rotation]
        out[pid] = tuple(dict.fromkeys(n for n in names if n in team.rotations))
    return out


def coverage_gaps(team: Team, rotation_ids: list[str] | tuple[str, ...], first: date, last: date) -> list[CoverageGap]:
    """Gaps of every policy that pages two or more rotations, one of which is in ``rotation_ids``."""
    wanted = set(rotation_ids)
    out: list[CoverageGap] = []
    for pid, rots in sorted(policy_rotations(team).items()):
        if len(rots) < 2 or not wanted.intersection(rots):
            continue
        zone = team.rotations[rots[0]].timezone
        start, end = day_span(first, last, zone)
        covered = [iv for rid in rots for iv in coverage_intervals(team.rotations[rid], start, end)]
        out += [CoverageGap(pid, rots, zone, s, e) for s, e in subtract([(start, end)], covered)]
    return out
