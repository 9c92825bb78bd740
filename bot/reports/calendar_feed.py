"""iCalendar feeds of on-call shifts, per person and per rotation, written with the ``icalendar`` library.

Events are in UTC with a UID that stays the same across exports (rotation,
person and the shift's real start, never a start clipped by the export
range), so a calendar app that re-reads the feed updates events instead of
duplicating them.  ``X-WR-TIMEZONE`` tells the app which zone to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from bot.clock import Clock, ensure_utc
from bot.oncall.schedule import Shift, deputies_for, on_call, shift_index, shifts
from bot.oncall.team import Team, team_of
from bot.oncall.wallclock import describe_local, local_date
from bot.reports.local_windows import day_span

PRODID = "-//incident-bot//on-call calendar//EN"
DEFAULT_DAYS = 90
UID_DOMAIN = "incident-bot"


@dataclass(frozen=True)
class FeedRange:
    first: date
    last: date


def default_range(clock: Clock, zone: str, days: int = DEFAULT_DAYS) -> FeedRange:
    """Today (in ``zone``, from the injected clock) .. today + ``days``."""
    today = local_date(clock.now(), zone)
    return FeedRange(today, today + timedelta(days=days))


class UnknownFeed(KeyError):
    """No such person or rotation in the configuration; the message names the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def requested_range(config, clock: Clock, *, person: str | None = None, rotation: str | None = None,
                    first: date | None = None, last: date | None = None) -> FeedRange:
    """The local days of a feed of ``person`` or ``rotation``: ``first`` .. ``last`` where given, else today (in the
    person's or the rotation's zone) .. +90 days, or ``first`` .. ``first`` + 90 days. :class:`UnknownFeed` when
    there is no such person or rotation."""
    team = team_of(config)
    try:
        zone = team.person(person).zone if person else team.rotations[rotation].timezone
    except KeyError:
        known = sorted(team.people) if person else sorted(team.rotations)
        raise UnknownFeed(f'unknown {"person" if person else "rotation"} "{person or rotation}"; '
                          f'known: {", ".join(known)}') from None
    default = default_range(clock, zone)
    return FeedRange(first or default.first,
                     last or (first + (default.last - default.first) if first else default.last))


def feed_of(config, feed: FeedRange, *, now: datetime, person: str | None = None,
            rotation: str | None = None) -> bytes:
    """The feed of ``person`` (:func:`person_feed`) or of ``rotation`` (:func:`rota_feed`): what the ``calendar``
    command writes and a live calendar link serves."""
    return person_feed(config, person, feed, now=now) if person else rota_feed(config, rotation, feed, now=now)


def shift_uid(sh: Shift) -> str:
    return f"{sh.rotation}-{sh.person}-{ensure_utc(sh.start):%Y%m%dT%H%M%SZ}@{UID_DOMAIN}"


def _whole_shifts(team: Team, rotation_id: str, start: datetime, end: datetime) -> list[Shift]:
    """Shifts overlapping [start, end), unclipped: materialized with a margin of one period each side."""
    margin = timedelta(days=team.rotations[rotation_id].period_days + 1)
    return [s for s in shifts(team, rotation_id, start - margin, end + margin) if s.end > start and s.start < end]


def _description(team: Team, sh: Shift, zone: str) -> str:
    rot = team.rotations[sh.rotation]
    on_duty = on_call(team, sh.rotation, sh.start)
    deputies = deputies_for(rot, shift_index(rot, sh.start), sh.person)
    before = on_call(team, sh.rotation, sh.start - timedelta(microseconds=1)).person
    after = on_call(team, sh.rotation, sh.end).person
    lines = [
        f"On call for {rot.name or rot.id} ({rot.id}) from {describe_local(sh.start, zone)} "
        f"to {describe_local(sh.end, zone)}.",
        f"Deputies: {', '.join(deputies) if deputies else 'none'}; fallback manager: {rot.fallback}.",
        f"Handoff: takes over from {before if before and before != sh.person else 'nobody (coverage starts)'}, "
        f"hands over to {after if after and after != sh.person else 'nobody (coverage ends)'}.",
    ]
    if sh.source != "rotation":
        lines.append(f"Changed by an {sh.source}.")
    if on_duty.rostered != sh.person:
        lines.append(f"Rostered by the cadence: {on_duty.rostered}.")
    return "\n".join(lines)


def _calendar(name: str, zone: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    cal.add("x-published-ttl", "PT6H")  # how often subscribers should re-read the feed
    return cal


def _event(team: Team, sh: Shift, zone: str, summary: str, stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", shift_uid(sh))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", ensure_utc(sh.start))
    ev.add("dtend", ensure_utc(sh.end))
    ev.add("summary", summary)
    ev.add("description", _description(team, sh, zone))
    ev.add("transp", "OPAQUE")
    return ev


def person_feed(config, person_id: str, feed: FeedRange, *, now: datetime) -> bytes:
    """Every shift of ``person_id`` in any rotation, over the person's local days ``feed``."""
    team = team_of(config)
    person = team.person(person_id)
    start, end = day_span(feed.first, feed.last, person.zone)
    cal = _calendar(f"On call: {person.name}", person.zone)
    found = [sh for rid in sorted(team.rotations) for sh in _whole_shifts(team, rid, start, end) if sh.person == person_id]
    for sh in sorted(found, key=lambda s: (s.start, s.rotation)):
        cal.add_component(_event(team, sh, person.zone, f"On call: {sh.rotation}", ensure_utc(now)))
    return cal.to_ical()


def rota_feed(config, rotation_id: str, feed: FeedRange, *, now: datetime) -> bytes:
    """Every shift of ``rotation_id`` over its local days ``feed``; each event names the person."""
    team = team_of(config)
    if rotation_id not in team.rotations:
        raise KeyError(f'unknown rotation "{rotation_id}"; rotations: {", ".join(sorted(team.rotations))}')
    rot = team.rotations[rotation_id]
    start, end = day_span(feed.first, feed.last, rot.timezone)
    cal = _calendar(f"On call: {rot.name or rot.id}", rot.timezone)
    for sh in _whole_shifts(team, rotation_id, start, end):
        name = team.person(sh.person).name
        cal.add_component(_event(team, sh, rot.timezone, f"On call: {rotation_id} ({name})", ensure_utc(now)))
    return cal.to_ical()
