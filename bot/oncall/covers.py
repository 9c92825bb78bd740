"""Covers and swaps asked for in chat: a proposed override, the taker's acceptance, the override in the database.

"Can you take my Tuesday?": someone proposes that a taker covers a rotation
from one instant to another (replacing whoever the final roster names then,
usually the proposer).  Only the taker accepts, and the taker cannot be the
one who asks (nobody takes someone else's shift on their own say-so).
Before the override is written, the taker's eligibility over the whole span is checked: the
plan-time rules (leave, rest, hours, holidays, consecutive days...) with the
cover in place, compared with the roster without it, and the page-time rules
(contact windows, rest after recent call-outs, scheduled rest, holiday bans)
at every hour of the span.  A refusal names each rule and its citation.

Accepted covers are overrides like those in ``rotas.yaml`` (a higher layer
that always wins); they live in the database, every step is an event on the
audit trail, and :func:`export_yaml` writes them for the rota file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import yaml
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.oncall.accepted_covers import accepted_overrides, as_override
from bot.oncall.compliance import violations
from bot.oncall.eligibility import evaluate
from bot.oncall.history import EngagementHistory
from bot.oncall.schedule import on_call, shifts
from bot.oncall.tables import CoverRequest
from bot.oncall.team import ResolvedOverride, Team
from bot.oncall.wallclock import describe_local, local_date, start_of_local_day, to_local

MAX_SPAN = timedelta(days=31)
OPEN = "proposed"


class CoverError(ValueError):
    """The request cannot be made or answered: what was wrong and how to fix it."""


def with_overrides(team: Team, extra: tuple[ResolvedOverride, ...] | list[ResolvedOverride]) -> Team:
    """``team`` with ``extra`` overrides on top of the rota file's (later ones win, as in rotas.yaml)."""
    if not extra:
        return team
    merged = {rid: list(items) for rid, items in team.overrides.items()}
    for ov in extra:
        merged.setdefault(ov.rotation, []).append(ov)
    return replace(team, overrides=merged)


def _span(team: Team, rotation: str, start: datetime, end: datetime, now: datetime) -> None:
    zone = team.rotations[rotation].timezone
    if end <= start:
        raise CoverError(f"expected the end after the start ({describe_local(start, zone)}), got {describe_local(end, zone)}")
    if end <= now:
        raise CoverError(f"expected a span that has not ended yet; {describe_local(end, zone)} is past")
    if end - start > MAX_SPAN:
        raise CoverError(f"expected at most 31 days in one cover, got {(end - start).days} days; ask for each part")


def propose(session: Session, team: Team, *, rotation: str, taker: str, start: datetime, end: datetime,
            proposed_by: str, now: datetime, reason: str = "") -> CoverRequest:
    """A proposal that ``taker`` covers ``rotation`` over [start, end); ``proposed_by`` is a person id."""
    start, end, now = ensure_utc(start), ensure_utc(end), ensure_utc(now)
    if rotation not in team.rotations:
        raise CoverError(f'unknown rotation "{rotation}"; rotations: {", ".join(sorted(team.rotations))}')
    if taker not in team.people:
        raise CoverError(f'unknown person "{taker}"; people: {", ".join(sorted(team.people))}')
    _span(team, rotation, start, end, now)
    held = [s for s in shifts(team, rotation, max(start, now), end) if s.person != taker]
    if not held:
        raise CoverError(f"{taker} already holds {rotation} for the whole span, or nobody is on call in it; "
                         "nothing to cover")
    holders = sorted({s.person for s in held})
    if taker == proposed_by:  # a cover needs two people: the one asking (usually the holder) and the taker
        raise CoverError(f"{taker} cannot both ask for and take a cover of {rotation}: {', '.join(holders)}, who "
                         f"{'holds' if len(holders) == 1 else 'hold'} it then, must ask {taker} (/oncall cover)")
    replaces = proposed_by if proposed_by in holders else (holders[0] if len(holders) == 1 else None)
    zone = team.rotations[rotation].timezone
    text = " ".join(reason.split())[:500] or (f"{taker} covers {replaces}" if replaces else f"{taker} covers")
    cover = CoverRequest(rotation=rotation, taker=taker, replaces=replaces, start=start, end=end, reason=text,
                         proposed_by=proposed_by, proposed_at=now)
    session.add(cover)
    session.flush()
    append_event(session, incident_id=None, actor=proposed_by, kind="oncall.cover_proposed", at=now,
                 summary=f"cover #{cover.id} proposed: {taker} to take {rotation} "
                         f"{describe_local(start, zone)} to {describe_local(end, zone)}"
                         + (f" from {replaces}" if replaces else "") + f" ({text})",
                 data=_data(cover))
    return cover


def _data(cover: CoverRequest) -> dict:
    return {"cover_id": cover.id, "rotation": cover.rotation, "taker": cover.taker, "replaces": cover.replaces,
            "start": ensure_utc(cover.start).isoformat(), "end": ensure_utc(cover.end).isoformat(),
            "reason": cover.reason, "status": cover.status}


@dataclass(frozen=True)
class CoverCheck:
    refusals: tuple[str, ...]  # blocking: each with rule and citation
    notes: tuple[str, ...]  # warnings: accepted with these said

    @property
    def eligible(self) -> bool:
        return not self.refusals


