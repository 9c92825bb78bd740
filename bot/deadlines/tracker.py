"""Per-incident obligations: create, recompute, mark notified / not required.

Every change is one timeline event (who, when, why) in the caller's unit of
work.  Nothing that has started is ever taken back automatically:

* rows are never deleted; regimes dropped from the incident (a downgrade) keep their rows;
* an open obligation whose clock has started stays open when new facts say it no
  longer applies: a person closes it with :func:`mark_not_required` and a reason
  (GDPR Art. 33(5) wants non-notified breaches documented);
* notified and not-required rows are final (a notification can be corrected by
  marking it notified again, which is recorded too).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.audit.config_versions import record_version
from bot.audit.trail import NewEvent, append_event, append_events
from bot.clock import ensure_utc
from bot.deadlines.assess import Assessment, Assessor, RuleContextImpl, Situation, compute_due
from bot.deadlines.calendars import CalendarSpec
from bot.deadlines.catalog import ObligationSpec, RegimeFile, regimes as catalog_regimes
from bot.deadlines.delays import DelayNotice, check_notice
from bot.deadlines.derivation import layered
from bot.deadlines.ordering import open_predecessors
from bot.deadlines.organisation import standing_facts
from bot.deadlines.reminders import span
from bot.deadlines.rules import SUBMITTED, AnchorTime, Pending, QualitativeRule, anchors_of, fmt
from bot.deadlines.tables import CLOSED_STATES, UNRESOLVED_STATES, Obligation

_ROW_STATUS = {"deadline": "open", "pending": "open", "qualitative": "qualitative",
               "informational": "informational", "not_applicable": "not_applicable"}
_TRACKED = ("status", "legal", "due_at", "due_zone", "estimated", "window_start", "citation", "recipient", "stage",
            "retain_until")
_CLOCK_SKEW = timedelta(minutes=5)
log = logging.getLogger(__name__)


def parse_triggers(raw: dict[str, str]) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for name, value in (raw or {}).items():
        if value:
            out[name] = ensure_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    return out


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _rows(session: Session, incident_id: int) -> list[Obligation]:
    return list(session.exec(select(Obligation).where(Obligation.incident_id == incident_id)
                             .order_by(Obligation.id)).all())  # type: ignore[arg-type]


def _snapshot(regime: RegimeFile, spec: ObligationSpec, basis: str, standing: dict[str, Any]) -> dict[str, Any]:
    return {"basis": basis, "standing_facts": json.loads(json.dumps(standing, default=str)),
            "obligation": spec.model_dump(mode="json", by_alias=True, exclude_unset=True),
            "zone": regime.zone, "zone_fact": regime.zone_fact,
            "regime_reminders": regime.reminders.model_dump(mode="json", exclude_unset=True) if regime.reminders else None,
            "calendars": {k: v.model_dump(mode="json", exclude_unset=True) for k, v in regime.calendars.items()}}


def _fields(a: Assessment) -> dict[str, Any]:
    return {"status": _ROW_STATUS[a.status], "legal": a.legal, "due_at": a.due_at, "due_zone": a.zone,
            "estimated": a.estimated, "window_start": a.window_start, "reason": a.reason, "citation": a.citation,
            "recipient": a.recipient, "stage": a.stage, "title": a.title, "must_contain": list(a.must_contain),
            "internal_targets": [t.isoformat() for t in a.internal_targets], "missing_facts": list(a.missing_facts),
            "retain_until": a.retain_until}


def notices_of(row: Obligation) -> list[DelayNotice]:
    return [DelayNotice.from_json(d) for d in row.delays or []]


def _started(row: Obligation) -> bool:
    return row.status in UNRESOLVED_STATES and (row.due_at is not None or row.window_start is not None)


def _event(session: Session, row: Obligation, kind: str, *, actor: str, at: datetime, summary: str,
           data: dict[str, Any]) -> None:
    append_event(session, incident_id=row.incident_id, actor=actor, kind=kind, at=at, summary=summary,
                 data={"obligation_row": row.id, "obligation": row.obligation_id, **data})


def recompute(session: Session, config: Any, incident: Any, *, regimes: list[str], actor: str, why: str,
              at: datetime) -> list[Obligation]:
    """Assess ``regimes`` for the incident and create or update its obligation rows; returns the rows changed."""
    at = ensure_utc(at)
    catalog = catalog_regimes(config)
    unknown = [r for r in regimes if r not in catalog]
    if unknown:  # e.g. a regime file removed after the incident started: its rows stay as they are
        log.warning("incident %s: regime(s) %s not in the catalog; their obligations are left unchanged",
                    incident.id, ", ".join(unknown))
    if incident.id is None:
        session.add(incident)
        session.flush()
    existing = {r.obligation_id: r for r in _rows(session, incident.id)}  # type: ignore[arg-type]
    submitted = {k: r.notified_at for k, r in existing.items() if r.status == "notified" and r.notified_at}
    delays = {k: notices_of(r) for k, r in existing.items() if r.delays}
    standing = standing_facts(config)
    facts, derived = layered(standing, incident.derived_facts or {}, incident.facts or {})
    situation = Situation(triggers=parse_triggers(incident.triggers), facts=facts, submitted=submitted, at=at,
                          delays=delays, derived=derived)
    assessor = Assessor(catalog, situation)
    changed: list[Obligation] = []
    stamp = record_version(session, config, at)  # which regulations catalog computed these deadlines
    notes: list[tuple[Obligation, str, str, dict[str, Any]]] = []
    for regime_id in dict.fromkeys(r for r in regimes if r in catalog):
        regime = catalog[regime_id]
        for spec in regime.obligations:
            snapshot = {**_snapshot(regime, spec, "", standing), "config_version": stamp}
            row = _apply(session, existing.get(spec.id), assessor.obligation(spec.id), snapshot, notes,
                         incident_id=incident.id, actor=actor, why=why, at=at)  # type: ignore[arg-type]
            if row is not None:
                changed.append(row)
    if notes:
        # The rows and then their events, each in the order of the specs, with one flush each instead of two
        # per row: the same rows (ids in the order they were added) and the same events in the same order.
        session.flush()
        append_events(session, [NewEvent(incident_id=row.incident_id, actor=actor, kind=kind, at=at, summary=summary,
                                         data={"obligation_row": row.id, "obligation": row.obligation_id, **data})
                                for row, kind, summary, data in notes])
    return changed


def _apply(session: Session, row: Obligation | None, a: Assessment, snapshot: dict[str, Any],
           notes: list[tuple[Obligation, str, str, dict[str, Any]]], *,
           incident_id: int, actor: str, why: str, at: datetime) -> Obligation | None:
    """Add or update the obligation's row; the event it needs goes to ``notes`` (row, kind, summary, data)."""
    fields = _fields(a)
    snapshot = {**snapshot, "basis": a.basis}
    if row is None:
        row = Obligation(incident_id=incident_id, obligation_id=a.obligation, regime=a.regime,
                         spec=snapshot, created_at=at, updated_at=at, updated_by=actor, **fields)
        session.add(row)
        due = f", due {a.due_at:%Y-%m-%d %H:%M} UTC" if a.due_at else ""
        notes.append((row, "obligation.added", f"{a.obligation}: {fields['status']}{due} ({why})",
                      {"why": why, "status": fields["status"], "due_at": _iso(a.due_at), "reason": a.reason,
                       "config_version": snapshot.get("config_version")}))
        return row
    if row.status in CLOSED_STATES:
        return None  # final: a person decided
    if fields["status"] == "not_applicable" and _started(row):
        note = (f"Facts changed ({why}): now assessed as not applicable ({a.reason}). The clock had started, so it "
                "stays open: mark it not required with a reason if it no longer applies.")
        if row.reason.endswith(note):
            return None
        fields = {"reason": f"{row.reason} {note}".strip()}
    changes = {k: [_iso(getattr(row, k)), _iso(v)] for k, v in fields.items() if k in _TRACKED and getattr(row, k) != v}
    others = {k: v for k, v in fields.items() if k not in _TRACKED and getattr(row, k) != v}
    if not changes and not others and row.spec == snapshot:
        return None
    for key, value in fields.items():
        setattr(row, key, value)
    row.spec, row.updated_at, row.updated_by = snapshot, at, actor
    session.add(row)
    if changes or "reason" in others:
        notes.append((row, "obligation.changed",
                      f"{row.obligation_id}: " + (", ".join(f"{k} {o} -> {n}" for k, (o, n) in changes.items())
                                                  or "reason updated") + f" ({why})",
                      {"why": why, "changes": changes, "reason": row.reason,
                       "config_version": snapshot.get("config_version")}))
    return row


