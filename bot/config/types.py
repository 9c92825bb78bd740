"""Base model and value types shared by every configuration file.

Every model derives from :class:`ConfigModel`: unknown keys are errors (a typo
such as ``ack_timout`` must never be ignored) and values are not coerced from
one kind to another behind the manager's back.

Value types parse the short forms a manager writes and fail with a sentence
that says what was expected, e.g. ``expected a weekday and time like
"MO 09:00", got "monday"``.  Validators raise :class:`ValueError` whose text
starts with ``expected``; the loader adds the file, line and path.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_ALIASES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6,
}


class ConfigModel(BaseModel):
    """Base of all configuration models: strict about keys, lax only where harmless."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, str_strip_whitespace=True)


def _found(value: Any) -> str:
    from bot.config.yaml_source import describe_value

    return describe_value(value)


# --- durations -------------------------------------------------------------

_DURATION_SHORT = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")
_DURATION_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(value: Any) -> timedelta:
    """A duration of whole minutes, at least one.  The bot pages, escalates, nudges and checks cadences
    by the minute (a page stores its acknowledgement timeout in minutes), so "20s" or "90s" would
    silently run as 0 or 1 minute: they are refused with the reason instead."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        match = _DURATION_ISO.match(text.upper()) if text.upper().startswith("P") else _DURATION_SHORT.match(text.lower())
        if match and any(match.groups()):
            d, h, m, s = (int(g) if g else 0 for g in match.groups())
            duration = timedelta(days=d, hours=h, minutes=m, seconds=s)
            if duration < timedelta(minutes=1) or duration % timedelta(minutes=1):
                raise ValueError(f"expected a duration of at least one minute in whole minutes, got {_found(value)}: "
                                 "pages, escalations, nudges and status cadences are counted in minutes; write "
                                 '"1m" or more (e.g. "5m", "1h30m")')
            return duration
    raise ValueError(f'expected a duration like "5m", "1h30m", "2d" or "PT5M", got {_found(value)}')


def _duration_json(td: timedelta) -> str:
    total = int(td.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return "".join(parts) or "0m"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(_duration_json, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(P.*|(\d+d)?(\d+h)?(\d+m(in)?)?(\d+s)?)$",
                    "description": 'duration like "5m", "1h30m", "2d" or ISO "PT5M"'}),
]


# --- wall-clock times --------------------------------------------------------

_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_wall_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour == 24 and minute == 0:
                return time(23, 59, 59, 999999)  # "24:00" = end of day
            if hour < 24:
                return time(hour, minute)
    raise ValueError(f'expected a local time like "09:00" (24-hour clock), got {_found(value)}')


WallTime = Annotated[
    time,
    BeforeValidator(parse_wall_time),
    PlainSerializer(lambda t: "24:00" if t == time(23, 59, 59, 999999) else t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^([01]?\d|2[0-4]):[0-5]\d$", "description": 'local time "HH:MM"'}),
]


def parse_weekday(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in _DAY_ALIASES:
        return _DAY_ALIASES[value.strip().lower()]
    raise ValueError(f'expected a weekday like "MO" or "mon", got {_found(value)}')


Weekday = Annotated[
    int,
    BeforeValidator(parse_weekday),
    PlainSerializer(lambda d: WEEKDAYS[d], return_type=str),
    WithJsonSchema({"type": "string", "enum": list(WEEKDAYS) + [k for k in _DAY_ALIASES]}),
]


_WEEKDAY_TIME = re.compile(r"^([A-Za-z]{2,3})\s+(\d{1,2}:\d{2})$")


def parse_weekday_time(value: Any) -> tuple[int, time]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, str):
        match = _WEEKDAY_TIME.match(value.strip())
        if match and match.group(1).lower() in _DAY_ALIASES:
            try:
                return _DAY_ALIASES[match.group(1).lower()], parse_wall_time(match.group(2))
            except ValueError:
                pass
    raise ValueError(f'expected a weekday and time like "MO 09:00", got {_found(value)}')


# --- time zones, dates, instants -------------------------------------------------


def parse_timezone(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        name = value.strip()
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
        lowered = {z.lower(): z for z in available_timezones()}
        hint = lowered.get(name.lower())
        suffix = f' (did you mean "{hint}"?)' if hint else ""
        raise ValueError(f'expected an IANA time zone like "Europe/Berlin", got {_found(value)}{suffix}')
    raise ValueError(f'expected an IANA time zone like "Europe/Berlin", got {_found(value)}')


TimeZoneName = Annotated[
    str,
    BeforeValidator(parse_timezone),
    WithJsonSchema({"type": "string", "description": 'IANA time zone like "Europe/Berlin"'}),
]


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f'expected a date like "2026-12-24" without a time, got {_found(str(value))}')
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f'expected a date like "2026-12-24", got {_found(value)}')


Date = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]


_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_.\-]*")  # compiled once: every id of every file is checked
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def _require_identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"expected an id of lowercase letters, digits, '-', '_' or '.', starting with a letter or digit, got {_found(value)}"
        )
    return value


Identifier = Annotated[str, AfterValidator(_require_identifier)]


def _require_slack_user(value: str) -> str:
    if not _SLACK_USER.fullmatch(value):
        raise ValueError(f'expected a Slack user id like "U012AB3CD", got {_found(value)}')
    return value


SlackUserId = Annotated[str, AfterValidator(_require_slack_user)]
