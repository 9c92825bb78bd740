"""Milestones of an incident, read from its chain: detected, acknowledged, mitigated, resolved, closed.

Each milestone comes from an event on the incident's hash chain, so the
metrics and the review draft rest on the same verified record:

* **detected**: the declaration (``incident.declared``; its ``data.detected_at``
  when the incident came from an alert that fired earlier);
* **acknowledged**: the first acknowledged page (``page.acked``);
* **mitigated**: ``/incident mitigated`` (``milestone.set``), when the impact stops
  growing although the cause is not fixed yet;
* **resolved** / **closed**: ``incident.resolved`` / ``incident.closed``.

A person may correct a milestone with a reason (``milestone.set`` with the
previous value): the latest correction wins, and the original event stays on
the chain.  ``closed`` is only ever the closing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from bot.clock import ensure_utc

MILESTONES = ("detected", "acknowledged", "mitigated", "resolved", "closed")
SETTABLE = ("detected", "acknowledged", "mitigated", "resolved")
SET_KIND = "milestone.set"
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Milestone:
    name: str
    at: datetime
    source: str  # what set it: "declaration", "page acknowledged by …", "set by … : reason"
    seq: int  # the chain event it comes from


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    return ensure_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def from_events(events: Iterable[Any]) -> dict[str, Milestone]:
    """The incident's milestones from its chain events (oldest first); absent ones are left out."""
    found: dict[str, Milestone] = {}
    corrections: dict[str, Milestone] = {}
    for ev in events:
        at, data = ensure_utc(ev.at), ev.data or {}
        if ev.kind == "incident.declared" and "detected" not in found:
            detected = _instant(data.get("detected_at")) or at
            found["detected"] = Milestone("detected", detected, "declaration", ev.seq)
        elif ev.kind == "page.acked" and "acknowledged" not in found:
            found["acknowledged"] = Milestone("acknowledged", at, f"page acknowledged by {ev.actor}", ev.seq)
        elif ev.kind == "incident.resolved" and "resolved" not in found:
            found["resolved"] = Milestone("resolved", at, f"resolved by {ev.actor}", ev.seq)
        elif ev.kind == "incident.closed" and "closed" not in found:
            found["closed"] = Milestone("closed", at, f"closed by {ev.actor}", ev.seq)
        elif ev.kind == SET_KIND and data.get("milestone") in SETTABLE and _instant(data.get("at")):
            name = data["milestone"]
            note = data.get("reason") or ""
            corrections[name] = Milestone(name, _instant(data["at"]), f"set by {ev.actor}" + (f": {note}" if note else ""),
                                          ev.seq)  # type: ignore[arg-type]
    found.update(corrections)
    return {name: found[name] for name in MILESTONES if name in found}


def instant_text(at: datetime) -> str:
    """An exact instant, to the minute, with its offset: each reader's adapter shows it in their own zone."""
    return ensure_utc(at).isoformat(timespec="minutes")


def check_order(milestones: dict[str, Milestone], name: str, at: datetime, now: datetime) -> None:
    """Refuse a milestone that cannot be true: in the future, before detection, mitigated after resolved."""
    if at > now + CLOCK_SKEW:
        raise ValueError(f"{name} at {instant_text(at)} is in the future; give the time it happened")
    detected = milestones.get("detected")
    if name != "detected" and detected is not None and at < detected.at:
        raise ValueError(f"{name} at {instant_text(at)} would be before the detection "
                         f"({instant_text(detected.at)}); correct the detection first if it was earlier")
    if name == "detected":
        later = [m for m in milestones.values() if m.name != "detected" and m.at < at]
        if later:
            raise ValueError(f"detected at {instant_text(at)} would be after {later[0].name} "
                             f"({instant_text(later[0].at)}); detection comes first")
    resolved = milestones.get("resolved")
    if name == "mitigated" and resolved is not None and at > resolved.at:
        raise ValueError(f"mitigated at {instant_text(at)} would be after the resolution "
                         f"({instant_text(resolved.at)}); the impact was over by then")
    mitigated = milestones.get("mitigated")
    if name == "resolved" and mitigated is not None and at < mitigated.at:
        raise ValueError(f"resolved at {instant_text(at)} would be before the mitigation "
                         f"({instant_text(mitigated.at)})")