def open_obligations(session: Session, incident_id: int) -> list[Obligation]:
    """Unresolved obligations (open deadlines and qualitative duties), earliest due first."""
    rows = [r for r in _rows(session, incident_id) if r.status in UNRESOLVED_STATES]
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(rows, key=lambda r: (r.due_at or far, r.id or 0))


def _get(session: Session, obligation_row_id: int) -> Obligation:
    row = session.get(Obligation, obligation_row_id)
    if row is None:
        raise LookupError(f"no obligation with id {obligation_row_id}")
    return row


def _of(session: Session, obligation_row_id: int, incident: Any) -> Obligation:
    """The obligation row, which must be ``incident``'s."""
    row = _get(session, obligation_row_id)
    if row.incident_id != incident.id:
        raise LookupError(f"obligation {obligation_row_id} belongs to incident id {row.incident_id}, not {incident.id}")
    return row


def mark_notified(session: Session, obligation_row_id: int, *, incident: Any, by: str, submitted_at: datetime,
                  reference: str, evidence_url: str, at: datetime) -> Obligation:
    """Record the actual submission; recompute the chained stages anchored on it (``incident``: the row's incident,
    whose facts and triggers they read; the caller holds it)."""
    at, submitted_at = ensure_utc(at), ensure_utc(submitted_at)
    if submitted_at > at + _CLOCK_SKEW:
        raise ValueError(f"submission time {submitted_at:%Y-%m-%d %H:%M} UTC is in the future; "
                         "record it after the notification was actually sent")
    row = _of(session, obligation_row_id, incident)
    if row.status == "not_required":
        raise ValueError(f"{row.obligation_id} was marked not required ({row.not_required_reason}); it cannot also be notified")
    first = [r.obligation_id for r in open_predecessors(_rows(session, row.incident_id), row)]
    before = {"status": row.status, "notified_at": _iso(row.notified_at), "reference": row.reference,
              "evidence_url": row.evidence_url}
    row.status, row.notified_at, row.notified_by = "notified", submitted_at, by
    row.reference, row.evidence_url = (reference or "").strip() or None, (evidence_url or "").strip() or None
    row.updated_at, row.updated_by = at, by
    session.add(row)
    late = ""
    if row.due_at is not None and submitted_at > row.due_at:
        late = f" ({span(submitted_at - row.due_at)} after the due time: the notice must give reasons for the delay)"
    order = (f"; sent while {', '.join(first)} (required before it) is still open: send that now" if first else "")
    _event(session, row, "obligation.notified", actor=by, at=at,
           summary=f"{row.obligation_id} notified to {row.recipient} at {submitted_at:%Y-%m-%d %H:%M} UTC{late}{order}",
           data={"before": before, "submitted_at": _iso(submitted_at), "reference": row.reference,
                 "evidence_url": row.evidence_url, "late": bool(late), "sent_before": first})
    session.flush()
    _recompute_dependents(session, row, incident, actor=by, at=at)
    return row


