"""Typed facts: what each fact the regulations ask about may hold, and reading a value against it.

Each regime declares its facts with a type::

    facts:
      personal_data_breach: {type: boolean, question: "Was personal data compromised?"}
      risk_level: {type: enum, values: [unlikely, risk, high], question: "Risk to people's rights"}
      affected_individuals: {type: number, question: "How many individuals are affected?"}
      entity_zone: {type: zone, question: "IANA zone of the main establishment"}
      member_state: {type: country, question: "Country code of the Member State"}
      residents: {type: counts, question: "Affected residents per US state", keys: [AL, AK, ...]}

A value is read against its type or refused with what was expected (the
allowed values, and a "did you mean" for a near miss); nothing is guessed.
An unreadable value is never stored, so it can never switch a duty off.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from bot.config.types import ConfigModel

FactType = Literal["boolean", "number", "enum", "zone", "country", "counts"]
TRUE_WORDS = ("true", "yes", "y")
FALSE_WORDS = ("false", "no", "n")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class FactValueError(ValueError):
    """A value that does not fit the fact's type; the text says what was expected."""


class FactSpec(ConfigModel):
    type: FactType = Field(description="boolean | number | enum | zone | country | counts")
    question: str = Field(min_length=1, description="the question a responder answers")
    values: list[str] | None = Field(default=None, description="enum: the allowed values")
    keys: list[str] | None = Field(default=None, description="counts: the allowed keys (e.g. US state codes)")
    minimum: float | None = Field(default=0, description="number: the smallest allowed value (default 0)")

    @model_validator(mode="after")
    def _shape(self) -> "FactSpec":
        if self.type == "enum" and not self.values:
            raise ValueError("expected values: [..] listing the allowed values of an enum fact, got none")
        if self.type != "enum" and self.values is not None:
            raise ValueError(f"values: only an enum fact lists allowed values, this one is {self.type}")
        if self.type != "counts" and self.keys is not None:
            raise ValueError(f"keys: only a counts fact lists allowed keys, this one is {self.type}")
        return self

    def describe(self) -> str:
        """What a valid value looks like, for error messages and help."""
        if self.type == "boolean":
            return "true or false"
        if self.type == "number":
            return "a number" + (f" of at least {_show(self.minimum)}" if self.minimum is not None else "")
        if self.type == "enum":
            return "one of " + ", ".join(self.values or [])
        if self.type == "zone":
            return 'an IANA time zone like "Europe/Berlin"'
        if self.type == "country":
            return 'a two-letter country code like "DE"'
        return 'counts per key like {"CA": 600, "TX": 12}' + (" (keys: " + ", ".join(self.keys) + ")" if self.keys else "")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def did_you_mean(word: str, choices: Any) -> str:
    """' (did you mean "x"?)' for a near miss among ``choices``, else ''."""
    close = difflib.get_close_matches(str(word).lower(), [str(c).lower() for c in choices], n=1, cutoff=0.6)
    if not close:
        return ""
    original = next(c for c in choices if str(c).lower() == close[0])
    return f' (did you mean "{original}"?)'


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise FactValueError(f"expected true or false (or yes/no), got {value!r}")


def _number(spec: FactSpec, value: Any) -> int | float:
    if isinstance(value, bool):
        raise FactValueError(f"expected {spec.describe()}, got {_show(value)}")
    if isinstance(value, str) and _NUMBER.match(value.strip().replace("_", "")):
        text = value.strip().replace("_", "")
        value = float(text) if "." in text else int(text)
    if not isinstance(value, (int, float)):
        raise FactValueError(f"expected {spec.describe()}, got {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise FactValueError(f"expected {spec.describe()}, got {_show(value)}")
    return value


def _enum(spec: FactSpec, value: Any) -> str:
    allowed = spec.values or []
    if isinstance(value, str):
        for option in allowed:
            if option.lower() == value.strip().lower():
                return option
    raise FactValueError(f"expected {spec.describe()}, got {_show(value)!r}{did_you_mean(_show(value), allowed)}")


def _zone(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        try:
            ZoneInfo(value.strip())
            return value.strip()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise FactValueError(f'expected an IANA time zone like "Europe/Berlin", got "{value}"')


def _country(value: Any) -> str:
    from bot.deadlines.calendars import check_country

    code = str(value).strip().upper() if isinstance(value, str) else ""
    try:
        check_country(code, None)
    except ValueError as exc:
        raise FactValueError(str(exc)) from None
    return code


def _counts(spec: FactSpec, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise FactValueError(f"expected {spec.describe()}, got {value!r}")
    out: dict[str, int] = {}
    keys = [k.upper() for k in spec.keys] if spec.keys else None
    for key, count in value.items():
        name = str(key).strip().upper()
        if keys is not None and name not in keys:
            raise FactValueError(f'unknown key "{key}"; expected one of {", ".join(keys)}{did_you_mean(name, keys)}')
        if keys is None and not re.fullmatch(r"[A-Z0-9_-]{1,16}", name):
            raise FactValueError(f'expected a short code as key like "CA", got "{key}"')
        number = _number(FactSpec(type="number", question="count"), count)
        if not float(number).is_integer():
            raise FactValueError(f'expected a whole number of people for "{name}", got {_show(number)}')
        out[name] = int(number)
    return out


def read_value(spec: FactSpec, value: Any) -> Any:
    """The value as the fact's type, or :class:`FactValueError` saying what was expected."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FactValueError(f"expected {spec.describe()}, got nothing")
    if spec.type == "boolean":
        return _boolean(value)
    if spec.type == "number":
        return _number(spec, value)
    if spec.type == "enum":
        return _enum(spec, value)
    if spec.type == "zone":
        return _zone(value)
    if spec.type == "country":
        return _country(value)
    return _counts(spec, value)


def check_facts(types: dict[str, FactSpec], facts: dict[str, Any], *, where: str = "") -> dict[str, Any]:
    """Every fact read against its type; the first unknown name or unreadable value raises :class:`FactValueError`."""
    out: dict[str, Any] = {}
    for raw_name, value in (facts or {}).items():
        name = str(raw_name).strip().lower()
        spec = types.get(name)
        if spec is None:
            raise FactValueError(f'{where}unknown fact "{raw_name}"{did_you_mean(name, sorted(types))}; '
                                 f"the regulations ask about: {', '.join(sorted(types)) or 'none'}")
        try:
            out[name] = read_value(spec, value)
        except FactValueError as exc:
            raise FactValueError(f"{where}fact {name}: {exc}") from None
    return out
