"""The on-call report as Markdown (for people) and CSV (for payroll and spreadsheets)."""

from __future__ import annotations

import csv
import io

from bot.reports.oncall_report import BASIS, OnCallReport, PersonFigures
from bot.reports.timefmt import iso

# (CSV header, Markdown header, attribute); the definitions are in docs/managers.md.
COLUMNS = (
    ("person", "Person", "person"),
    ("zone", "Zone", "zone"),
    ("holiday_calendar", "Holidays", "calendar"),
    ("night_window", "Night", "night_window"),
    ("oncall_hours", "On call h", "oncall_hours"),
    ("night_hours", "Night h", "night_hours"),
    ("weekend_hours", "Weekend h", "weekend_hours"),
    ("holiday_hours", "Holiday h", "holiday_hours"),
    ("pages", "Pages", "pages"),
    ("callouts", "Call-outs", "callouts"),
    ("callout_hours", "Call-out h", "callout_hours"),
    ("compensatory_rest_hours", "Comp. rest owed h", "compensatory_rest_hours"),
    ("work_hours", "Other work h", "work_hours"),
    ("rest_owed_hours", "Rest unscheduled h", "rest_owed_hours"),
    ("rest_scheduled_hours", "Rest scheduled h", "rest_scheduled_hours"),
    ("rest_taken_hours", "Rest taken h", "rest_taken_hours"),
    ("exceptions_used", "Exceptions used", "exceptions"),
    ("exceptions_unconfirmed", "Unconfirmed", "unconfirmed"),
)
SUMMED = ("oncall_hours", "night_hours", "weekend_hours", "holiday_hours", "pages", "callouts", "callout_hours",
          "compensatory_rest_hours", "work_hours", "rest_owed_hours", "rest_scheduled_hours", "rest_taken_hours",
          "unconfirmed")


def number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def cell(row: PersonFigures, attr: str) -> str:
    value = getattr(row, attr)
    if attr == "exceptions":
        return " ".join(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return str(value)


def total_cell(report: OnCallReport, attr: str) -> str:
    if attr == "person":
        return "TOTAL"
    if attr in SUMMED:
        return number(report.total(attr))
    if attr == "exceptions":
        return str(sum(len(r.exceptions) for r in report.rows))
    return ""


def to_csv(report: OnCallReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c[0] for c in COLUMNS])
    for row in report.rows:
        writer.writerow([cell(row, attr) for _, _, attr in COLUMNS])
    writer.writerow([total_cell(report, attr) for _, _, attr in COLUMNS])
    return buf.getvalue()


def to_markdown(report: OnCallReport) -> str:
    scope = f"rota {report.rota} ({', '.join(report.rotations)})" if report.rota else "all rotations"
    out = [f"# On-call report {report.first} .. {report.last}", "",
           f"{BASIS} Scope: {scope}. Generated {iso(report.generated_at)}.", ""]
    if report.chain_problems:
        out += ["**NOT VERIFIED: these rows differ from the audit chain (changed outside the bot); the figures below "
                "may be wrong until they are explained (`incident-bot audit verify`):**", ""]
        out += [f"- {problem}" for problem in report.chain_problems] + [""]
    out.append("| " + " | ".join(c[1] for c in COLUMNS) + " |")
    out.append("|" + "|".join("---" if i < 4 else "---:" for i in range(len(COLUMNS))) + "|")
    for row in report.rows:
        out.append("| " + " | ".join(cell(row, attr) or "-" for _, _, attr in COLUMNS) + " |")
    out.append("| " + " | ".join(f"**{v}**" if v else "" for v in (total_cell(report, attr) for _, _, attr in COLUMNS)) + " |")
    out += ["", f"Fairness spread: {number(report.fairness_spread)} h between the most and the least on-call hours "
                "of the rotations' participants."]
    touched = [f"{r.person}: {', '.join(r.holidays)}" for r in report.rows if r.holidays]
    if touched:
        out += ["", "Public holidays on call: " + "; ".join(touched) + "."]
    if report.unknown_people:
        out += ["", f"Not counted (in the store, no longer in people.yaml): {', '.join(report.unknown_people)}."]
    out += ["", "Columns are defined in docs/managers.md. Night = the night window of the person's labor profile "
                "(default 23:00-06:00 local); weekend = Saturday and Sunday local; holidays from the person's site calendar."]
    return "\n".join(out) + "\n"