def mark_not_required(session: Session, obligation_row_id: int, *, by: str, reason: str, at: datetime) -> Obligation:
    """Close an obligation without notifying; the reason is mandatory and recorded (GDPR Art. 33(5))."""
    at = ensure_utc(at)
    text = (reason or "").strip()
    if not text:
        raise ValueError("a reason is required to mark an obligation not required (GDPR Art. 33(5): document why a "
                         "breach was not notified), e.g. \"data was encrypted; key not compromised\"")
    row = _get(session, obligation_row_id)
    if row.status == "notified":
        raise ValueError(f"{row.obligation_id} was already notified at {row.notified_at:%Y-%m-%d %H:%M} UTC")
    before = row.status
    row.status, row.not_required_reason, row.not_required_by, row.not_required_at = "not_required", text, by, at
    row.updated_at, row.updated_by = at, by
    session.add(row)
    _event(session, row, "obligation.not_required", actor=by, at=at,
           summary=f"{row.obligation_id} marked not required: {text}", data={"before": before, "reason": text})
    return row


def _anchored_on(row: Obligation) -> list[str]:
    spec = ObligationSpec.model_validate(row.spec["obligation"])
    return [a[len(SUBMITTED):] for a in anchors_of(spec.deadline) if a.startswith(SUBMITTED)]


def _recompute_dependents(session: Session, changed: Obligation, incident: Any, *, actor: str, at: datetime,
                          why: str = "marked notified") -> None:
    rows = _rows(session, changed.incident_id)
    by_id = {r.obligation_id: r for r in rows}
    queue = [changed.obligation_id]
    while queue:
        source = queue.pop(0)
        for row in rows:
            if row.spec and source in _anchored_on(row) and row.status in (*UNRESOLVED_STATES, "informational"):
                if _reschedule(session, row, incident, by_id, actor=actor, at=at, cause=source, why=why):
                    queue.append(row.obligation_id)


