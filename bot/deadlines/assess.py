"""Evaluating the catalog for one incident: which obligations apply, and when each is due.

Pure: the inputs are trigger instants, facts and actual submissions; the
output is one :class:`Assessment` per obligation with a ``reason`` naming the
facts that made it apply and the rule and citation that computed the time.

Unknown facts never hide an obligation: an obligation whose applicability
depends on a fact not yet known is assessed as if it applied, and its reason
says which facts are still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Literal, Mapping
from zoneinfo import ZoneInfo

from bot.clock import ensure_utc
from bot.deadlines.calendars import CalendarSpec, WorkingCalendar, resolve_calendar
from bot.deadlines.catalog import ObligationSpec, RegimeFile
from bot.deadlines.conditions import MISSING, evaluate_all, lookup
from bot.deadlines.delays import DelayNotice, apply_delays
from bot.deadlines.ordering import predecessors
from bot.deadlines.rules import (END_OF_DAY, SUBMITTED, TRIGGERS, AnchorTime, Due, Pending, QualitativeRule, add_months,
                                 fmt, local_instant)

Status = Literal["deadline", "qualitative", "informational", "not_applicable", "pending"]


@dataclass(frozen=True)
class Situation:
    triggers: Mapping[str, datetime]
    facts: Mapping[str, Any] = field(default_factory=dict)
    submitted: Mapping[str, datetime] = field(default_factory=dict)  # obligation id -> actual submission
    at: datetime | None = None  # when the assessment is made (for not-yet-effective regimes)
    delays: Mapping[str, list[DelayNotice]] = field(default_factory=dict)  # obligation id -> recorded delay notices
    derived: Mapping[str, str] = field(default_factory=dict)  # fact -> why, derived from systems, not confirmed


@dataclass(frozen=True)
class Assessment:
    obligation: str
    regime: str
    title: str
    recipient: str
    stage: str
    status: Status
    due_at: datetime | None  # aware UTC
    zone: str
    estimated: bool
    reason: str
    citation: str
    legal: bool  # False for proposed / not yet effective regimes: informational only
    window_start: datetime | None = None
    missing_facts: tuple[str, ...] = ()
    internal_targets: tuple[datetime, ...] = ()
    must_contain: tuple[str, ...] = ()
    basis: str = ""  # why it applies (the facts), without the due-time computation
    after: tuple[str, ...] = ()  # obligations that must be sent before this one ("before the consumer notice")
    retain_until: datetime | None = None  # keep the record this duty creates until then (aware UTC)

    def due_local(self) -> datetime | None:
        return self.due_at.astimezone(ZoneInfo(self.zone)) if self.due_at else None

    def to_json(self) -> dict[str, Any]:
        local = self.due_local()
        return {
            "obligation": self.obligation, "regime": self.regime, "title": self.title, "recipient": self.recipient,
            "stage": self.stage, "status": self.status,
            "due_at": local.isoformat() if local else None,
            "due_at_utc": self.due_at.isoformat().replace("+00:00", "Z") if self.due_at else None,
            "zone": self.zone, "estimated": self.estimated, "legal": self.legal,
            "assumed": bool(self.missing_facts) and self.status != "not_applicable", "reason": self.reason,
            "citation": self.citation, "missing_facts": list(self.missing_facts),
            "internal_targets": [t.isoformat().replace("+00:00", "Z") for t in self.internal_targets],
            "must_contain": list(self.must_contain), "after": list(self.after),
            "retain_until": self.retain_until.isoformat().replace("+00:00", "Z") if self.retain_until else None,
        }


class RuleContextImpl:
    """What a rule may ask: the zone, anchors (triggers / submissions) and calendars."""

    def __init__(self, zone: ZoneInfo, triggers: Mapping[str, datetime], facts: Mapping[str, Any],
                 calendars: Mapping[str, CalendarSpec], chain: Callable[[str], AnchorTime],
                 derived: Mapping[str, str] | None = None) -> None:
        self.zone = zone
        self.derived = dict(derived or {})  # facts derived from systems, not confirmed (never grant relief)
        self._triggers = triggers
        self._facts = dict(facts)
        self._calendars = calendars
        self._chain = chain

    def anchor(self, name: str) -> AnchorTime:
        if name.startswith(SUBMITTED):
            return self._chain(name[len(SUBMITTED):])
        if name not in self._triggers:
            raise Pending(f'trigger "{name}" ({TRIGGERS.get(name, "")}) is not recorded yet')
        instant = ensure_utc(self._triggers[name])
        return AnchorTime(instant, False, f"{name} at {fmt(instant, self.zone)}")

    def calendar(self, name: str) -> WorkingCalendar:
        return resolve_calendar(name, self._calendars[name], self._facts)


def zone_for(regime_zone: str, zone_fact: str | None, facts: Mapping[str, Any]) -> ZoneInfo:
    if zone_fact:
        value = lookup(dict(facts), zone_fact)
        if value is not MISSING:
            try:
                return ZoneInfo(str(value))
            except (KeyError, ValueError):
                raise ValueError(f'fact {zone_fact}: expected an IANA time zone like "Europe/Berlin", got "{value}"') from None
    return ZoneInfo(regime_zone)


def compute_due(spec: ObligationSpec, ctx: RuleContextImpl, facts: Mapping[str, Any],
                delays: list[DelayNotice] | None = None) -> Due:
    """Apply the deadline rule, the roll-forward if the obligation has one, then recorded delay notices.
    Raises Pending."""
    due = spec.deadline.compute(ctx)  # type: ignore[union-attr]
    if spec.rollover is not None:
        due = spec.rollover.apply(due, ctx, dict(facts))
    if delays and spec.delays:
        due = apply_delays(due, spec.delays, delays, ctx.zone, lambda t: fmt(t, ctx.zone))
    return due


def retain_until(spec: ObligationSpec, ctx: RuleContextImpl) -> datetime | None:
    """End of the retention period of the record this duty creates (None until its anchor is known)."""
    if spec.retain is None:
        return None
    try:
        anchor = ctx.anchor(spec.retain.from_)
    except Pending:
        return None
    day = add_months(anchor.instant.astimezone(ctx.zone).date(), spec.retain.months)
    return local_instant(day, END_OF_DAY, ctx.zone)


def internal_targets(rule: QualitativeRule, ctx: RuleContextImpl) -> tuple[tuple[datetime, ...], datetime | None]:
    if rule.from_ is None or not rule.internal_targets:
        return (), None
    try:
        anchor = ctx.anchor(rule.from_)
    except Pending:
        return (), None
    return tuple(anchor.instant + d for d in rule.internal_targets), anchor.instant


def _effective(regime: RegimeFile, spec: ObligationSpec, start: datetime | None, at: datetime | None,
               zone: ZoneInfo) -> tuple[bool, str]:
    if regime.status in ("proposed", "repealed"):
        note = f" {regime.status_note}" if regime.status_note else ""
        return False, f"regime {regime.id} is {regime.status}: informational only, no legal reminders.{note}"
    begins = max((d for d in (spec.effective_from, regime.effective_from) if d is not None), default=None)
    probe = start or at
    if begins is not None and probe is not None and probe.astimezone(zone).date() < begins:
        return False, f"not in effect until {begins.isoformat()}: informational only"
    if begins is not None and probe is None and (regime.status == "not_yet_effective" or spec.effective_from):
        return False, f"in effect from {begins.isoformat()}; no date to compare yet: informational only"
    ends = regime.effective_until
    if ends is not None and probe is not None and probe.astimezone(zone).date() > ends:
        return False, f"regime {regime.id} ceased to apply after {ends.isoformat()}: informational only"
    if spec.effective_until is not None and probe is not None and probe.astimezone(zone).date() > spec.effective_until:
        return False, f"this rule applied until {spec.effective_until.isoformat()} (superseded): informational only"
    return True, ""


class Assessor:
    """Assess obligations of several regimes with one situation; resolves chained stages across them."""

    def __init__(self, catalog: Mapping[str, RegimeFile], situation: Situation) -> None:
        self._catalog = catalog
        self._by_obligation = {o.id: r for r in catalog.values() for o in r.obligations}
        self._s = situation
        self._cache: dict[str, Assessment] = {}
        self._active: set[str] = set()

    def regime(self, regime_id: str) -> list[Assessment]:
        if regime_id not in self._catalog:
            known = ", ".join(sorted(self._catalog)) or "none"
            raise KeyError(f'unknown regime "{regime_id}"; known regimes: {known}')
        return [self.obligation(o.id) for o in self._catalog[regime_id].obligations]

    def _chain(self, obligation_id: str) -> AnchorTime:
        if obligation_id in self._s.submitted:
            instant = ensure_utc(self._s.submitted[obligation_id])
            return AnchorTime(instant, False, f"actual submission of {obligation_id} at {instant:%Y-%m-%d %H:%M} UTC")
        if obligation_id not in self._by_obligation or obligation_id in self._active:
            raise Pending(f"waiting for the submission of {obligation_id}")
        previous = self.obligation(obligation_id)
        if previous.due_at is None or previous.status == "not_applicable":
            raise Pending(f"waiting for the submission of {obligation_id}")
        return AnchorTime(previous.due_at, True,
                          f"{obligation_id} (not submitted yet: estimated from its due time {previous.due_at:%Y-%m-%d %H:%M} UTC)")

    def obligation(self, obligation_id: str) -> Assessment:
        if obligation_id in self._cache:
            return self._cache[obligation_id]
        regime = self._by_obligation[obligation_id]
        spec = regime.obligation(obligation_id)
        assert spec is not None
        self._active.add(obligation_id)
        try:
            result = self._assess(regime, spec)
        finally:
            self._active.discard(obligation_id)
        self._cache[obligation_id] = result
        return result

    def _assess(self, regime: RegimeFile, spec: ObligationSpec) -> Assessment:
        facts = dict(self._s.facts)
        zone = zone_for(regime.zone, regime.zone_fact, facts)
        base = dict(obligation=spec.id, regime=regime.id, title=spec.title, recipient=spec.recipient, stage=spec.stage,
                    zone=zone.key, citation=spec.citation_text(), must_contain=tuple(spec.must_contain))
        verdict = evaluate_all([*regime.applicability, *spec.applicability], facts, self._s.derived)
        if verdict.value is False:
            return Assessment(**base, status="not_applicable", due_at=None, estimated=False, legal=False,
                              reason="does not apply: " + "; ".join(verdict.used))
        why: list[str] = []
        if verdict.missing:  # said first: the due time below holds only if the open facts turn out to apply
            known = f" (known so far: {'; '.join(verdict.used)})" if verdict.used else ""
            why.append("assumed to apply until these facts are known: " + ", ".join(verdict.missing) + known)
        elif verdict.used:
            why.append("applies because " + "; ".join(verdict.used))
        base["basis"] = ". ".join(why)
        ctx = RuleContextImpl(zone, self._s.triggers, facts, regime.calendars, self._chain, self._s.derived)
        keep = retain_until(spec, ctx)
        if keep is not None and spec.retain is not None:
            base["retain_until"] = keep
            why.append(f"keep the record until {fmt(keep, zone)} ({spec.retain.months} months after "
                       f"{spec.retain.from_}; {spec.retain.citation})")
        if isinstance(spec.deadline, QualitativeRule):
            targets, start = internal_targets(spec.deadline, ctx)
            legal, note = _effective(regime, spec, start, self._s.at, zone)
            why.append(f'"{spec.deadline.text}": no computable legal deadline')
            if targets:
                why.append("internal targets (company policy, not law): "
                           + ", ".join(fmt(t, zone) for t in targets))
            if note:
                why.append(note)
            return Assessment(**base, status="qualitative" if legal else "informational", due_at=None, estimated=False,
                              legal=legal, window_start=start, internal_targets=targets, missing_facts=verdict.missing,
                              reason=". ".join(why) + f". Source: {base['citation']}")
        try:
            due = compute_due(spec, ctx, facts, list(self._s.delays.get(spec.id, ())))
        except Pending as exc:
            legal, note = _effective(regime, spec, None, self._s.at, zone)
            why.append(f"clock not started: {exc}")
            if note:
                why.append(note)
            return Assessment(**base, status="pending" if legal else "informational", due_at=None, estimated=False,
                              legal=legal, missing_facts=verdict.missing, reason=". ".join(why) + ".")
        legal, note = _effective(regime, spec, due.window_start, self._s.at, zone)
        why.append("due " + "; ".join(due.steps))
        if note:
            why.append(note)
        return Assessment(**base, status="deadline" if legal else "informational", due_at=due.at,
                          estimated=due.estimated, legal=legal, window_start=due.window_start,
                          missing_facts=verdict.missing, reason=". ".join(why) + f". Source: {base['citation']}")


def with_order(results: list[Assessment], catalog: Mapping[str, RegimeFile]) -> list[Assessment]:
    """Each assessment with the applicable notices that must be sent before it (said in its reason too)."""
    from dataclasses import replace

    before = predecessors(o for r in catalog.values() for o in r.obligations)
    live = {a.obligation for a in results if a.status != "not_applicable"}
    out = []
    for a in results:
        first = tuple(p for p in before.get(a.obligation, ()) if p in live)
        if first and a.status != "not_applicable":
            a = replace(a, after=first,
                        reason=f"{a.reason.rstrip('.')}. Send only after: {', '.join(first)} (required first).")
        out.append(a)
    return out


def assess(catalog: Mapping[str, RegimeFile], regime_ids: list[str], situation: Situation) -> list[Assessment]:
    assessor = Assessor(catalog, situation)
    out: list[Assessment] = []
    for rid in regime_ids:
        out.extend(assessor.regime(rid))
    return with_order(out, catalog)