def check_taker(team: Team, history: EngagementHistory, cover: CoverRequest) -> CoverCheck:
    """The taker's eligibility over the whole span, with the cover in place."""
    start, end = ensure_utc(cover.start), ensure_utc(cover.end)
    person = team.person(cover.taker)
    after = with_overrides(team, [as_override(cover)])
    # plan-time rules over the local days around the span (rest spans midnight), new findings only
    lo = start_of_local_day(local_date(start, person.zone) - timedelta(days=1), person.zone)
    hi = start_of_local_day(local_date(end, person.zone) + timedelta(days=2), person.zone)

    def mine(t: Team) -> set[tuple]:
        return {(v.rule, v.citation, v.severity, v.message) for v in violations(t, lo, hi, only={person.id})}

    new = sorted(mine(after) - mine(team), key=lambda v: v[3])
    refusals = [f"{msg}" for rule, cite, severity, msg in new if severity == "block"]
    notes = [f"{msg}" for rule, cite, severity, msg in new if severity == "warn"]
    # page-time rules at the start and every hour of the span, as someone rostered on call
    activity = team.rotations[cover.rotation].activity
    seen: set[tuple[str, str]] = set()
    instants = [start]
    hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while hour < end:
        instants.append(hour)
        hour += timedelta(hours=1)
    for at in instants:
        if on_call(after, cover.rotation, at).person != person.id:
            continue  # outside the rotation's coverage, or another override wins there
        for f in evaluate(person, at, rostered=True, activity=activity, history=history).blocks:
            if (f.rule_id, f.citation) not in seen:
                seen.add((f.rule_id, f.citation))
                refusals.append(f"{person.id} {describe_local(at, person.zone)}: {f.reason} ({f.citation})")
    return CoverCheck(tuple(refusals), tuple(notes))


def _open(session: Session, cover_id: int) -> CoverRequest:
    cover = session.get(CoverRequest, cover_id)
    if cover is None:
        raise CoverError(f"no cover request #{cover_id}")
    if cover.status != OPEN:
        raise CoverError(f"cover #{cover_id} is already {cover.status}")
    return cover


def accept(session: Session, team: Team, history: EngagementHistory, cover_id: int, *, by: str,
           now: datetime) -> tuple[CoverRequest, CoverCheck]:
    """The taker accepts: written as an override if they may take the whole span, refused with the rules otherwise."""
    now = ensure_utc(now)
    cover = _open(session, cover_id)
    if by != cover.taker:
        raise CoverError(f"only {cover.taker}, who is asked to take it, can accept cover #{cover.id}")
    if ensure_utc(cover.end) <= now:
        raise CoverError(f"cover #{cover.id} ended before it was accepted; ask again")
    check = check_taker(with_overrides(team, accepted_overrides(session)), history, cover)
    cover.decided_at, cover.decided_by = now, by
    zone = team.rotations[cover.rotation].timezone
    span = f"{describe_local(cover.start, zone)} to {describe_local(cover.end, zone)}"
    if check.eligible:
        cover.status = "accepted"
        summary = f"cover #{cover.id} accepted: {cover.taker} takes {cover.rotation} {span}" + \
            (f" from {cover.replaces}" if cover.replaces else "") + "".join(f"; note: {n}" for n in check.notes)
        kind = "oncall.cover_accepted"
    else:
        cover.status, cover.refusal = "refused", "; ".join(check.refusals)[:2000]
        summary = f"cover #{cover.id} refused: {cover.taker} may not take {cover.rotation} {span}: {cover.refusal}"
        kind = "oncall.cover_refused"
    session.add(cover)
    append_event(session, incident_id=None, actor=by, kind=kind, at=now, summary=summary[:4000],
                 data=dict(_data(cover), refusals=list(check.refusals), notes=list(check.notes)))
    session.flush()
    return cover, check


def decline(session: Session, cover_id: int, *, by: str, now: datetime) -> CoverRequest:
    cover = _open(session, cover_id)
    if by not in (cover.taker, cover.proposed_by):
        raise CoverError(f"only {cover.taker} or {cover.proposed_by} can decline or withdraw cover #{cover.id}")
    cover.status = "declined" if by == cover.taker else "withdrawn"
    cover.decided_at, cover.decided_by = ensure_utc(now), by
    session.add(cover)
    append_event(session, incident_id=None, actor=by, kind=f"oncall.cover_{cover.status}", at=now,
                 summary=f"cover #{cover.id} {cover.status} by {by}", data=_data(cover))
    session.flush()
    return cover


def export_yaml(session: Session, team: Team, rotation: str | None = None) -> str:
    """Accepted covers as ``overrides:`` entries for rotas.yaml, in each rotation's local time with the offset."""
    rows = session.exec(select(CoverRequest).where(CoverRequest.status == "accepted").order_by(CoverRequest.id)).all()
    items = []
    for c in rows:
        if rotation and c.rotation != rotation:
            continue
        zone = team.rotations[c.rotation].timezone if c.rotation in team.rotations else "UTC"
        entry = {"rotation": c.rotation, "person": c.taker}
        if c.replaces:
            entry["replaces"] = c.replaces
        entry["from"] = to_local(c.start, zone).isoformat(sep=" ", timespec="minutes")
        entry["to"] = to_local(c.end, zone).isoformat(sep=" ", timespec="minutes")
        entry["reason"] = f"{c.reason} (cover #{c.id}, accepted by {c.decided_by} "\
                          f"{ensure_utc(c.decided_at).strftime('%Y-%m-%d')})"  # type: ignore[arg-type]
        items.append(entry)
    if not items:
        return "overrides: []\n"
    return yaml.safe_dump({"overrides": items}, sort_keys=False, allow_unicode=True, width=120)


def config_with_covers(config, overrides: tuple[ResolvedOverride, ...]):
    """A copy of ``config`` whose team has the accepted covers on top (for previews, feeds and reports)."""
    from bot.oncall.team import team_of

    if not overrides:
        return config
    return replace(config, cache={"oncall.team": with_overrides(team_of(config), overrides)})
