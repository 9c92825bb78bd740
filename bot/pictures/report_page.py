"""The on-call report as an HTML page: the table of figures and a bar chart per measure."""

from __future__ import annotations

from bot.pictures.charts import BarChart, bar_chart
from bot.pictures.document import render, stamp
from bot.reports.oncall_report import BASIS, OnCallReport
from bot.reports.report_format import COLUMNS, SUMMED, cell, number, total_cell

# (key, title, attribute, unit, pattern): what each chart shows.
CHARTS = (
    ("oncall", "On-call hours", "oncall_hours", "h", "solid"),
    ("night", "Night hours (the person's night window)", "night_hours", "h", "hatched"),
    ("weekend", "Weekend hours (local Saturday and Sunday)", "weekend_hours", "h", "dotted"),
    ("holiday", "Public-holiday hours (the person's calendar)", "holiday_hours", "h", "hatched"),
    ("pages", "Pages received", "pages", "", "solid"),
    ("callouts", "Call-outs", "callouts", "", "dotted"),
    ("rest", "Compensatory rest owed", "compensatory_rest_hours", "h", "hatched"),
)


def charts(report: OnCallReport) -> list[BarChart]:
    out = []
    for key, title, attr, unit, pattern in CHARTS:
        rows = [(r.person, getattr(r, attr)) for r in report.rows]
        out.append(bar_chart(key, title, unit, rows, number, pattern=pattern,
                             description=f"{title} per person, {report.first} to {report.last}: "
                                         + "; ".join(f"{p} {number(v)}" for p, v in rows)))
    return out


def report_page(report: OnCallReport, *, nav: list | None = None) -> str:
    scope = f"rota {report.rota} ({', '.join(report.rotations)})" if report.rota else "all rotations"
    header = [c[1] for c in COLUMNS]
    numeric = [c[0] in SUMMED for c in COLUMNS]
    rows = [[cell(r, attr) for _, _, attr in COLUMNS] for r in report.rows]
    totals = [total_cell(report, attr) for _, _, attr in COLUMNS]
    return render("report.html", nav=nav, title=f"On-call report {report.first} to {report.last}", basis=BASIS, scope=scope,
                  header=header, numeric=numeric, rows=rows, totals=totals, charts=charts(report),
                  spread=report.fairness_spread, unknown=report.unknown_people, chain_problems=report.chain_problems,
                  holidays=[(r.person, r.holidays) for r in report.rows if r.holidays],
                  generated=stamp(report.generated_at))
