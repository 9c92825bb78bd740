"""The evidence pack an auditor asks for, as JSON or Markdown.

Contents: the incident, the verified timeline with every event's digest,
previous hash and hash, the newest signed checkpoint covering it, roles and
hand-overs, pages with acknowledgements and decline reasons, labor-law
exceptions used, legal obligations with due and actual notification times
(met, missed, overdue, not required with the reason, who recorded it and when),
and the decisions on moving legal clocks.

Every section is built from the chain (:mod:`bot.audit.pack_sections`), not
from the tables; the tables are compared with the chain and each disagreement
is listed under ``audit.problems``. ``incident-bot audit verify-pack`` checks
the JSON pack with the public key alone (:mod:`bot.audit.offline`).

No pack is made of a chain holding an event the bot could not have written
(:mod:`bot.audit.malformed`: data written by hand in another shape): its
sections would leave that event out or misread it, and a pack must never omit
an event unsaid. :class:`MalformedChain` names each such event instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.evidence import chained_rows, verify_incident
from bot.audit.incident_keys import INCIDENT
from bot.audit.malformed import evidence_entries, malformed_events
from bot.audit.missing_incidents import missing_incident_ids
from bot.audit.pack_sections import obligation_outcome, sections
from bot.audit.tables import AuditCheckpoint
from bot.audit.trail import events
from bot.clock import ensure_utc

__all__ = ["IncidentRowMissing", "MalformedChain", "evidence_pack", "obligation_outcome", "render_markdown"]
PACK_FORMAT = "incident-bot evidence pack 2"


class IncidentRowMissing(LookupError):
    """The incident's row is gone but its chain is still in the database: deleted outside the bot."""


def _incident_id(session: Session, number: int) -> int:
    incident_id = session.exec(select(INCIDENT.c.id).where(INCIDENT.c.number == number)).first()
    if incident_id is None:
        orphaned = missing_incident_ids(session, number=number)
        if orphaned:
            chain = f"incident:{orphaned[0]}"
            raise IncidentRowMissing(
                f"no evidence pack written: INC-{number}'s row is missing from the incident table, yet its chain "
                f"({chain}, {len(events(session, orphaned[0]))} events) is in the database: it was deleted outside "
                f"the bot. `incident-bot audit verify {number}` reports what the chain and the other tables still "
                "hold; see docs/audit.md, Threat model")
        raise LookupError(f"there is no incident INC-{number}")
    return int(incident_id)


def covering_checkpoint(session: Session, chain: str) -> dict[str, Any] | None:
    """The newest signed checkpoint (as its anchor line's content) that holds ``chain``."""
    for row in session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())).all():  # type: ignore[attr-defined]
        if chain in (row.body.get("chains") or {}):
            return {"checkpoint": row.body, "signature": row.signature}
    return None


def event_record(e: Any) -> dict[str, Any]:
    return {"chain": e.chain, "seq": e.seq, "at": ensure_utc(e.at).isoformat(), "actor": e.actor, "kind": e.kind,
            "summary": e.summary, "data": e.data, "digest_version": e.digest_version or 1,
            "content_digest": e.content_digest, "redaction": e.redaction, "prev_hash": e.prev_hash, "hash": e.hash,
            "redacted": e.redacted}


class MalformedChain(ValueError):
    """The incident's chain holds events the bot could not have written; ``problems`` names each (chain, number,
    what is wrong).  No pack is made: it would leave them out of its sections or misread them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


def _built_sections(timeline: list[Any], now: datetime, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The pack's sections; :class:`MalformedChain` naming the event that wrote an evidence row they cannot read
    (a row written by hand without a column the bot always writes, or with a value of another type)."""
    rows = chained_rows(e.data for e in timeline)
    try:
        return sections(rows, now, records)
    except _UNREADABLE:
        pass
    newest = {(entry["table"], entry["id"]): e for e in timeline for entry in evidence_entries(e.data)}
    problems = []
    for key, row in rows.items():
        try:
            sections({key: row}, now)
        except _UNREADABLE as exc:
            e = newest[key]
            what = f"has no {exc.args[0]!r} column" if isinstance(exc, KeyError) else f"cannot be read ({exc})"
            problems.append(f"{e.chain} event #{e.seq} ({e.kind}): its evidence row {key[0]} {key[1]} {what}")
    raise MalformedChain(problems or [f"{timeline[0].chain}: the pack's sections cannot be built from its chain"])


