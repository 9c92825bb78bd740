"""Reading trigger and submission times typed by people.

Legal clocks start at an instant, so an input must name one instant:

* ``2026-03-29T02:30:00+02:00`` / ``...Z``: an offset makes it exact (preferred);
* ``2026-03-29T02:30[Europe/Berlin]`` or a zone passed separately: a local time is
  accepted only when it exists exactly once in that zone.  A time in the autumn
  repeated hour is ambiguous, one in the spring gap does not exist: both are
  rejected with the two candidate instants or the gap spelled out;
* a local time with no offset and no zone is rejected.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_BRACKET = re.compile(r"^(?P<local>[^\[\]]+)\[(?P<zone>[^\[\]]+)\]$")


def parse_instant_input(text: str, zone: str | None = None) -> datetime:
    """Parse an ISO 8601 time; return aware UTC. Raises ValueError saying what was wrong and how to fix it."""
    raw = (text or "").strip()
    match = _BRACKET.match(raw)
    if match:
        raw, zone = match.group("local").strip(), match.group("zone").strip()
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValueError(f'expected an ISO 8601 time like "2026-03-27T10:00:00+01:00", got "{text}"') from None
    if value.tzinfo is not None:
        if match:
            raise ValueError(f'"{text}": give either a UTC offset or a [zone], not both')
        return value.astimezone(timezone.utc)
    if not zone:
        raise ValueError(f'"{text}" has no UTC offset: add one (e.g. "+01:00" or "Z") or name the zone '
                         f'(e.g. "{raw}[Europe/Berlin]") so the instant is unambiguous')
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'expected an IANA time zone like "Europe/Berlin", got "{zone}"') from None
    return local_to_utc(value, tz)


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time in ``zone`` as UTC, refusing times that are ambiguous or do not exist."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    a, b = first.astimezone(timezone.utc), second.astimezone(timezone.utc)
    if a != b:
        # Either a repeated hour (both round-trip) or a gap (neither round-trips to the same wall time)
        exists = first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == naive
        if exists:
            early, late = sorted((a, b))
            raise ValueError(
                f"{naive:%Y-%m-%d %H:%M} is ambiguous in {zone.key}: the clocks went back, so it happened twice "
                f"({_utc(early)} and {_utc(late)}); give the UTC offset, e.g. "
                f"\"{early.astimezone(zone).isoformat()}\" or \"{late.astimezone(zone).isoformat()}\"")
        before = (naive - timedelta(hours=3)).replace(tzinfo=zone)
        raise ValueError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks went forward and skipped it "
            f"(offset {before.strftime('%z')[:3]}:{before.strftime('%z')[3:]} before the change); "
            "check the time and give it with its UTC offset")
    return a


def _utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")
