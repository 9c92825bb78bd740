"""PagerDuty schedules as the REST API returns them (``GET /schedules/{id}``, ``GET /schedules/{id}/overrides``).

A schedule has layers; each layer is a rotation: ``users`` in order, a turn of
``rotation_turn_length_seconds`` starting at ``rotation_virtual_start``,
optional ``restrictions`` (``daily_restriction`` / ``weekly_restriction`` with
``start_time_of_day``, ``duration_seconds`` and ``start_day_of_week`` 1 = Monday)
in the schedule's ``time_zone``.  Each layer becomes one rotation; layers that
rotas.yaml cannot express are listed with the reason.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.importers.draft import Draft, Unmapped, anchor, cadence_of, rotation, week_span_windows
from bot.importers.people_match import PeopleMatcher

VENDOR = "PagerDuty"


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _restriction_pieces(r: dict[str, Any]) -> list[tuple[int, str]] | str:
    kind = r.get("type")
    try:
        start = time.fromisoformat(r["start_time_of_day"])
        length = timedelta(seconds=int(r["duration_seconds"]))
    except (KeyError, TypeError, ValueError):
        return f"a restriction without a readable start_time_of_day and duration_seconds: {r}"
    if kind == "daily_restriction":
        if length >= timedelta(days=1):
            return []  # all day, every day: no restriction
        one = week_span_windows(0, start, length)
        return one if isinstance(one, str) else [(d, one[0][1]) for d in range(7)]
    if kind == "weekly_restriction":
        day = r.get("start_day_of_week")
        if not isinstance(day, int) or not 1 <= day <= 7:
            return f"a weekly restriction without start_day_of_week 1..7: {r}"
        return week_span_windows(day - 1, start, length)
    return f'a restriction of type "{kind}" (known: daily_restriction, weekly_restriction)'


def _layer(schedule: dict[str, Any], layer: dict[str, Any], zone: str, draft: Draft, matcher: PeopleMatcher,
           fallback: str | None, now: datetime) -> dict[str, Any] | None:
    what = f'{VENDOR} layer "{layer.get("name") or layer.get("id")}" ({layer.get("id")}) of schedule "{schedule.get("name")}"'
    end = _instant(layer.get("end"))
    if end is not None and end <= now:
        draft.unmapped.append(Unmapped(what, f"ended {end.isoformat()}; not imported (it no longer puts anyone on call)"))
        return None
    turn = timedelta(seconds=int(layer.get("rotation_turn_length_seconds") or 0))
    cadence = cadence_of(turn)
    if cadence is None:
        hours = turn.total_seconds() / 3600
        draft.unmapped.append(Unmapped(what, f"turns of {hours:g} h; rotas.yaml turns are daily, weekly or fortnightly: "
                                       "model it as several rotations with coverage windows, or with overrides"))
        return None
    start = _instant(layer.get("rotation_virtual_start"))
    placed = anchor(start, zone, cadence) if start else "no rotation_virtual_start"
    if isinstance(placed, str):
        draft.unmapped.append(Unmapped(what, placed))
        return None
    pieces: list[tuple[int, str]] = []
    for r in layer.get("restrictions") or []:
        found = _restriction_pieces(r)
        if isinstance(found, str):
            draft.unmapped.append(Unmapped(what, f"{found}; rotas.yaml coverage cannot express it"))
            return None
        pieces += found
    participants = []
    for entry in layer.get("users") or []:
        user = entry.get("user", entry)
        pid = matcher.person(draft, vendor_id=user.get("id", ""), name=user.get("summary") or user.get("name", ""),
                             email=user.get("email", ""), vendor=VENDOR)
        if pid is None:
            draft.unmapped.append(Unmapped(what, "a participant could not be placed (see above); layer not imported"))
            return None
        participants.append(pid)
    return rotation(draft, what=what, schedule=schedule.get("name", "schedule"), part=layer.get("name") or layer.get("id"),
                    zone=zone, participants=participants, placed=placed, cadence=cadence, fallback=fallback,
                    pieces=pieces, end=end, vendor=VENDOR, fallback_note=" (escalation policies hold that)")


def _schedule(schedule: dict[str, Any], draft: Draft, matcher: PeopleMatcher, fallback: str | None,
              now: datetime) -> None:
    zone = schedule.get("time_zone") or "UTC"
    layers = schedule.get("schedule_layers") or []
    if not layers:
        draft.unmapped.append(Unmapped(f'{VENDOR} schedule "{schedule.get("name")}"', "has no schedule_layers "
                                       "(export it with GET /schedules/{id}, which includes them)"))
    mapped = [r for r in (_layer(schedule, layer, zone, draft, matcher, fallback, now) for layer in layers) if r]
    draft.rotations += mapped
    if len(mapped) > 1:
        draft.notes.append(f'{VENDOR} layers of "{schedule.get("name")}" stack (a higher layer wins where it has '
                           f"someone); rotas.yaml has no layers, so {', '.join(r['id'] for r in mapped)} are separate "
                           "rotations that are all on call where they overlap: narrow them with coverage windows")


def _overrides(items: list[dict[str, Any]], draft: Draft, matcher: PeopleMatcher) -> None:
    if len(draft.rotations) != 1:
        for o in items:
            draft.unmapped.append(Unmapped(f"{VENDOR} override {o.get('id')} ({o.get('start')} to {o.get('end')})",
                                           "an overrides file goes with one schedule of one mapped layer; import it "
                                           "together with that schedule"))
        return
    rotation = draft.rotations[0]
    for o in items:
        user = o.get("user") or {}
        pid = matcher.person(draft, vendor_id=user.get("id", ""), name=user.get("summary", ""), vendor=VENDOR)
        if pid is None:
            continue
        draft.overrides.append({"rotation": rotation["id"], "person": pid, "from": o["start"], "to": o["end"],
                                "reason": f"imported {VENDOR} override {o.get('id', '')}".strip()})


def read(documents: list[dict[str, Any]], matcher: PeopleMatcher, *, fallback: str | None, now: datetime) -> Draft:
    """Schedules (``{"schedule": …}`` or ``{"schedules": […]}``) first, then overrides (``{"overrides": […]}``)."""
    draft = Draft(VENDOR)
    for doc in documents:
        for schedule in ([doc["schedule"]] if "schedule" in doc else doc.get("schedules", [])):
            _schedule(schedule, draft, matcher, fallback, now)
    for doc in documents:
        if "overrides" in doc:
            _overrides(doc["overrides"], draft, matcher)
    return draft


def recognise(doc: Any) -> bool:
    return isinstance(doc, dict) and any(k in doc for k in ("schedule", "schedules", "overrides"))