def evidence_pack(session: Session, number: int, *, now: datetime, min_retention_days: int = 1,
                  checked_at: datetime | None = None) -> dict[str, Any]:
    """The pack of INC-``number`` as of ``now``; :class:`MalformedChain` if its chain holds an event the bot could
    not have written, :class:`LookupError` if there is no such incident. Its purge is judged
    (:mod:`bot.audit.redaction_timing`) by ``min_retention_days``, the shortest retention period it may claim, and
    by ``checked_at`` (default ``now``), the time after which it would be dated in the future."""
    incident_id = _incident_id(session, number)
    timeline = events(session, incident_id)
    problems = malformed_events(timeline)
    if problems:
        raise MalformedChain(problems)
    check = verify_incident(session, incident_id, now=ensure_utc(checked_at or now), min_retention_days=min_retention_days)
    records = [event_record(e) for e in timeline]
    built = _built_sections(timeline, ensure_utc(now), records)
    return {
        "format": PACK_FORMAT,
        "incident": built["incident"],
        "audit": {"chain": check.chain, "events": check.events, "head_hash": check.head_hash, "verified": check.ok,
                  "problems": list(check.problems), "exported_at": ensure_utc(now).isoformat(),
                  "checkpoint": covering_checkpoint(session, check.chain)},
        "timeline": records,
        **{k: v for k, v in built.items() if k != "incident"},
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


def _checkpoint_line(audit: dict[str, Any]) -> str:
    checkpoint = (audit.get("checkpoint") or {}).get("checkpoint")
    if not checkpoint:
        return "- No signed checkpoint covers this incident yet: its integrity rests on the database alone"
    signed = checkpoint["chains"].get(audit["chain"], {})
    return (f"- Signed checkpoint #{checkpoint['seq']} of {checkpoint['at']} (key {checkpoint['key_id']}) covers "
            f"events 1-{signed.get('seq')}; verify the JSON pack offline with "
            "`incident-bot audit verify-pack FILE --public-key KEY`")


def render_markdown(pack: dict[str, Any]) -> str:
    inc, audit = pack["incident"], pack["audit"]
    lines = [f"# Evidence pack: {inc['label']} {inc['title']}", "",
             f"- Severity: {inc['severity']}; status: {inc['status']}; private: {'yes' if inc['private'] else 'no'}",
             f"- Declared {inc['declared_at']} by {inc['reporter']}; resolved {inc['resolved_at'] or '-'}; "
             f"closed {inc['closed_at'] or '-'}",
             f"- Legal clocks: " + (", ".join(f"{k} {v}" for k, v in inc["triggers"].items()) or "none set"),
             f"- Audit chain {audit['chain']}: {audit['events']} events, head hash `{audit['head_hash']}`, "
             + ("verified" if audit["verified"] else "BROKEN: " + "; ".join(audit["problems"])),
             _checkpoint_line(audit), f"- Exported {audit['exported_at']}", ""]
    if inc["summary"]:
        lines += ["## Summary", "", inc["summary"], ""]
    lines += ["## Obligations", ""] + _table(
        ["Obligation", "Recipient", "Due", "Notified", "Recorded by / at", "Outcome", "Reference / reason",
         "Citation"],
        [[o["obligation"], o["recipient"], (o["due_at"] or "-") + (" (est.)" if o["estimated"] else ""),
          o["notified_at"] or "-", f"{o['recorded_by']} {o['recorded_at']}", o["outcome"],
          o["reference"] or o["not_required_reason"] or "", o["citation"]]
         for o in pack["obligations"]])
    lines += ["## Roles and hand-overs", ""] + _table(
        ["Role", "Holder", "How", "From", "Until", "Note"],
        [[r["role"], r["user"], r["how"], r["from"], r["until"] or "-", r["handover_note"]] for r in pack["roles"]])
    lines += ["## Pages", ""] + _table(
        ["Target", "Level", "Person", "Status", "Page at", "Acked", "Reason"],
        [[p["target"], p["level"], p["person"], p["status"], p["page_at"], p["acked_at"] or "-", p["reason"]]
         for p in pack["pages"]])
    lines += ["## Labor-law exceptions used", ""] + _table(
        ["Person", "Exception", "Rules waived", "Justification", "Declared by", "Confirmed", "Rest owed until"],
        [[e["person"], e["exception"], ", ".join(e["rules_waived"]), e["justification"], e["declared_by"],
          f"{e['confirmed_by']}: {e['confirmation']}" if e.get("confirmed_by") else "UNCONFIRMED",
          e["compensatory_rest_until"] or "-"] for e in pack["exceptions_used"]])
    lines += ["## Legal clock changes (second-person approval)", ""] + _table(
        ["Trigger", "From", "To", "Requested by", "Decided by", "Status", "Reason"],
        [[a["trigger"], a["from"], a["to"], a["requested_by"], a["decided_by"] or "-", a["status"], a["reason"]]
         for a in pack["trigger_changes"]])
    lines += ["## Duties turned off (who and why)", ""] + _table(
        ["Obligation", "By", "At", "Fact", "Reason", "Approved by"],
        [[d["obligation"], d["by"], d["at"], f"{d['fact']} = {d['value']}", d["reason"], d["approved_by"] or "-"]
         for d in pack.get("duties_turned_off", [])])
    lines += ["## Changes held for a second person", ""] + _table(
        ["#", "Change", "Requested by", "Reason", "Decided by", "Status"],
        [[a["id"], a["why"], a["requested_by"], a["reason"], a["decided_by"] or "-", a["status"]]
         for a in pack.get("approvals", [])])
    lines += ["## Timeline", ""] + _table(
        ["#", "At (UTC)", "Actor", "Event", "What", "Hash"],
        [[e["seq"], e["at"], e["actor"], e["kind"], e["summary"], e["hash"][:12]] for e in pack["timeline"]])
    return "\n".join(lines)
