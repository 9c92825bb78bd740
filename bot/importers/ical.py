"""iCalendar feeds of on-call shifts (one VEVENT per shift), read with the ``icalendar`` library.

A feed has no rotation in it, only shifts, so the rotation is inferred: the
most common shift length must be a day, a week or a fortnight, those shifts
must start at the same local time (and weekday), and the people are taken in
the order they first appear.  A shift that does not follow that order becomes
an override of the person the rotation would have put there; a turn with no
shift in the feed, a recurring event, or a feed with no regular pattern is
listed as not mapped.  The person is the ATTENDEE (CN or e-mail), else the
name in the SUMMARY (``On call: Anna``, ``On call: platform (Anna Berger)``).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from icalendar import Calendar

from bot.importers.draft import Draft, Unmapped, anchor, cadence_of, slug
from bot.importers.people_match import PeopleMatcher
from bot.oncall.wallclock import local_naive_to_utc, to_local

VENDOR = "iCalendar"


def _instant(value: Any, zone: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else local_naive_to_utc(value, zone)
    if isinstance(value, date):
        return local_naive_to_utc(datetime.combine(value, datetime.min.time()), zone)
    raise ValueError(f"expected a date or date-time, got {value!r}")


def _who(event: Any) -> tuple[str, str]:
    """(name, e-mail) of the person on call in the event."""
    attendee = event.get("attendee")
    if isinstance(attendee, list):
        attendee = attendee[0] if attendee else None
    if attendee is not None:
        email = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:")
        return str(attendee.params.get("CN", "")), email
    summary = str(event.get("summary", "")).strip()
    inside = re.search(r"\(([^()]+)\)\s*$", summary)
    if inside:
        return inside.group(1).strip(), ""
    return summary.split(":", 1)[-1].strip(), ""


def read(feeds: list[tuple[str, bytes]], matcher: PeopleMatcher, *, fallback: str | None, zone: str | None) -> Draft:
    draft = Draft(VENDOR)
    for name, raw in feeds:
        _feed(name, Calendar.from_ical(raw), draft, matcher, fallback, zone)
    return draft


def _feed(name: str, cal: Calendar, draft: Draft, matcher: PeopleMatcher, fallback: str | None,
          zone_given: str | None) -> None:
    title = str(cal.get("x-wr-calname") or name)
    zone = zone_given or (str(cal.get("x-wr-timezone")) if cal.get("x-wr-timezone") else "UTC")
    what = f'{VENDOR} feed "{title}"'
    shifts: list[tuple[datetime, datetime, str]] = []
    for ev in cal.walk("VEVENT"):
        label = f'{what}, event "{ev.get("summary", "")}" {ev.get("dtstart").dt if ev.get("dtstart") else ""}'
        if ev.get("rrule"):
            draft.unmapped.append(Unmapped(label, "a recurring event (RRULE); export the feed with one event per "
                                           "shift, or write the rotation by hand"))
            continue
        try:
            start = _instant(ev.get("dtstart").dt, zone)
            end = _instant(ev.get("dtend").dt, zone) if ev.get("dtend") else start + ev.get("duration").dt
        except (AttributeError, ValueError) as exc:
            draft.unmapped.append(Unmapped(label, f"no readable DTSTART/DTEND ({exc})"))
            continue
        person_name, email = _who(ev)
        pid = matcher.person(draft, vendor_id=email or person_name, name=person_name, email=email, vendor=VENDOR)
        if pid is not None:
            shifts.append((start, end, pid))
    shifts.sort()
    if not shifts:
        draft.unmapped.append(Unmapped(what, "no shift events that could be read"))
        return
    turn, _ = Counter(e - s for s, e, _ in shifts).most_common(1)[0]
    cadence = cadence_of(turn)
    first = next(s for s, e, _ in shifts if e - s == turn)
    placed = anchor(first, zone, cadence) if cadence else None
    if cadence is None or isinstance(placed, str):
        for s, e, p in shifts:
            draft.unmapped.append(Unmapped(f"{what}, {p} {s.isoformat()} to {e.isoformat()}",
                                           "no daily, weekly or fortnightly pattern in the feed (the most common shift "
                                           f"is {turn}): write the rotation by hand" if cadence is None else placed))
        return
    regular = [(s, e, p) for s, e, p in shifts if e - s == turn and (s - first) % turn == timedelta(0)]
    order: list[str] = []
    for _, _, p in regular:
        if p in order:
            break
        order.append(p)
    rid = slug(title, "imported")
    draft.rotations.append({"id": rid, "name": title, "timezone": zone, "participants": order, "start": placed[0],
                            "handoff": placed[1], "cadence": cadence, "deputies": "next_in_rotation",
                            "fallback": fallback or order[0]})
    if fallback is None:
        draft.unmapped.append(Unmapped(f"rotation {rid}", f"a feed has no fallback manager: the draft uses {order[0]}; "
                                       "set fallback"))
    expected = lambda at: order[((at - first) // turn) % len(order)]  # noqa: E731 - the inferred rotation
    seen: set[int] = set()
    for s, e, p in shifts:
        slot_start = first + ((s - first) // turn) * turn
        slot_end = slot_start + turn
        if e > slot_end:
            draft.unmapped.append(Unmapped(f"{what}, {p} {s.isoformat()} to {e.isoformat()}", "crosses a handoff of "
                                           "the inferred rotation; split it into one override per turn"))
            continue
        if (s, e) == (slot_start, slot_end):
            seen.add((s - first) // turn)
        if expected(s) != p:
            local = to_local(s, zone)
            draft.overrides.append({"rotation": rid, "person": p, "from": local.isoformat(),
                                    "to": to_local(e, zone).isoformat(), "replaces": expected(s),
                                    "reason": f"imported from {title}"})
    last = max(e for _, e, _ in shifts)
    n = 0
    while first + n * turn < last:
        if n not in seen and not any(s < first + (n + 1) * turn and e > first + n * turn for s, e, _ in shifts):
            at = first + n * turn
            draft.unmapped.append(Unmapped(f"{what}, turn {to_local(at, zone):%Y-%m-%d %H:%M}",
                                           f"no shift in the feed; the drafted rotation puts {expected(at)} on call: "
                                           "add an override if someone else was, or coverage if nobody should be"))
        n += 1
    if any(to_local(s, zone).utcoffset() != to_local(first, zone).utcoffset() for s, _, _ in regular):
        draft.notes.append(f"{what}: shifts cross a DST change; the draft hands over at the same local time in {zone}")
