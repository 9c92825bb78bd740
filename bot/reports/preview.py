"""Rota preview: materialized shifts per person in their local time, labor-rule violations, coverage gaps.

Shifts come from :func:`bot.oncall.schedule.shifts` (cadence, overrides,
coverage) and violations from :func:`bot.oncall.compliance.violations` (the
same plan-time checks ``bot check`` runs), evaluated for the dates asked for
instead of the configured compliance horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.oncall.compliance import Violation, violations
from bot.oncall.schedule import shifts
from bot.oncall.team import Team, team_of
from bot.oncall.wallclock import describe_local
from bot.reports.gaps import CoverageGap, coverage_gaps
from bot.reports.local_windows import day_span
from bot.reports.timefmt import iso, local_iso, local_span


@dataclass(frozen=True)
class PreviewShift:
    rotation: str
    person: str
    zone: str  # the person's own zone
    start: datetime
    end: datetime
    source: str  # "rotation" or "override: <reason>"

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def describe(self) -> str:
        via = "" if self.source == "rotation" else f"  [{self.source}]"
        return f"{self.rotation}: {local_span(self.start, self.end, self.zone)}, {self.hours:g} h{via}"

    def to_json(self) -> dict:
        return {"rotation": self.rotation, "person": self.person, "zone": self.zone, "start": iso(self.start),
                "end": iso(self.end), "local_start": local_iso(self.start, self.zone),
                "local_end": local_iso(self.end, self.zone), "hours": round(self.hours, 2), "source": self.source}


def violation_key(v: Violation) -> tuple:
    return (v.person, v.rule, v.rotation, v.at)


def violation_json(v: Violation, zone: str) -> dict:
    return {"person": v.person, "at": iso(v.at), "local": describe_local(v.at, zone), "rule": v.rule,
            "citation": v.citation, "severity": v.severity, "rotation": v.rotation, "message": v.message}


@dataclass
class RotaPreview:
    first: date
    last: date
    rotations: tuple[str, ...]
    shifts: list[PreviewShift]
    violations: list[Violation]
    gaps: list[CoverageGap]
    zones: dict[str, str] = field(default_factory=dict)  # person -> zone
    notes: list[Violation] = field(default_factory=list)  # checks that could not judge (e.g. an average, window too short)

    @property
    def blocking(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "block"]

    def by_person(self) -> dict[str, list[PreviewShift]]:
        out: dict[str, list[PreviewShift]] = {}
        for sh in sorted(self.shifts, key=lambda s: (s.person, s.start, s.rotation)):
            out.setdefault(sh.person, []).append(sh)
        return out

    def to_json(self) -> dict:
        return {
            "from": self.first.isoformat(), "to": self.last.isoformat(), "rotations": list(self.rotations),
            "people": [{"person": p, "zone": self.zones.get(p, "UTC"), "hours": round(sum(s.hours for s in items), 2),
                        "shifts": [s.to_json() for s in items]} for p, items in self.by_person().items()],
            "violations": [violation_json(v, self.zones.get(v.person, "UTC")) for v in self.violations],
            "not_judged": [violation_json(v, self.zones.get(v.person, "UTC")) for v in self.notes],
            "gaps": [g.to_json() for g in self.gaps],
        }

    def to_text(self) -> str:
        out = [f"Rota preview {self.first} .. {self.last} ({', '.join(self.rotations)}); "
               "times are each person's local time"]
        people = self.by_person()
        out.append("")
        out.append("Shifts per person:" if people else "Shifts per person: none in this range")
        for person, items in people.items():
            out.append(f"  {person} ({self.zones.get(person, 'UTC')}), {sum(s.hours for s in items):g} h on call")
            out += [f"    {s.describe()}" for s in items]
        out.append("")
        blocking = len(self.blocking)
        if self.violations:
            out.append(f"Labor-rule violations: {len(self.violations)} ({blocking} blocking)")
            out += [f"  {v.severity.upper():5} {v.rule}: {v.message}" for v in self.violations]
        else:
            out.append("Labor-rule violations: none")
        if self.notes:
            out.append("")
            out.append(f"Not judged: {len(self.notes)} (averages and periods need a longer window; nothing is "
                       "extrapolated)")
            out += [f"  {v.rule}: {v.message}" for v in self.notes]
        out.append("")
        out.append(f"Coverage gaps: {len(self.gaps)}" if self.gaps else "Coverage gaps: none")
        out += [f"  {g.describe()}" for g in self.gaps]
        return "\n".join(out)


def select_rotations(team: Team, rota: str | None) -> list[str]:
    """All rotations, one rotation, or the rotations an escalation policy pages (directly or via deputies_of)."""
    if rota is None:
        return sorted(team.rotations)
    if rota in team.rotations:
        return [rota]
    if rota in team.policies:
        names = [t.rotation or t.deputies_of for lv in team.policies[rota].levels for t in lv.targets]
        return list(dict.fromkeys(n for n in names if n and n in team.rotations))
    known = ", ".join(sorted(set(team.rotations) | set(team.policies)))
    raise KeyError(f'unknown rota "{rota}"; known rotations and escalation policies: {known}')


def build_preview(config, first: date, last: date, rota: str | None = None, *,
                  rotation_ids: list[str] | None = None) -> RotaPreview:
    """Preview ``rota`` (default: every rotation) for local days ``first`` .. ``last`` inclusive.

    ``rotation_ids`` overrides the selection (the diff uses the union of both configs).
    """
    team = team_of(config)
    selected = [r for r in (rotation_ids if rotation_ids is not None else select_rotations(team, rota))
                if r in team.rotations]
    spans = {rid: day_span(first, last, team.rotations[rid].timezone) for rid in selected}
    out_shifts: list[PreviewShift] = []
    for rid in selected:
        start, end = spans[rid]
        for sh in shifts(team, rid, start, end):
            zone = team.person(sh.person).zone
            out_shifts.append(PreviewShift(rid, sh.person, zone, sh.start, sh.end, sh.source))
    found: list[Violation] = []
    if spans:
        start = min(s for s, _ in spans.values())
        end = max(e for _, e in spans.values())
        rostered = {s.person for s in out_shifts}
        found = [v for v in violations(team, start, end)
                 if v.person in rostered and (v.rotation is None or v.rotation in selected)]
    found.sort(key=lambda v: (v.at, v.person, v.rule))
    zones = {pid: p.zone for pid, p in team.people.items()}
    return RotaPreview(first, last, tuple(selected), out_shifts, [v for v in found if v.severity != "note"],
                       coverage_gaps(team, selected, first, last), zones, [v for v in found if v.severity == "note"])
