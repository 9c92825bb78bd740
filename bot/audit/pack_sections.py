"""The sections of the evidence pack, built from the chained state of the evidence rows (no database).

:func:`sections` takes ``(table, id) -> row`` as replayed from the chain
(:func:`bot.audit.evidence.chained_rows`) and the export time, and returns the
incident header, roles, pages, exceptions used, obligations (with their
outcome) and legal clock changes. The export and the offline verifier call the
same function, so a pack whose sections differ from its own chain is caught.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from bot.audit.malformed import malformed
from bot.clock import ensure_utc


def _when(text: Any) -> datetime | None:
    return ensure_utc(datetime.fromisoformat(text)) if text else None


def obligation_outcome(row: Any, now: datetime) -> str:
    """met | missed | overdue | open | not_required | no_deadline | <other status>."""
    if row.status == "notified":
        if row.due_at is None:
            return "met"
        return "met" if row.notified_at is not None and ensure_utc(row.notified_at) <= ensure_utc(row.due_at) else "missed"
    if row.status == "open":
        if row.due_at is None:
            return "no_deadline"
        return "overdue" if ensure_utc(now) > ensure_utc(row.due_at) else "open"
    return row.status


def _of(rows: dict[tuple[str, int], dict[str, Any] | None], table: str) -> list[dict[str, Any]]:
    return [row for (t, _id), row in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])) if t == table and row]


def _incident(rows: dict[tuple[str, int], dict[str, Any] | None]) -> dict[str, Any]:
    found = _of(rows, "incident")
    if not found:
        return {}
    i = found[0]
    return {"number": i["number"], "label": f"INC-{i['number']}", "title": i["title"], "severity": i["severity"],
            "status": i["status"], "private": i["private"], "reporter": i["reporter"],
            "declared_at": i["declared_at"], "resolved_at": i["resolved_at"], "closed_at": i["closed_at"],
            "purged_at": i["purged_at"], "facts": dict(i["facts"] or {}), "triggers": dict(i["triggers"] or {}),
            "regimes": list(i["regimes"] or []), "summary": i["summary"]}


def _turned_off(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who turned which legal duty off, why, and who approved it (``obligation.turned_off`` events)."""
    out = []
    for e in timeline:
        if e.get("kind") == "obligation.turned_off" and malformed(e["kind"], e.get("data"), None) is None:
            d = e.get("data") or {}
            out += [{"obligation": o, "by": e.get("actor"), "at": e.get("at"), "fact": d.get("fact"),
                     "value": d.get("after"), "reason": d.get("reason"), "approved_by": d.get("approved_by")}
                    for o in d.get("obligations", [])]
    return out


def sections(rows: dict[tuple[str, int], dict[str, Any] | None], now: datetime,
             timeline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything the pack shows besides the timeline and the audit block. ``timeline``: the events as the pack
    carries them (kind, actor, at, data)."""
    obligations = []
    for o in _of(rows, "obligation"):
        outcome = obligation_outcome(SimpleNamespace(status=o["status"], due_at=_when(o["due_at"]),
                                                     notified_at=_when(o["notified_at"])), now)
        obligations.append({
            "id": o["id"], "obligation": o["obligation_id"], "regime": o["regime"], "recipient": o["recipient"],
            "stage": o["stage"], "status": o["status"], "due_at": o["due_at"], "estimated": o["estimated"],
            "notified_at": o["notified_at"], "notified_by": o["notified_by"], "recorded_at": o["updated_at"],
            "recorded_by": o["updated_by"], "reference": o["reference"], "evidence_url": o["evidence_url"],
            "not_required_reason": o["not_required_reason"], "not_required_by": o["not_required_by"],
            "citation": o["citation"], "outcome": outcome})
    return {
        "incident": _incident(rows),
        "roles": [{"role": r["role"], "user": r["user"], "how": r["how"], "from": r["assigned_at"],
                   "assigned_by": r["assigned_by"], "until": r["ended_at"], "ended_by": r["ended_by"],
                   "handover_note": r["handover_note"]} for r in _of(rows, "incident_role")],
        "pages": [{"id": p["id"], "target": p["target"], "level": p["level"], "person": p["person_id"],
                   "slack_user": p["slack_user"], "role": p["role"], "status": p["status"], "urgency": p["urgency"],
                   "page_at": p["page_at"], "sent_at": p["sent_at"], "acked_at": p["acked_at"], "reason": p["reason"],
                   "exception": p["exception_id"]} for p in _of(rows, "page")],
        "exceptions_used": [{"person": e["person_id"], "exception": e["exception_id"],
                             "rules_waived": list(e["rules_waived"]), "justification": e["justification"],
                             "declared_by": e["declared_by"], "at": e["at"],
                             "compensatory_rest_hours": e["compensatory_rest_hours"],
                             "compensatory_rest_until": e["compensatory_rest_until"], "citation": e["citation"],
                             "confirmed_by": e.get("confirmed_by"), "confirmed_at": e.get("confirmed_at"),
                             "confirmation": e.get("confirmation", "")}
                            for e in _of(rows, "exception_use")],
        "obligations": obligations,
        "trigger_changes": [{"trigger": a["trigger"], "from": a["current"], "to": a["proposed"], "reason": a["reason"],
                             "requested_by": a["requested_by"], "requested_at": a["requested_at"],
                             "status": a["status"], "decided_by": a["decided_by"], "decided_at": a["decided_at"]}
                            for a in _of(rows, "trigger_approval")],
        "approvals": [{"id": a["id"], "action": a["action"], "why": a["why"], "reason": a["reason"],
                       "requested_by": a["requested_by"], "requested_at": a["requested_at"], "status": a["status"],
                       "decided_by": a["decided_by"], "decided_at": a["decided_at"]}
                      for a in _of(rows, "approval_request")],
        "duties_turned_off": _turned_off(timeline or []),
    }


SECTION_NAMES = ("incident", "roles", "pages", "exceptions_used", "obligations", "trigger_changes", "approvals",
                 "duties_turned_off")
