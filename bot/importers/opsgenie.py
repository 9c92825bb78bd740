"""Opsgenie schedules as the REST API returns them (``GET /v2/schedules/{id}?expand=rotation``).

``data.rotations[]`` each have ``startDate``, optional ``endDate``, ``type``
(``daily``, ``weekly``, ``hourly``) and ``length`` (turns of ``length`` units),
``participants`` (``user`` with ``username``, ``team``, ``escalation`` or
``none``) and an optional ``timeRestriction`` (``time-of-day`` with one
``restriction``, or ``weekday-and-time-of-day`` with ``restrictions``, each a
span from ``startDay`` ``startHour:startMin`` to ``endDay`` ``endHour:endMin``),
in the schedule's ``timezone``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.importers.draft import Draft, Unmapped, anchor, cadence_of, rotation, week_span_windows
from bot.importers.people_match import PeopleMatcher

VENDOR = "Opsgenie"
UNITS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _span(startday: int, sh: int, sm: int, endday: int, eh: int, em: int) -> list[tuple[int, str]] | str:
    start = timedelta(days=startday, hours=sh, minutes=sm)
    end = timedelta(days=endday, hours=eh, minutes=em)
    length = (end - start) % timedelta(days=7) or timedelta(days=7)
    return week_span_windows(startday, time(sh, sm), length)


def _restrictions(tr: dict[str, Any]) -> list[tuple[int, str]] | str:
    kind = tr.get("type")
    try:
        if kind == "time-of-day":
            r = tr["restriction"]
            one = _span(0, r["startHour"], r["startMin"], 0, r["endHour"], r["endMin"])
            if isinstance(one, str) or len(one) != 1:
                return one if isinstance(one, str) else []  # a whole day every day: no restriction
            return [(d, one[0][1]) for d in range(7)]
        if kind == "weekday-and-time-of-day":
            pieces: list[tuple[int, str]] = []
            for r in tr["restrictions"]:
                found = _span(WEEKDAYS.index(r["startDay"].lower()), r["startHour"], r["startMin"],
                              WEEKDAYS.index(r["endDay"].lower()), r["endHour"], r["endMin"])
                if isinstance(found, str):
                    return found
                pieces += found
            return pieces
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"an unreadable timeRestriction ({exc}): {tr}"
    return f'a timeRestriction of type "{kind}" (known: time-of-day, weekday-and-time-of-day)'


def _rotation(schedule: dict[str, Any], rot: dict[str, Any], zone: str, draft: Draft, matcher: PeopleMatcher,
              fallback: str | None, now: datetime) -> dict[str, Any] | None:
    what = f'{VENDOR} rotation "{rot.get("name") or rot.get("id")}" ({rot.get("id")}) of schedule "{schedule.get("name")}"'
    end = _instant(rot.get("endDate"))
    if end is not None and end <= now:
        draft.unmapped.append(Unmapped(what, f"ended {end.isoformat()}; not imported"))
        return None
    unit = UNITS.get(rot.get("type", ""))
    turn = unit * int(rot.get("length") or 1) if unit else None
    cadence = cadence_of(turn) if turn else None
    if cadence is None:
        draft.unmapped.append(Unmapped(what, f'turns of {rot.get("length") or 1} x {rot.get("type")}; rotas.yaml turns '
                                       "are daily, weekly or fortnightly: model it with several rotations and coverage "
                                       "windows, or with overrides"))
        return None
    start = _instant(rot.get("startDate"))
    placed = anchor(start, zone, cadence) if start else "no startDate"
    if isinstance(placed, str):
        draft.unmapped.append(Unmapped(what, placed))
        return None
    pieces: list[tuple[int, str]] = []
    if rot.get("timeRestriction"):
        found = _restrictions(rot["timeRestriction"])
        if isinstance(found, str):
            draft.unmapped.append(Unmapped(what, f"{found}; rotas.yaml coverage cannot express it"))
            return None
        pieces = found
    participants = []
    for i, p in enumerate(rot.get("participants") or []):
        if p.get("type") != "user":
            draft.unmapped.append(Unmapped(what, f'participant {i + 1} is a "{p.get("type")}" '
                                           f'{p.get("name") or ""}; rotas.yaml rotates people only (an empty turn or '
                                           "a team has no equivalent): rotation not imported"))
            return None
        pid = matcher.person(draft, vendor_id=p.get("id", ""), email=p.get("username", ""),
                             name=p.get("name", ""), vendor=VENDOR)
        if pid is None:
            return None
        participants.append(pid)
    return rotation(draft, what=what, schedule=schedule.get("name", "schedule"), part=rot.get("name") or rot.get("id"),
                    zone=zone, participants=participants, placed=placed, cadence=cadence, fallback=fallback,
                    pieces=pieces, end=end, vendor=VENDOR)


def read(documents: list[dict[str, Any]], matcher: PeopleMatcher, *, fallback: str | None, now: datetime) -> Draft:
    draft = Draft(VENDOR)
    for doc in documents:
        schedule = doc.get("data", doc)
        zone = schedule.get("timezone") or "UTC"
        rotations = schedule.get("rotations")
        if not rotations:
            draft.unmapped.append(Unmapped(f'{VENDOR} schedule "{schedule.get("name")}"', "has no rotations (export "
                                           "it with GET /v2/schedules/{id}?expand=rotation)"))
            continue
        mapped = [r for r in (_rotation(schedule, rot, zone, draft, matcher, fallback, now) for rot in rotations) if r]
        draft.rotations += mapped
        if len(mapped) > 1:
            draft.notes.append(f'{VENDOR} rotations of "{schedule.get("name")}" are all on call at once where their '
                               "time restrictions overlap, as in rotas.yaml; check that they do not overlap")
    return draft
