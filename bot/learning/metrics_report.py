"""The period's metrics as Markdown, CSV (one figure a row) and JSON; and the one-line summary the drill prints."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.learning.metrics import Metrics


def minutes(seconds: float | None) -> str:
    """``1h 05m`` / ``12m`` / ``-``: a mean duration rounded to the minute."""
    if seconds is None:
        return "-"
    total = int(round(seconds / 60))
    return f"{total // 60}h {total % 60:02d}m" if total >= 60 else f"{total}m"


def to_json(m: Metrics) -> dict[str, Any]:
    return {
        "period": {"from": m.start.isoformat(), "to": m.end.isoformat(), "as_of": m.as_of.isoformat()},
        "incidents": m.incidents,
        "severities": {sev: {"incidents": f.incidents, "acknowledged": f.acknowledged, "resolved": f.resolved,
                             "mtta_seconds": f.mtta_seconds, "mttr_seconds": f.mttr_seconds}
                       for sev, f in sorted(m.severities.items())},
        "pages": {"total": m.pages_total, "out_of_hours": m.pages_out_of_hours,
                  "per_person": [{"person": p.person, "pages": p.pages, "out_of_hours": p.out_of_hours}
                                 for p in m.pages]},
        "exceptions_used": m.exceptions_used,
        "deadlines": m.deadlines,
        "reviews": m.reviews,
        "followups": {"total": m.followups_total, "overdue": m.followups_overdue},
    }


def rows(m: Metrics) -> list[tuple[str, str, Any]]:
    """(metric, label, value): the CSV's rows; durations in seconds, empty when there is nothing to average."""
    out: list[tuple[str, str, Any]] = [("incidents", "all", m.incidents)]
    for sev, f in sorted(m.severities.items()):
        out += [("incidents", sev, f.incidents),
                ("mtta_seconds", sev, "" if f.mtta_seconds is None else round(f.mtta_seconds, 1)),
                ("mttr_seconds", sev, "" if f.mttr_seconds is None else round(f.mttr_seconds, 1))]
    out += [("pages", "all", m.pages_total), ("pages_out_of_hours", "all", m.pages_out_of_hours)]
    for p in m.pages:
        out += [("pages", p.person, p.pages), ("pages_out_of_hours", p.person, p.out_of_hours)]
    out.append(("exceptions_used", "all", m.exceptions_used))
    out += [("deadlines", outcome, n) for outcome, n in m.deadlines.items()]
    out += [("reviews", outcome, n) for outcome, n in m.reviews.items()]
    out += [("followups", "all", m.followups_total), ("followups_overdue", "all", m.followups_overdue)]
    return out


def to_csv(m: Metrics) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("metric", "label", "value"))
    writer.writerows(rows(m))
    return buffer.getvalue()


def to_markdown(m: Metrics) -> str:
    lines = [f"# Incident metrics {m.start:%Y-%m-%d %H:%M} .. {m.end:%Y-%m-%d %H:%M} UTC", "",
             f"As of {m.as_of:%Y-%m-%d %H:%M} UTC. {m.incidents} incident(s) declared in the period.", "",
             "| Severity | Incidents | MTTA | MTTR |", "|---|---|---|---|"]
    lines += [f"| {sev} | {f.incidents} | {minutes(f.mtta_seconds)} | {minutes(f.mttr_seconds)} |"
              for sev, f in sorted(m.severities.items())] or ["| (none) | 0 | - | - |"]
    lines += ["", f"Pages: {m.pages_total}, {m.pages_out_of_hours} out of hours.", ""]
    if m.pages:
        lines += ["| Person | Pages | Out of hours |", "|---|---|---|"]
        lines += [f"| {p.person} | {p.pages} | {p.out_of_hours} |" for p in m.pages]
        lines.append("")
    lines += [f"Labor-law exceptions used: {m.exceptions_used}.",
              "Legal deadlines: " + ", ".join(f"{n} {k}" for k, n in m.deadlines.items()) + ".",
              "Reviews: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in m.reviews.items()) + ".",
              f"Follow-ups: {m.followups_total}, {m.followups_overdue} overdue.", ""]
    return "\n".join(lines)


def one_line(m: Metrics) -> str:
    """The drill's metrics line."""
    sev = "; ".join(f"{s}: {f.incidents} incident(s), MTTA {minutes(f.mtta_seconds)}, MTTR {minutes(f.mttr_seconds)}"
                    for s, f in sorted(m.severities.items())) or "no incidents"
    return (f"{sev}; pages {m.pages_total} ({m.pages_out_of_hours} out of hours); exceptions {m.exceptions_used}; "
            f"deadlines met {m.deadlines.get('met', 0)}, missed {m.deadlines.get('missed', 0)}; reviews on time "
            f"{m.reviews.get('on_time', 0)}; follow-ups overdue {m.followups_overdue}")
