"""The rota preview and the edit review as HTML pages: month calendars per rotation and per person."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from pathlib import Path

from bot.oncall.team import team_of
from bot.pictures.calendar_model import CalendarView, Finding, number_findings, people_of, person_calendar, rota_calendar
from bot.pictures.document import render, stamp
from bot.reports.diff import RotaDiff, ShiftChange
from bot.reports.preview import RotaPreview, build_preview, violation_key


def preview_page(config, preview: RotaPreview, *, generated_at: datetime, nav: list | None = None) -> str:
    """``nav``: the web view's site navigation (none for a file written by the CLI)."""
    team = team_of(config)
    findings = number_findings(preview)
    return render("rota_preview.html", title=f"Rota preview {preview.first} to {preview.last}", nav=nav,
                  first=preview.first, last=preview.last, rotations=preview.rotations, findings=findings,
                  blocking=len(preview.blocking), gaps=preview.gaps, generated=stamp(generated_at),
                  rota_calendars=[rota_calendar(team, preview, rid, findings) for rid in preview.rotations],
                  person_calendars=[person_calendar(team, preview, pid, findings) for pid in people_of(team, preview)])


def _marks(preview: RotaPreview, changes: list[ShiftChange], kind: str) -> dict[tuple, str]:
    """Shifts of ``preview`` that overlap a change of ``kind`` (gains in the edit, loses in the current)."""
    out: dict[tuple, str] = {}
    for sh in preview.shifts:
        if any(c.change == kind and c.person == sh.person and c.rotation == sh.rotation
               and c.start < sh.end and c.end > sh.start for c in changes):
            out[(sh.person, sh.rotation, sh.start, sh.end)] = kind
    return out


def _prefixed(findings: list[Finding], prefix: str) -> list[Finding]:
    return [Finding(f.number, f.violation, f.local, prefix) for f in findings]


def _side(side: str, cal: CalendarView | None) -> CalendarView | None:
    """The same calendar appears on both sides: give each its own html id."""
    if cal is not None:
        cal.key = f"{side}-{cal.key}"
    return cal


def diff_page(before_config, after_config, diff: RotaDiff, *, generated_at: datetime) -> str:
    """Current and edited rota side by side, with what moved, new and resolved findings, new and closed gaps."""
    before, after = diff.before, diff.after
    before_team, after_team = team_of(before_config), team_of(after_config)
    old = _prefixed(number_findings(before), "current-finding")
    new = _prefixed(number_findings(after), "edited-finding")
    new_keys = {violation_key(v) for v in diff.new_violations}
    resolved_keys = {violation_key(v) for v in diff.resolved_violations}
    loses, gains = _marks(before, diff.shift_changes, "loses"), _marks(after, diff.shift_changes, "gains")
    rotations = sorted(set(before.rotations) | set(after.rotations))
    moved = sorted({c.person for c in diff.shift_changes} | {v.person for v in diff.new_violations + diff.resolved_violations})
    pairs = [(rid, _side("current", rota_calendar(before_team, before, rid, old, loses) if rid in before.rotations else None),
              _side("edited", rota_calendar(after_team, after, rid, new, gains) if rid in after.rotations else None))
             for rid in rotations]
    people = [(pid, _side("current", person_calendar(before_team, before, pid, old, loses) if pid in before_team.people else None),
               _side("edited", person_calendar(after_team, after, pid, new, gains) if pid in after_team.people else None))
              for pid in moved]
    return render("rota_diff.html", title=f"Rota edit review {after.first} to {after.last}", diff=diff,
                  generated=stamp(generated_at), pairs=pairs, people=people,
                  new_findings=[f for f in new if violation_key(f.violation) in new_keys],
                  resolved_findings=[f for f in old if violation_key(f.violation) in resolved_keys],
                  current_findings=old, edited_findings=new)


def month_preview_page(config, day: date, rota: str | None, *, generated_at: datetime, nav: list | None = None) -> str:
    """The rota calendar of ``day``'s whole month, for one rotation or policy (KeyError if unknown) or all."""
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return preview_page(config, build_preview(config, first, last, rota), generated_at=generated_at, nav=nav)


def write_month_calendar(config, day: date, folder: Path, *, generated_at: datetime) -> Path:
    """The rota calendar of ``day``'s whole month (every rotation) as ``folder/rota-calendar-YYYY-MM.html``."""
    from bot.private_file import write_private

    return write_private(folder / f"rota-calendar-{day:%Y-%m}.html",
                         month_preview_page(config, day, None, generated_at=generated_at))
