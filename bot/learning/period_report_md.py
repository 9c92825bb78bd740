"""The period evidence report in Markdown, for people (the JSON is the same data, for tools)."""

from __future__ import annotations

from typing import Any

from bot.learning.exercises_report import period_markdown


def _cell(value: Any) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> list[str]:
    if not rows:
        return [empty, ""]
    return (["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows] + [""])


def _checkpoint(cp: dict[str, Any] | None) -> str:
    if cp is None:
        return "no signed checkpoint covers it yet (its integrity rests on the database alone)"
    return f"signed checkpoint #{cp['seq']} of {cp['at']} (key {cp['key_id']}) covers events 1-{cp['covers_events']}"


def _incident(item: dict[str, Any]) -> list[str]:
    inc, audit, review = item["incident"], item["audit"], item["review"]
    lines = [f"### {inc['label']} {inc['title']}", "",
             f"- Severity {inc['severity']}, status {inc['status']}; declared {inc['declared_at']}, resolved "
             f"{inc['resolved_at'] or '-'}, closed {inc['closed_at'] or '-'}",
             f"- Chain {audit['chain']}: {audit['events']} events, head `{audit['head_hash'][:16]}…`, "
             + ("verified" if audit["verified"] else "BROKEN: " + "; ".join(audit["problems"]))
             + f"; {_checkpoint(item['checkpoint'])}"]
    if review is None:
        lines.append("- Review: none required by its playbook, or not resolved yet")
    else:
        when = ("on time" if review["on_time"] else "late") if review["completed_at"] else "not done yet"
        lines.append(f"- Review: {review['state']}, due {review['due_day']}, {when}"
                     + (f", {review['document_url']}" if review["document_url"] else ""))
    versions = ", ".join(f"`{v['hash'][:12]}`" + (f" (git {v['git'][:12]})" if v.get("git") else "")
                         + f" for {v['events']} event(s)" for v in item["config_versions"])
    lines += [f"- Configuration in force: {versions or 'not recorded (events before versions were recorded)'}", ""]
    lines += ["Legal duties:", ""] + _table(
        ["Duty", "Recipient", "Due", "Notified", "Outcome", "Reference / reason", "Citation"],
        [[o["obligation"], o["recipient"], o["due_at"], o["notified_at"], o["outcome"],
          o["reference"] or o["not_required_reason"], o["citation"]] for o in item["obligations"]],
        "No legal duty.")
    lines += ["Labor-law exceptions:", ""] + _table(
        ["Person", "Exception", "Rules waived", "Justification", "Declared by", "Confirmed by", "Citation"],
        [[e["person"], e["exception"], ", ".join(e["rules_waived"]), e["justification"], e["declared_by"],
          e["confirmed_by"], e["citation"]] for e in item["exceptions_used"]], "No exception used.")
    lines += ["Rest owed:", ""] + _table(
        ["Person", "Hours", "Owed since", "Status", "Citation"],
        [[r["person"], r["hours"], r["owed_since"], r["status"], r["citation"]] for r in item["rest"]],
        "No rest owed.")
    lines += ["Follow-up actions:", ""] + _table(
        ["Id", "What", "Owner", "Due", "State", "Risk", "Cost", "Decided by / why"],
        [[f["id"], f["title"], f["owner"], f["due"], f["state"], f["risk_score"], f["cost"],
          f"{f['decided_by']}: {f['decision_reason']}" if f["decided_by"] else None] for f in item["followups"]],
        "No follow-up action.")
    return lines


def render(report: dict[str, Any]) -> str:
    period, chains = report["period"], report["chains"]
    g = chains["global"]
    lines = [f"# Evidence report {period['from']} .. {period['to']}", "",
             f"As of {period['as_of']}. {len(report['incidents'])} incident(s) declared in the period. "
             f"Every chain verified: {'yes' if chains['all_verified'] else 'NO'}.", "",
             f"- Global chain: {g['events']} events, " + ("verified" if g["verified"] else "BROKEN: "
                                                          + "; ".join(g["problems"])) + f"; {_checkpoint(g['checkpoint'])}",
             "- Verify independently: `incident-bot audit verify --anchor ANCHORS --public-key KEY` and, per "
             "incident, `incident-bot export INCIDENT --format json` then `incident-bot audit verify-pack FILE "
             "--public-key KEY` (docs/audit.md).", "",
             "## Alerts", "", report["alerts"]["note"], ""]
    lines += _table(["Received", "Disposition", "Source", "Key", "Summary", "Incident"],
                    [[a["at"], a["disposition"], a["source"], a["key"], a["summary"], a["incident"] or "-"]
                     for a in report["alerts"]["received"]], "No alert was received in the period.")
    lines += ["## Drills and tabletop exercises", ""] + period_markdown(report["drills"])
    lines += ["## Configuration versions first used in the database", ""]
    lines += _table(["First used", "Hash", "Git commit", "Exactly that commit"],
                    [[v["at"], v["hash"], v["git"], v["git_exact"]] for v in report["config_versions"]],
                    "None recorded.")
    lines += ["## Incidents", ""]
    for item in report["incidents"]:
        lines += _incident(item)
    if not report["incidents"]:
        lines += ["No incident was declared in the period.", ""]
    lines += ["## Which controls each part helps evidence", "",
              "A help for the auditor, not a claim of compliance: whether a control is met is the auditor's judgement "
              "over far more than this report.", ""]
    lines += _table(["Part of this report", "SOC 2 (TSC 2017)", "ISO/IEC 27001:2022 Annex A"],
                    [list(r) for r in report["control_map"]], "")
    return "\n".join(lines)
