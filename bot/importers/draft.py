"""What an import produces: draft rotations, people and overrides, and what could not be mapped and why."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bot.oncall.wallclock import to_local

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CADENCES = {timedelta(days=1): "daily", timedelta(days=7): "weekly", timedelta(days=14): "fortnightly"}


@dataclass(frozen=True)
class Unmapped:
    """Something in the export that rotas.yaml cannot express (or that needs a person's decision)."""

    what: str  # 'PagerDuty layer "Nights" (PXYZ) of schedule "Platform"'
    reason: str  # why, and what to do about it

    def describe(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass
class Draft:
    source: str  # "PagerDuty schedule Platform (P123)"
    rotations: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)  # only people not in people.yaml yet
    overrides: list[dict[str, Any]] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # mapped, but the manager should know

    def extend(self, other: "Draft") -> None:
        self.rotations += other.rotations
        known = {p["id"] for p in self.people}
        self.people += [p for p in other.people if p["id"] not in known]
        self.overrides += other.overrides
        self.unmapped += other.unmapped
        self.notes += other.notes


def slug(text: str, fallback: str = "imported") -> str:
    """An id for rotas.yaml/people.yaml: lowercase ASCII letters, digits and '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return out or fallback


def wall(t: time) -> str:
    return f"{t:%H:%M}"


def cadence_of(turn: timedelta) -> str | None:
    return CADENCES.get(turn)


def anchor(virtual_start: datetime, zone: str, cadence: str) -> tuple[str, str] | str:
    """(start date, handoff) for rotas.yaml from the instant the first participant takes over.

    Returns a reason (str) when the instant cannot be a handoff (seconds, or not on a whole minute).
    """
    local = to_local(virtual_start, zone)
    if local.second or local.microsecond:
        return f"the turn starts at {local:%H:%M:%S}; rotas.yaml hands over on whole minutes"
    handoff = wall(local.time()) if cadence == "daily" else f"{DAY_CODES[local.weekday()]} {wall(local.time())}"
    return local.date().isoformat(), handoff


def week_span_windows(start_day: int, start: time, length: timedelta) -> list[tuple[int, str]] | str:
    """A span of the week (start weekday 0=Monday, start time, length) as (weekday, window) coverage pieces.

    Returns a reason (str) when the span cannot be expressed (not whole minutes, or a whole week: no restriction).
    """
    seconds = int(length.total_seconds())
    if seconds <= 0 or seconds % 60 or start.second:
        return f"a span of {length} from {wall(start)}: rotas.yaml coverage windows are whole minutes"
    if seconds >= 7 * 86400:
        return "the span covers the whole week"
    start_min = start.hour * 60 + start.minute
    minutes = seconds // 60
    if minutes <= 24 * 60:  # one window on the start day, possibly ending the next day
        if minutes == 24 * 60 and start_min == 0:
            return [(start_day, "00:00-24:00")]
        return [(start_day, f"{wall(start)}-{_hm((start_min + minutes) % (24 * 60))}")]
    pieces: list[tuple[int, str]] = [(start_day, f"{wall(start)}-24:00" if start_min else "00:00-24:00")]
    left = minutes - (24 * 60 - start_min)
    day = (start_day + 1) % 7
    while left >= 24 * 60:
        pieces.append((day, "00:00-24:00"))
        left -= 24 * 60
        day = (day + 1) % 7
    if left:
        pieces.append((day, f"00:00-{_hm(left)}"))
    return pieces


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def coverage(pieces: list[tuple[int, str]]) -> list[dict[str, str]]:
    """Group (weekday, window) pieces into rotas.yaml coverage entries: one entry per window, days listed."""
    by_window: dict[str, list[int]] = {}
    for day, window in pieces:
        by_window.setdefault(window, []).append(day)
    out = []
    for window, days in by_window.items():
        days = sorted(set(days))
        label = "MO-SU" if len(days) == 7 else ",".join(DAY_CODES[d] for d in days)
        out.append({"days": label, "window": window})
    return out


def rotation(draft: "Draft", *, what: str, schedule: str, part: str, zone: str, participants: list[str],
             placed: tuple[str, str], cadence: str, fallback: str | None, pieces: list[tuple[int, str]],
             end: datetime | None, vendor: str, fallback_note: str = "") -> dict[str, Any] | None:
    """A draft rotation from one vendor rotation (a PagerDuty layer, an Opsgenie rotation), with what could not
    be carried over noted on the draft; None when it has nobody to rotate."""
    if not participants:
        draft.unmapped.append(Unmapped(what, "has no participants"))
        return None
    rid = slug(f"{schedule}-{part}")
    entry: dict[str, Any] = {"id": rid, "name": f"{schedule}: {part}", "timezone": zone,
                             "participants": participants, "start": placed[0], "handoff": placed[1],
                             "cadence": cadence, "deputies": "next_in_rotation", "fallback": fallback or participants[0]}
    if pieces:
        entry["coverage"] = coverage(pieces)
    if fallback is None:
        draft.unmapped.append(Unmapped(f"rotation {rid}", f"{vendor} schedules have no fallback manager{fallback_note}: "
                                       f"the draft uses {participants[0]}; set fallback"))
    if end is not None:
        draft.unmapped.append(Unmapped(what, f"ends {end.isoformat()}; rotas.yaml rotations have no end: remove the "
                                       "rotation then, or cover the time after it with overrides"))
    return entry
