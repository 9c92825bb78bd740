"""When a redaction may have happened: a purge event vouches for a redaction only if it could have been a real purge.

An ``audit.purged`` event lists the events it redacted; :func:`bot.audit.trail.verify_chain` checks *which* texts a
redaction may touch (:mod:`bot.audit.redactable`). Anyone with the database can append such an event at a chain's
tail, so without a check of *when*, an open incident's summary could be erased today under a self-made purge. A
redaction is accepted only if at least one purge event listing it could have been a real purge of it:

* the purge event comes after the redacted event, is dated no earlier than any event before it and not in the future
  (both within :data:`CLOCK_SKEW`, for clocks of different hosts);
* on an incident's chain, an ``incident.closed`` event precedes the purge event, dated no earlier than any event
  before it (a closing appended now cannot be dated back), and the purge is dated at least the retention period
  after that closing (the purge redacts incidents closed longer ago than the period);
* on the global chain, the purge is dated at least the retention period after the redacted event (an exercise's
  findings: after the exercise's ``starts_at``, the date that purge goes by).

The retention period is the one the purge recorded (``data["retention_days"]``), but never shorter than the
verifier's ``min_retention_days`` (``audit verify`` uses the configured ``retention_days``, which is not in the
database): a purge event written by hand with a short period is judged by the configured one. A purge event
without the field (written by hand, or by a bot older than the field) is judged by ``min_retention_days`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from bot.audit.malformed import purged_seqs
from bot.clock import ensure_utc

CLOCK_SKEW = timedelta(minutes=5)
LONGEST_PERIOD_DAYS = 36_500  # a hundred years: a longer recorded period is not one a purge waited
PURGED = "audit.purged"
CLOSED = "incident.closed"
EXERCISE = "exercise.recorded"


@dataclass(frozen=True)
class Dated:
    """The parts of an event the timing check reads."""

    seq: int
    kind: str
    at: datetime
    data: Any


def dated(events: Iterable[tuple[int, str, datetime, Any]]) -> list[Dated]:
    return [Dated(seq, kind, ensure_utc(at), data) for seq, kind, at, data in events]


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / 86400:.1f} days"


def _period(data: Any, min_retention_days: int) -> int:
    recorded = data.get("retention_days") if isinstance(data, dict) else None
    valid = isinstance(recorded, int) and not isinstance(recorded, bool)
    return max(recorded if valid else 0, min_retention_days)


def _latest_before(rows: list[Dated]) -> dict[int, Dated]:
    """Event number -> the latest-dated of the events before it. Against the latest, not the one just before: an
    insider could otherwise append a stepping stone dated back and then a closing dated no earlier than it."""
    out: dict[int, Dated] = {}
    latest: Dated | None = None
    for ev in rows:
        if latest is not None:
            out[ev.seq] = latest
        if latest is None or ev.at > latest.at:
            latest = ev
    return out


def _set_back(event: Dated, before: dict[int, Dated]) -> str | None:
    """Why ``event`` is dated earlier than an event before it (None when it is not)."""
    prev = before.get(event.seq)
    if prev is not None and event.at < prev.at - CLOCK_SKEW:
        return f"event #{event.seq} ({event.kind}) is dated {event.at.isoformat()}, before an event preceding it " \
               f"(#{prev.seq} at {prev.at.isoformat()}): its time was set back"
    return None


def _since(target: Dated) -> datetime:
    """From when a global-chain event's retention period runs."""
    starts = target.data.get("starts_at") if target.kind == EXERCISE and isinstance(target.data, dict) else None
    try:
        return ensure_utc(datetime.fromisoformat(starts)) if isinstance(starts, str) else target.at
    except ValueError:
        return target.at


def _why_not(target: Dated, purge: Dated, rows: list[Dated], before: dict[int, Dated], *, incident: bool,
             now: datetime | None, min_retention_days: int) -> str | None:
    """Why ``purge`` cannot have been a real purge of ``target`` (None when it can)."""
    name = f"purge event #{purge.seq}"
    if purge.seq <= target.seq:
        return f"{name} comes before it"
    if (back := _set_back(purge, before)) is not None:
        return back
    if now is not None and purge.at > now + CLOCK_SKEW:
        return f"{name} is dated {purge.at.isoformat()}, in the future"
    days = _period(purge.data, min_retention_days)
    if days > LONGEST_PERIOD_DAYS:  # no purge waits that long (and a timedelta of it may not exist)
        return f"{name} records a retention period of {days} days, longer than any purge waits"
    period = timedelta(days=days)
    if incident:
        closings = [e for e in rows if e.kind == CLOSED and e.seq < purge.seq]
        if not closings:
            return f"the incident was not closed before {name}: an open incident's text is never purged"
        closing = closings[-1]
        if (back := _set_back(closing, before)) is not None:
            return back
        since, what = closing.at, f"the incident was closed (#{closing.seq} at {closing.at.isoformat()})"
    else:
        since, what = _since(target), f"it was written ({_since(target).isoformat()})"
    if purge.at - since < period:
        return f"{name} at {purge.at.isoformat()} is only {_days(purge.at - since)} after {what}, but a purge " \
               f"waits the retention period ({period.days} days)"
    return None


def early_redactions(rows: list[Dated], *, incident: bool, now: datetime | None,
                     min_retention_days: int = 1) -> dict[int, str]:
    """Redacted event number -> why none of the purge events listing it could have been a real purge of it.

    ``rows``: the chain's events in order; ``incident``: an incident's chain (else the global chain); ``now``: the
    verifier's time (None: purge events dated in the future are not looked for). Events no purge event lists are
    left out (the verifier reports those already)."""
    before = _latest_before(rows)
    listing: dict[int, list[Dated]] = {}
    for ev in rows:
        for seq in purged_seqs(ev.kind, ev.data):
            listing.setdefault(seq, []).append(ev)
    out: dict[int, str] = {}
    for target in rows:
        purges = listing.get(target.seq)
        if not purges:
            continue
        reasons = [_why_not(target, p, rows, before, incident=incident, now=now,
                            min_retention_days=min_retention_days) for p in purges]
        if all(reasons):
            out[target.seq] = "; ".join(r for r in reasons if r)
    return out
