"""The period evidence report for auditors: every incident of a period, built from the chains.

For each incident declared in ``[start, end)`` (by its chain or its row) it takes the incident's evidence
pack (:func:`bot.audit.export.evidence_pack`, built from the chain, not from the
tables) and its chained ``incident_review`` and ``followup`` rows, and adds:
legal duties with their outcome and citation, labor-law exceptions with their
justification and the rest they left owed (and whether it was taken), the
chain verification and the newest signed checkpoint covering it, and the
configuration versions the incident's decisions were made under.  The global
chain is verified too and its ``config.version`` events name the files behind
each version.

Alerts: every alert received in the period with its one disposition (the
``alert.<kind>`` events of the chains: opened an incident, grouped, flapping,
suppressed by a silence or maintenance window, resolved, ...), so the alerts
nobody was woken for are listed too.  Drills and tabletop exercises: the
``exercise.recorded`` events of the global chain (:mod:`bot.learning.exercises`)
whose day starts in the period, and a finding when none lies in the twelve
months before the period end (ISO/IEC 27001 A.5.24: a plan not exercised).  An
exercise event written by hand in a shape the bot never writes is named in the
section's ``left_out`` (chain, number, what is wrong) rather than stop the report;
``incident-bot evidence`` then exits 1.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.clock import ensure_utc

REPORT_FORMAT = "incident-bot period evidence report v1"
ALERTS_NOTE = ("Every alert received in the period, with its disposition as recorded on the audit chain (the "
               "incident's chain, or the global chain for an alert that opened none). An incident declared by a "
               "person has no alert: its declaration is its detection.")
# Which control each part of the report helps evidence. A help for the auditor, not a claim of compliance.
CONTROL_MAP = [
    ("Incidents and milestones", "CC7.3, CC7.4", "A.5.24, A.5.25, A.5.26"),
    ("Reviews and whether on time", "CC7.4, CC7.5", "A.5.27"),
    ("Follow-up actions and risk decisions", "CC7.5, CC9.1", "A.5.27"),
    ("Legal duties met or missed, with citations", "CC2.3, CC7.4", "A.5.26, A.5.31"),
    ("Labor-law exceptions and rest", "-", "A.6.2 (terms and conditions of employment)"),
    ("Drills (tabletop exercises)", "CC7.5, A1.3", "A.5.24, A.5.29"),
    ("Chain verification and signed checkpoint", "CC7.2, CC8.1", "A.5.28, A.8.15"),
    ("Configuration version in force", "CC8.1", "A.5.37, A.8.32"),
]


def _chained(timeline: list[Any], table: str) -> list[dict[str, Any]]:
    from bot.audit.evidence import chained_rows

    rows = chained_rows(e.data for e in timeline)
    return [row for (t, _id), row in sorted(rows.items(), key=lambda kv: kv[0][1]) if t == table and row]


def _versions(timeline: list[Any]) -> list[dict[str, Any]]:
    seen: Counter[tuple[str, str | None, bool | None]] = Counter()
    kinds: dict[tuple[str, str | None, bool | None], set[str]] = {}
    for e in timeline:
        stamp = (e.data or {}).get("config_version")
        if isinstance(stamp, dict) and stamp.get("hash"):
            key = (stamp["hash"], stamp.get("git"), stamp.get("git_exact"))
            seen[key] += 1
            kinds.setdefault(key, set()).add(e.kind)
    return [{"hash": h, "git": g, "git_exact": x, "events": n, "kinds": sorted(kinds[(h, g, x)])}
            for (h, g, x), n in seen.items()]


def _review(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not rows:
        return None
    r = rows[0]
    due, done = r.get("due_at"), r.get("completed_at")
    on_time = None if not done else ensure_utc(datetime.fromisoformat(done)) <= ensure_utc(datetime.fromisoformat(due))
    return {"owner": r["owner"], "due_day": r["due_day"], "due_at": due, "state": r["state"], "completed_at": done,
            "on_time": on_time, "drafts": r["drafts"], "draft_sha256": r["draft_sha256"],
            "document_url": r["document_url"]}


def _followups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from bot.learning.risk import score

    return [{"id": f"F-{r['id']}", "title": r["title"], "owner": r["owner"], "due": r["due"], "state": r["state"],
             "cost": r["cost"], "impact_level": r["impact_level"], "likelihood": r["likelihood"],
             "risk_score": score(r["impact_level"], r["likelihood"]), "deferred_until": r["deferred_until"],
             "decided_by": r["decided_by"], "decision_reason": r["decision_reason"], "proposed_by": r["proposed_by"]}
            for r in rows]


def _alerts(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    from bot.audit.tables import TimelineEvent
    from bot.incidents.tables import Incident

    rows = session.exec(select(TimelineEvent).where(TimelineEvent.kind.startswith("alert."),  # type: ignore[attr-defined]
                                                    TimelineEvent.at >= start, TimelineEvent.at < end)
                        .order_by(TimelineEvent.at, TimelineEvent.id)).all()  # type: ignore[arg-type]
    ids = {r.incident_id for r in rows if r.incident_id is not None}
    numbers = {i.id: i.number for i in session.exec(select(Incident).where(Incident.id.in_(ids))).all()} if ids else {}  # type: ignore[union-attr]
    return [{"at": ensure_utc(r.at).isoformat(), "disposition": (r.data or {}).get("disposition") or r.kind[len("alert."):],
             "source": (r.data or {}).get("source") or r.actor.removeprefix("alerts:"), "key": (r.data or {}).get("key"),
             "summary": (r.data or {}).get("summary") or "", "chain": r.chain,
             "incident": f"INC-{numbers[r.incident_id]}" if r.incident_id in numbers else None} for r in rows]


def _drills(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    from bot.learning.exercises import listing
    from bot.learning.exercises_report import period_section

    left_out: list[str] = []
    every = listing(session, None, end, skipped=left_out)
    return period_section(every, start, end, left_out)


def _rest(session: Session, incident_id: int, as_of: datetime) -> list[dict[str, Any]]:
    from bot.oncall.rest_ledger import ledger

    return [{"person": v.debt.person_id, "hours": v.debt.hours, "owed_since": ensure_utc(v.debt.owed_since).isoformat(),
             "status": v.status, "citation": v.debt.citation}
            for v in ledger(session, now=as_of) if v.debt.incident_id == incident_id]


def _declared_in(session: Session, start: datetime, end: datetime) -> list[Any]:
    """The incidents declared in ``[start, end)`` by their table row or by their chain's ``incident.declared`` event
    (its time is in the event's hash): a ``declared_at`` edited outside the bot neither hides an incident from its
    period nor passes unnoticed (its pack reports the edit)."""
    from bot.audit.tables import TimelineEvent
    from bot.incidents.tables import Incident

    chains = session.exec(select(TimelineEvent.chain).where(TimelineEvent.kind == "incident.declared",
                                                            TimelineEvent.at >= start, TimelineEvent.at < end)).all()
    ids = [int(c.removeprefix("incident:")) for c in chains if c.removeprefix("incident:").isdigit()]
    by_row = (Incident.declared_at >= start) & (Incident.declared_at < end)  # type: ignore[operator]
    chosen = by_row | Incident.id.in_(ids) if ids else by_row  # type: ignore[union-attr]
    return list(session.exec(select(Incident).where(chosen).order_by(Incident.number)).all())  # type: ignore[arg-type]


def build(session: Session, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    from bot.audit.evidence import verify_incident
    from bot.audit.export import covering_checkpoint, evidence_pack
    from bot.audit.trail import events

    start, end = ensure_utc(start), ensure_utc(end)
    if end <= start:
        raise ValueError(f"expected --to after --from, got {start.isoformat()} .. {end.isoformat()}")
    as_of = min(end, ensure_utc(now))
    incidents = []
    for row in _declared_in(session, start, end):
        pack = evidence_pack(session, row.number, now=as_of, checked_at=ensure_utc(now))
        timeline = events(session, row.id)
        incidents.append({
            "incident": pack["incident"], "audit": {k: pack["audit"][k] for k in
                                                    ("chain", "events", "head_hash", "verified", "problems")},
            "checkpoint": _checkpoint_summary(pack["audit"]["checkpoint"], pack["audit"]["chain"]),
            "obligations": [{k: o[k] for k in ("obligation", "regime", "recipient", "due_at", "notified_at",
                                               "outcome", "reference", "not_required_reason", "citation")}
                            for o in pack["obligations"] if o["status"] not in ("not_applicable", "informational")],
            "exceptions_used": pack["exceptions_used"], "rest": _rest(session, row.id, as_of),
            "review": _review(_chained(timeline, "incident_review")),
            "followups": _followups(_chained(timeline, "followup")),
            "config_versions": _versions(timeline),
        })
    global_check = verify_incident(session, None, now=ensure_utc(now))  # the chain, and the rows of no incident against it
    versions = [{"at": ensure_utc(e.at).isoformat(), **{k: (e.data or {}).get(k) for k in ("hash", "git", "git_exact")}}
                for e in events(session, None) if e.kind == "config.version"]
    return {"format": REPORT_FORMAT, "period": {"from": start.isoformat(), "to": end.isoformat(),
                                                 "as_of": as_of.isoformat()},
            "incidents": incidents, "alerts": {"available": True, "note": ALERTS_NOTE,
                                                 "received": _alerts(session, start, end)},
            "drills": _drills(session, start, end),
            "chains": {"all_verified": global_check.ok and all(i["audit"]["verified"] for i in incidents),
                       "global": {"verified": global_check.ok, "events": global_check.events,
                                  "head_hash": global_check.head_hash, "problems": list(global_check.problems),
                                  "checkpoint": _checkpoint_summary(covering_checkpoint(session, "global"), "global")}},
            "config_versions": versions, "control_map": [list(r) for r in CONTROL_MAP]}


def _checkpoint_summary(line: dict[str, Any] | None, chain: str) -> dict[str, Any] | None:
    body = (line or {}).get("checkpoint")
    if not body:
        return None
    return {"seq": body["seq"], "at": body["at"], "key_id": body["key_id"],
            "covers_events": (body["chains"].get(chain) or {}).get("seq"), "signature": line["signature"]}
