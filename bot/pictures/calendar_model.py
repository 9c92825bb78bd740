"""Month grids of a rota preview: what goes on which local day, per rotation and per person.

A rotation's calendar is drawn in the rotation's zone; a person's calendar in
the person's own zone, so a finding at 23:30 UTC lands on the next day for a
person in Berlin and on the same day for one in Lisbon.  Each day lists its
entries as text (``On call``, ``Holiday``, ``Leave``, ``Gap``, ``BLOCK``/``WARN``)
so nothing depends on colour.
"""

from __future__ import annotations

import calendar as month_math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.oncall.compliance import Violation
from bot.oncall.team import Team
from bot.oncall.wallclock import local_date, to_local
from bot.reports.gaps import CoverageGap
from bot.reports.local_windows import days, whole_day
from bot.reports.preview import PreviewShift, RotaPreview


@dataclass(frozen=True)
class Finding:
    """A labor-rule violation with its number in the page's list of findings (``finding-3``)."""

    number: int
    violation: Violation
    local: str  # "2026-03-04 20:00 CET" in the person's zone
    prefix: str = "finding"

    @property
    def anchor(self) -> str:
        return f"{self.prefix}-{self.number}"


@dataclass(frozen=True)
class Entry:
    kind: str  # shift | holiday | closure | leave | gap | finding
    label: str  # the visible text
    detail: str = ""  # the tooltip text (hover and keyboard focus)
    anchor: str = ""  # "#finding-3" for findings
    severity: str = ""  # block | warn (findings)
    rule: str = ""  # rule id (findings)
    change: str = ""  # gains | loses (edit review)


@dataclass
class Day:
    day: date
    in_range: bool
    entries: list[Entry] = field(default_factory=list)

    @property
    def weekend(self) -> bool:
        return self.day.weekday() >= 5

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


@dataclass
class Month:
    title: str  # "December 2026"
    weeks: list[list[Day | None]]  # Monday first; None pads the first and last week


@dataclass
class CalendarView:
    key: str  # html id: "rota-platform" or "person-anna"
    title: str
    zone: str
    note: str
    months: list[Month]


def _clock(at: datetime, zone: str, day: date) -> str:
    """'09:00', or '24:00' for the midnight that ends ``day``."""
    local = to_local(at, zone)
    return "24:00" if local.date() > day else f"{local:%H:%M}"


def _pieces(start: datetime, end: datetime, zone: str, first: date, last: date):
    """(local day, 'HH:MM-HH:MM') for each local day an interval touches inside first..last."""
    day = max(local_date(start, zone), first)
    while day <= last:
        lo, hi = whole_day(day, zone)
        if lo >= end:
            break
        s, e = max(start, lo), min(end, hi)
        if s < e:
            yield day, f"{_clock(s, zone, day)}-{_clock(e, zone, day)}"
        day += timedelta(days=1)


def finding_entry(f: Finding) -> Entry:
    v = f.violation
    return Entry("finding", f"{v.severity.upper()} {v.rule}", f"{v.rule} ({v.citation}): {v.message}",
                 f"#{f.anchor}", v.severity, v.rule)


def _months(first: date, last: date, by_day: dict[date, list[Entry]]) -> list[Month]:
    out: list[Month] = []
    cursor = first.replace(day=1)
    while cursor <= last:
        weeks: list[list[Day | None]] = []
        for week in month_math.Calendar(firstweekday=0).monthdatescalendar(cursor.year, cursor.month):
            row: list[Day | None] = []
            for d in week:
                row.append(None if d.month != cursor.month else Day(d, first <= d <= last, by_day.get(d, [])))
            if any(first <= d <= last for d in week):  # weeks wholly outside the range are left out
                weeks.append(row)
        out.append(Month(f"{cursor:%B %Y}", weeks))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return out


def number_findings(preview: RotaPreview) -> list[Finding]:
    zone = preview.zones
    return [Finding(i, v, f"{to_local(v.at, zone.get(v.person, 'UTC')):%Y-%m-%d %H:%M %Z}")
            for i, v in enumerate(preview.violations, start=1)]


def _add(by_day: dict[date, list[Entry]], day: date, entry: Entry) -> None:
    by_day.setdefault(day, []).append(entry)


