"""What a rota edit changes: shifts gained and lost per person, new and resolved violations, new and closed gaps.

Both configurations are previewed for the same dates and rotations (the union
of what each one has); shifts are compared as time ranges per person and
rotation, so a swap shows as one person gaining exactly what another loses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.oncall.compliance import Violation
from bot.oncall.team import team_of
from bot.reports.advance_notice import notice_findings
from bot.reports.gaps import CoverageGap
from bot.reports.intervals import subtract
from bot.reports.preview import RotaPreview, build_preview, select_rotations, violation_json, violation_key
from bot.reports.shift_change import ShiftChange


@dataclass
class RotaDiff:
    before: RotaPreview
    after: RotaPreview
    shift_changes: list[ShiftChange]
    new_violations: list[Violation]
    resolved_violations: list[Violation]
    new_gaps: list[CoverageGap]
    closed_gaps: list[CoverageGap]

    @property
    def new_blocking(self) -> list[Violation]:
        return [v for v in self.new_violations if v.severity == "block"]

    @property
    def unchanged(self) -> bool:
        return not (self.shift_changes or self.new_violations or self.resolved_violations
                    or self.new_gaps or self.closed_gaps)

    def zone(self, person: str) -> str:
        return self.after.zones.get(person) or self.before.zones.get(person) or "UTC"

    def to_json(self) -> dict:
        return {
            "from": self.after.first.isoformat(), "to": self.after.last.isoformat(),
            "rotations": sorted(set(self.before.rotations) | set(self.after.rotations)),
            "shift_changes": [c.to_json() for c in self.shift_changes],
            "new_violations": [violation_json(v, self.zone(v.person)) for v in self.new_violations],
            "resolved_violations": [violation_json(v, self.zone(v.person)) for v in self.resolved_violations],
            "new_gaps": [g.to_json() for g in self.new_gaps],
            "closed_gaps": [g.to_json() for g in self.closed_gaps],
            "new_blocking_violations": len(self.new_blocking),
        }

    def to_text(self) -> str:
        out = [f"Rota edit review {self.after.first} .. {self.after.last}; times are each person's local time"]
        if self.unchanged:
            return "\n".join(out + ["", "No change: same shifts, violations and gaps."])
        sections = (
            ("Shift changes", [c.describe() for c in self.shift_changes]),
            ("New violations", [f"{v.severity.upper():5} {v.rule}: {v.message}" for v in self.new_violations]),
            ("Resolved violations", [f"{v.severity.upper():5} {v.rule}: {v.message}" for v in self.resolved_violations]),
            ("New coverage gaps", [g.describe() for g in self.new_gaps]),
            ("Closed coverage gaps", [g.describe() for g in self.closed_gaps]),
        )
        for title, lines in sections:
            out.append("")
            out.append(f"{title}: {len(lines)}" if lines else f"{title}: none")
            out += [f"  {line}" for line in lines]
        if self.new_blocking:
            out += ["", f"The edit introduces {len(self.new_blocking)} blocking violation(s): fix them before merging."]
        return "\n".join(out)


def _ranges(preview: RotaPreview) -> dict[tuple[str, str], list[tuple[datetime, datetime]]]:
    out: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    for sh in preview.shifts:
        out.setdefault((sh.person, sh.rotation), []).append((sh.start, sh.end))
    return out


def compare(before: RotaPreview, after: RotaPreview) -> RotaDiff:
    old, new = _ranges(before), _ranges(after)
    changes: list[ShiftChange] = []
    for key in sorted(set(old) | set(new)):
        person, rotation = key
        zone = after.zones.get(person) or before.zones.get(person) or "UTC"
        changes += [ShiftChange("gains", person, rotation, zone, s, e) for s, e in subtract(new.get(key, []), old.get(key, []))]
        changes += [ShiftChange("loses", person, rotation, zone, s, e) for s, e in subtract(old.get(key, []), new.get(key, []))]
    changes.sort(key=lambda c: (c.start, c.rotation, c.change, c.person))
    old_v = {violation_key(v): v for v in before.violations}
    new_v = {violation_key(v): v for v in after.violations}
    old_g = {g.key: g for g in before.gaps}
    new_g = {g.key: g for g in after.gaps}
    return RotaDiff(before, after, changes,
                    [v for k, v in new_v.items() if k not in old_v], [v for k, v in old_v.items() if k not in new_v],
                    [g for k, g in new_g.items() if k not in old_g], [g for k, g in old_g.items() if k not in new_g])


def diff_configs(before_config, after_config, first: date, last: date, rota: str | None = None, *,
                 notified_on: date | None = None) -> RotaDiff:
    """Preview both configurations over the same dates and rotations and compare them.

    ``rota`` must exist in at least one of them (a rotation may be added or removed by the edit).
    ``notified_on``: the day the edit is notified to the people; shift changes too soon for a profile's
    ``advance_notice`` rule are new violations (:mod:`bot.reports.advance_notice`).
    """
    selections: list[list[str]] = []
    errors: list[KeyError] = []
    for config in (before_config, after_config):
        try:
            selections.append(select_rotations(team_of(config), rota))
        except KeyError as exc:
            errors.append(exc)
            selections.append([])
    if len(errors) == 2:
        raise errors[1]
    rotation_ids = list(dict.fromkeys(selections[0] + selections[1]))
    result = compare(build_preview(before_config, first, last, rotation_ids=rotation_ids),
                     build_preview(after_config, first, last, rotation_ids=rotation_ids))
    if notified_on is not None:
        teams = (team_of(before_config), team_of(after_config))
        result.new_violations += notice_findings(teams, result.shift_changes, notified_on)
    return result
