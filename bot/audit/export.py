"""The evidence pack an auditor asks for, as JSON or Markdown.

Contents: the incident, the verified timeline with the chain's head hash,
roles and hand-overs, pages with acknowledgements and decline reasons,
labor-law exceptions used, legal obligations with due and actual notification
times (met, missed, overdue, not required with the reason), and the decisions
on moving legal clocks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.trail import events, verify_chain
from bot.clock import ensure_utc


def _iso(value: datetime | None) -> str | None:
    return ensure_utc(value).isoformat() if value else None


def _incident(session: Session, number: int) -> Any:
    from bot.incidents.tables import Incident

    incident = session.exec(select(Incident).where(Incident.number == number)).first()
    if incident is None:
        raise LookupError(f"there is no incident INC-{number}")
    return incident


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


def _roles(session: Session, incident_id: int) -> list[dict[str, Any]]:
    from bot.incidents.tables import RoleAssignment

    rows = session.exec(select(RoleAssignment).where(RoleAssignment.incident_id == incident_id)
                        .order_by(RoleAssignment.id)).all()
    return [{"role": r.role, "user": r.user, "how": r.how, "from": _iso(r.assigned_at), "assigned_by": r.assigned_by,
             "until": _iso(r.ended_at), "ended_by": r.ended_by, "handover_note": r.handover_note} for r in rows]


def _pages(session: Session, incident_id: int) -> list[dict[str, Any]]:
    from bot.oncall.tables import Page

    rows = session.exec(select(Page).where(Page.incident_id == incident_id).order_by(Page.id)).all()
    return [{"id": p.id, "target": p.target, "level": p.level, "person": p.person_id, "slack_user": p.slack_user,
             "role": p.role, "status": p.status, "urgency": p.urgency, "page_at": _iso(p.page_at),
             "sent_at": _iso(p.sent_at), "acked_at": _iso(p.acked_at), "reason": p.reason,
             "exception": p.exception_id} for p in rows]


def _exceptions(session: Session, incident_id: int) -> list[dict[str, Any]]:
    from bot.oncall.tables import ExceptionUse

    rows = session.exec(select(ExceptionUse).where(ExceptionUse.incident_id == incident_id).order_by(ExceptionUse.id)).all()
    return [{"person": e.person_id, "exception": e.exception_id, "rules_waived": list(e.rules_waived),
             "justification": e.justification, "declared_by": e.declared_by, "at": _iso(e.at),
             "compensatory_rest_hours": e.compensatory_rest_hours,
             "compensatory_rest_until": _iso(e.compensatory_rest_until), "citation": e.citation} for e in rows]


def _obligations(session: Session, incident_id: int, now: datetime) -> list[dict[str, Any]]:
    from bot.deadlines.tables import Obligation

    rows = session.exec(select(Obligation).where(Obligation.incident_id == incident_id).order_by(Obligation.id)).all()
    return [{"id": o.id, "obligation": o.obligation_id, "regime": o.regime, "recipient": o.recipient, "stage": o.stage,
             "status": o.status, "due_at": _iso(o.due_at), "estimated": o.estimated,
             "notified_at": _iso(o.notified_at), "notified_by": o.notified_by, "reference": o.reference,
             "evidence_url": o.evidence_url, "not_required_reason": o.not_required_reason, "citation": o.citation,
             "outcome": obligation_outcome(o, now)} for o in rows]


def _approvals(session: Session, incident_id: int) -> list[dict[str, Any]]:
    from bot.incidents.tables import TriggerApproval

    rows = session.exec(select(TriggerApproval).where(TriggerApproval.incident_id == incident_id)
                        .order_by(TriggerApproval.id)).all()
    return [{"trigger": a.trigger, "from": a.current, "to": a.proposed, "reason": a.reason,
             "requested_by": a.requested_by, "requested_at": _iso(a.requested_at), "status": a.status,
             "decided_by": a.decided_by, "decided_at": _iso(a.decided_at)} for a in rows]


def evidence_pack(session: Session, number: int, *, now: datetime) -> dict[str, Any]:
    incident = _incident(session, number)
    check = verify_chain(session, incident.id)
    return {
        "incident": {"number": incident.number, "label": f"INC-{incident.number}", "title": incident.title,
                     "severity": incident.severity, "status": incident.status, "private": incident.private,
                     "reporter": incident.reporter, "declared_at": _iso(incident.declared_at),
                     "resolved_at": _iso(incident.resolved_at), "closed_at": _iso(incident.closed_at),
                     "purged_at": _iso(incident.purged_at), "facts": dict(incident.facts or {}),
                     "triggers": dict(incident.triggers or {}), "regimes": list(incident.regimes or []),
                     "summary": incident.summary},
        "audit": {"chain": check.chain, "events": check.events, "head_hash": check.head_hash, "verified": check.ok,
                  "problems": list(check.problems), "exported_at": _iso(now)},
        "timeline": [{"seq": e.seq, "at": _iso(e.at), "actor": e.actor, "kind": e.kind, "summary": e.summary,
                      "data": e.data, "hash": e.hash, "redacted": e.redacted} for e in events(session, incident.id)],
        "roles": _roles(session, incident.id),
        "pages": _pages(session, incident.id),
        "exceptions_used": _exceptions(session, incident.id),
        "obligations": _obligations(session, incident.id, now),
        "trigger_changes": _approvals(session, incident.id),
    }


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out + [""]


def render_markdown(pack: dict[str, Any]) -> str:
    inc, audit = pack["incident"], pack["audit"]
    lines = [f"# Evidence pack: {inc['label']} {inc['title']}", "",
             f"- Severity: {inc['severity']}; status: {inc['status']}; private: {'yes' if inc['private'] else 'no'}",
             f"- Declared {inc['declared_at']} by {inc['reporter']}; resolved {inc['resolved_at'] or '-'}; "
             f"closed {inc['closed_at'] or '-'}",
             f"- Legal clocks: " + (", ".join(f"{k} {v}" for k, v in inc["triggers"].items()) or "none set"),
             f"- Audit chain {audit['chain']}: {audit['events']} events, head hash `{audit['head_hash']}`, "
             + ("verified" if audit["verified"] else "BROKEN: " + "; ".join(audit["problems"])),
             f"- Exported {audit['exported_at']}", ""]
    if inc["summary"]:
        lines += ["## Summary", "", inc["summary"], ""]
    lines += ["## Obligations", ""] + _table(
        ["Obligation", "Recipient", "Due", "Notified", "Outcome", "Reference / reason"],
        [[o["obligation"], o["recipient"], (o["due_at"] or "-") + (" (est.)" if o["estimated"] else ""),
          o["notified_at"] or "-", o["outcome"], o["reference"] or o["not_required_reason"] or ""]
         for o in pack["obligations"]])
    lines += ["## Roles and hand-overs", ""] + _table(
        ["Role", "Holder", "How", "From", "Until", "Note"],
        [[r["role"], r["user"], r["how"], r["from"], r["until"] or "-", r["handover_note"]] for r in pack["roles"]])
    lines += ["## Pages", ""] + _table(
        ["Target", "Level", "Person", "Status", "Page at", "Acked", "Reason"],
        [[p["target"], p["level"], p["person"], p["status"], p["page_at"], p["acked_at"] or "-", p["reason"]]
         for p in pack["pages"]])
    lines += ["## Labor-law exceptions used", ""] + _table(
        ["Person", "Exception", "Rules waived", "Justification", "Declared by", "Rest owed until"],
        [[e["person"], e["exception"], ", ".join(e["rules_waived"]), e["justification"], e["declared_by"],
          e["compensatory_rest_until"] or "-"] for e in pack["exceptions_used"]])
    lines += ["## Legal clock changes (second-person approval)", ""] + _table(
        ["Trigger", "From", "To", "Requested by", "Decided by", "Status", "Reason"],
        [[a["trigger"], a["from"], a["to"], a["requested_by"], a["decided_by"] or "-", a["status"], a["reason"]]
         for a in pack["trigger_changes"]])
    lines += ["## Timeline", ""] + _table(
        ["#", "At (UTC)", "Actor", "Event", "What", "Hash"],
        [[e["seq"], e["at"], e["actor"], e["kind"], e["summary"], e["hash"][:12]] for e in pack["timeline"]])
    return "\n".join(lines)