def rota_calendar(team: Team, preview: RotaPreview, rotation_id: str, findings: list[Finding],
                  changes: dict[tuple, str] | None = None) -> CalendarView:
    """One rotation's month grids in its zone: who is on call, their holidays and leave, gaps, findings.

    ``changes`` maps (person, rotation, start, end) of a shift to "gains"/"loses" (the edit review).
    """
    rot = team.rotations[rotation_id]
    zone, first, last = rot.timezone, preview.first, preview.last
    by_day: dict[date, list[Entry]] = {}
    for sh in sorted((s for s in preview.shifts if s.rotation == rotation_id), key=lambda s: s.start):
        change = (changes or {}).get((sh.person, sh.rotation, sh.start, sh.end), "")
        for day, span in _pieces(sh.start, sh.end, zone, first, last):
            _add(by_day, day, _shift_entry(team, sh, span, zone, change))
    for d in days(first, last):
        lo, hi = whole_day(d, zone)
        on_duty = {s.person for s in preview.shifts if s.rotation == rotation_id and s.start < hi and s.end > lo}
        for pid in sorted(on_duty):
            person = team.person(pid)
            holiday = person.holiday(d)
            if holiday:
                _add(by_day, d, Entry("holiday", f"Holiday for {pid}: {holiday}", f"public holiday of {person.calendar_label}"))
        for pid in rot.participants:
            person = team.people.get(pid)
            absence = person.absence(d) if person else None
            if absence:
                _add(by_day, d, Entry("leave", f"Leave: {pid} ({absence.kind})", f"{absence.start} to {absence.end}"))
    for gap in preview.gaps:
        if rotation_id in gap.rotations:
            for day, span in _pieces(gap.start, gap.end, zone, first, last):
                _add(by_day, day, _gap_entry(gap, span))
    for f in findings:
        v = f.violation
        if v.rotation == rotation_id or (v.rotation is None and v.person in rot.participants):
            day = local_date(v.at, zone)
            if first <= day <= last:
                _add(by_day, day, finding_entry(f))
    note = (f"Times in {zone}, the rotation's zone. Each person's own calendar below shows their shifts in "
            "their local time.")
    return CalendarView(f"rota-{rotation_id}", f"Rotation {rot.name or rot.id} ({rot.id})", zone, note,
                        _months(first, last, by_day))


def person_calendar(team: Team, preview: RotaPreview, person_id: str, findings: list[Finding],
                    changes: dict[tuple, str] | None = None) -> CalendarView:
    """One person's month grids in their own zone: shifts in every rotation, holidays, closures, leave, findings."""
    person = team.person(person_id)
    zone, first, last = person.zone, preview.first, preview.last
    by_day: dict[date, list[Entry]] = {}
    for sh in sorted((s for s in preview.shifts if s.person == person_id), key=lambda s: s.start):
        change = (changes or {}).get((sh.person, sh.rotation, sh.start, sh.end), "")
        for day, span in _pieces(sh.start, sh.end, zone, first, last):
            label = f"On call {sh.rotation} {span}"
            detail = sh.source if sh.source != "rotation" else f"on call for {sh.rotation}"
            _add(by_day, day, Entry("shift", ("+ " if change == "gains" else "- " if change == "loses" else "") + label,
                                    detail, change=change))
    for d in days(first, last):
        holiday, closure, absence = person.holiday(d), person.closure(d), person.absence(d)
        if holiday:
            _add(by_day, d, Entry("holiday", f"Holiday: {holiday}", f"public holiday of {person.calendar_label}"))
        if closure:
            _add(by_day, d, Entry("closure", f"Closed: {closure}", "company closure"))
        if absence:
            _add(by_day, d, Entry("leave", f"Leave ({absence.kind})", f"{absence.start} to {absence.end}"
                                  + (f": {absence.note}" if absence.note else "")))
    for f in findings:
        if f.violation.person == person_id:
            day = local_date(f.violation.at, zone)
            if first <= day <= last:
                _add(by_day, day, finding_entry(f))
    note = f"Times in {zone}, {person.name}'s own zone; holidays of {person.calendar_label}."
    return CalendarView(f"person-{person_id}", f"{person.name} ({person_id})", zone, note, _months(first, last, by_day))


def _shift_entry(team: Team, sh: PreviewShift, span: str, zone: str, change: str) -> Entry:
    mark = "+ " if change == "gains" else "- " if change == "loses" else ""
    detail = f"{team.person(sh.person).name}; own zone {sh.zone}"
    if sh.source != "rotation":
        detail += f"; {sh.source}"
    return Entry("shift", f"{mark}On call: {sh.person} {span}", detail, change=change)


def _gap_entry(gap: CoverageGap, span: str) -> Entry:
    return Entry("gap", f"Gap: nobody on call {span}",
                 f"escalation policy {gap.target}: none of {', '.join(gap.rotations)} covers it")


def people_of(team: Team, preview: RotaPreview) -> list[str]:
    """People with a shift in the preview, then the other participants of the previewed rotations."""
    found = {s.person for s in preview.shifts}
    found |= {p for rid in preview.rotations for p in team.rotations[rid].participants if p in team.people}
    return sorted(found)
