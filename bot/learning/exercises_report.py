"""Exercises as the period report, ``exercise list`` and tools read them (JSON) and as people read them (Markdown)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import ensure_utc
from bot.learning.exercises import ExerciseView, latest_within_year, year_before

NOT_EXERCISED = "plan not exercised in 12 months"
NOTE = ("Tabletop exercises and drills recorded on the global audit chain (`incident-bot exercise record`, and every "
        "`run.py drill` in the database it ran on). ISO/IEC 27001 A.5.24 expects the response plan to be tested: the "
        "report flags a period end with no exercise in the 12 months before it.")
LEFT_OUT = ("exercise event(s) of the global chain left out: written outside the bot in a shape it never writes, "
            "they cannot be read (`incident-bot audit verify` reports them too)")


def as_json(found: list[ExerciseView]) -> list[dict[str, Any]]:
    return [{"id": x.label, "date": x.date, "scenario": x.scenario, "facilitator": x.facilitator,
             "participants": list(x.participants), "findings": x.findings, "drill": x.drill,
             "recorded_by": x.recorded_by, "recorded_at": x.recorded_at.isoformat(), "redacted": x.redacted}
            for x in found]


def _drill(d: dict[str, Any] | None) -> str:
    if not d:
        return "-"
    outcome = d.get("outcome") or {}
    parts = [f"playbook {d.get('playbook')}"] + [f"{k} {v}" for k, v in outcome.items()]
    return ", ".join(parts)


def _cell(value: Any) -> str:
    text = "-" if value in (None, "", [], ()) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(items: list[dict[str, Any]], empty: str) -> list[str]:
    if not items:
        return [empty]
    return (["| Id | Date | Scenario | Facilitator | Participants | Findings | Drill |", "|---|---|---|---|---|---|---|"]
            + ["| " + " | ".join(_cell(v) for v in (x["id"], x["date"], x["scenario"], x["facilitator"],
                                                   ", ".join(x["participants"]), x["findings"], _drill(x["drill"])))
               + " |" for x in items])


def left_out_lines(left_out: list[str]) -> list[str]:
    """What a command prints (to stderr) when it left exercise events out: how many, and each by chain and number."""
    return [f"{len(left_out)} {LEFT_OUT}:"] + [f"  {p}" for p in left_out] if left_out else []


def left_out_markdown(left_out: list[str]) -> list[str]:
    """Each exercise event the listing had to leave out, named with its chain and number (nothing when none)."""
    return [f"**{len(left_out)} {LEFT_OUT}:**", ""] + [f"- {p}" for p in left_out] + [""] if left_out else []


def as_markdown(found: list[ExerciseView], left_out: list[str] | None = None) -> str:
    return "\n".join(left_out_markdown(left_out or []) + _table(as_json(found), "No exercise is recorded."))


def period_section(every: list[ExerciseView], start: datetime, end: datetime,
                   left_out: list[str]) -> dict[str, Any]:
    """The report's part on exercises: those of ``[start, end)``, and whether one lies in the 12 months before
    ``end`` (wherever the period starts); ``left_out`` names the events that could not be read."""
    start, end = ensure_utc(start), ensure_utc(end)
    inside = [x for x in every if start <= x.starts_at < end]
    latest = latest_within_year(every, end)
    return {"recorded": as_json(inside), "note": NOTE, "left_out": list(left_out),
            "twelve_months": {"from": year_before(end).isoformat(), "to": end.isoformat(),
                              "latest": as_json([latest])[0] if latest else None,
                              "finding": None if latest else NOT_EXERCISED}}


def period_markdown(section: dict[str, Any]) -> list[str]:
    twelve = section["twelve_months"]
    if twelve["finding"]:
        flag = (f"**Finding: {twelve['finding']}**: no exercise is recorded between {twelve['from']} and "
                f"{twelve['to']} (ISO/IEC 27001 A.5.24 expects the plan to be tested).")
    else:
        latest = twelve["latest"]
        flag = f"Latest exercise in the 12 months before the period end: {latest['id']} on {latest['date']}."
    table = _table(section["recorded"], "No exercise is recorded in the period.")
    return [section["note"], ""] + left_out_markdown(section["left_out"]) + [flag, ""] + table + [""]