def _context(row: Obligation, incident: Any, by_id: dict[str, Obligation]) -> tuple[ObligationSpec, RuleContextImpl,
                                                                              dict[str, Any]]:
    """The rule snapshot of a stored row and what it needs to recompute its due time without the catalog."""
    spec = ObligationSpec.model_validate(row.spec["obligation"])
    calendars = {k: CalendarSpec.model_validate(v) for k, v in row.spec.get("calendars", {}).items()}
    facts, derived = layered(row.spec.get("standing_facts", {}), (incident.derived_facts or {}) if incident else {},
                             (incident.facts or {}) if incident else {})

    def chain(obligation_id: str) -> AnchorTime:
        prev = by_id.get(obligation_id)
        if prev is not None and prev.status == "notified" and prev.notified_at:
            return AnchorTime(prev.notified_at, False, f"actual submission of {obligation_id} at "
                                                       f"{prev.notified_at:%Y-%m-%d %H:%M} UTC")
        if prev is not None and prev.due_at is not None and prev.status in UNRESOLVED_STATES + ("informational",):
            return AnchorTime(prev.due_at, True, f"{obligation_id} (not submitted yet: estimated from its due time)")
        raise Pending(f"waiting for the submission of {obligation_id}")

    triggers = parse_triggers(incident.triggers if incident else {})
    return spec, RuleContextImpl(ZoneInfo(row.due_zone), triggers, facts, calendars, chain, derived), facts


def _reschedule(session: Session, row: Obligation, incident: Any, by_id: dict[str, Obligation], *, actor: str,
                at: datetime, cause: str, why: str = "marked notified") -> bool:
    spec, ctx, facts = _context(row, incident, by_id)
    before = {k: _iso(getattr(row, k)) for k in ("due_at", "estimated", "window_start", "internal_targets")}
    try:
        if isinstance(spec.deadline, QualitativeRule):
            anchor = ctx.anchor(spec.deadline.from_) if spec.deadline.from_ else None
            row.internal_targets = [(anchor.instant + d).isoformat() for d in spec.deadline.internal_targets] if anchor else []
            row.window_start = anchor.instant if anchor else None
        else:
            due = compute_due(spec, ctx, facts, notices_of(row))
            row.due_at, row.estimated, row.window_start = due.at, due.estimated, due.window_start
            row.reason = _reason(row, due.steps)
    except Pending:
        return False
    after = {k: _iso(getattr(row, k)) for k in before}
    if after == before:
        return False
    row.updated_at, row.updated_by = at, actor
    session.add(row)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    _event(session, row, "obligation.rescheduled", actor=actor, at=at,
           summary=f"{row.obligation_id} re-anchored on the submission of {cause}" if why == "marked notified"
           else f"{row.obligation_id} re-anchored on {cause} ({why})",
           data={"why": f"{cause} {why}", "changes": changes})
    return True


def record_delay(session: Session, obligation_row_id: int, *, incident: Any, delay: str, until: datetime,
                 reference: str, by: str, at: datetime) -> Obligation:
    """Record a delay notice the law allows (e.g. SEC Item 1.05(c)); the due time moves within the law's limits."""
    at, until = ensure_utc(at), ensure_utc(until)
    reference = (reference or "").strip()
    if not reference:
        raise ValueError("expected the reference of the delay notice (e.g. the Attorney General's letter), got nothing")
    row = _of(session, obligation_row_id, incident)
    if row.status not in UNRESOLVED_STATES or row.due_at is None:
        raise ValueError(f"{row.obligation_id} has no running deadline to delay (status {row.status})")
    by_id = {r.obligation_id: r for r in _rows(session, row.incident_id)}
    spec, ctx, facts = _context(row, incident, by_id)
    if not spec.delays:
        raise ValueError(f"the law allows no delay of {row.obligation_id}")
    notice = DelayNotice(delay.strip(), until, reference, by, at)
    try:
        base = compute_due(spec, ctx, facts)
    except Pending as exc:
        raise ValueError(f"{row.obligation_id}: the clock has not started ({exc})") from None
    check_notice(spec.delays, notices_of(row), notice, base.at, ctx.zone, lambda t: fmt(t, ctx.zone))
    before = row.due_at
    row.delays = [*(row.delays or []), notice.to_json()]
    due = compute_due(spec, ctx, facts, notices_of(row))
    row.due_at, row.estimated, row.window_start = due.at, due.estimated, due.window_start
    row.reason = _reason(row, due.steps)
    row.updated_at, row.updated_by = at, by
    session.add(row)
    kind = next(d for d in spec.delays if d.id == notice.delay)
    _event(session, row, "obligation.delayed", actor=by, at=at,
           summary=f"{row.obligation_id} delayed to {fmt(due.at, ctx.zone)} by {kind.title} (reference {reference}; "
                   f"{kind.citation})",
           data={"delay": notice.delay, "until": _iso(until), "reference": reference, "citation": kind.citation,
                 "changes": {"due_at": [_iso(before), _iso(due.at)]}})
    session.flush()
    _recompute_dependents(session, row, incident, actor=by, at=at, why="delayed by a recorded notice")
    return row


def _reason(row: Obligation, steps: Iterable[str]) -> str:
    parts = [row.spec.get("basis", ""), "due " + "; ".join(steps)]
    return ". ".join(p for p in parts if p) + (f". Source: {row.citation}" if row.citation else "")
