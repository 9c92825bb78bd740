"""Incident facts: names and values checked against the types the regulations catalog declares.

A fact arrives as text from Slack or the command line, or already typed from
the declare form.  Its name must be one the regulations ask about (matched
case-insensitively); its value is read against the fact's declared type
(boolean, number, enum, zone, country, counts) or refused with the allowed
values and a "did you mean".  A counts fact can be set one key at a time
(``residents.CA`` = 600).  A value that cannot be read is never stored, so it
can never switch a duty off.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.deadlines.fact_types import FALSE_WORDS, TRUE_WORDS, FactSpec, FactValueError, did_you_mean, read_value
from bot.incidents import collaborators
from bot.incidents.errors import InvalidRequest


def known_facts(config: Any) -> dict[str, str]:
    facts = dict(collaborators.fact_catalog(config))
    for pb in config.all("playbook"):
        for name in pb.regulations.ask_facts:
            facts.setdefault(name, "")
    return facts


def parse_value(value: Any) -> Any:
    """Text to the plainest value it spells (true/false, a number, else the text); typed values are kept.
    Used where no type is known; a declared type reads the original text (:func:`normalise_fact`)."""
    if not isinstance(value, str):
        return json.loads(json.dumps(value, default=str))  # only JSON-representable values are stored
    text = value.strip()
    if text.lower() in TRUE_WORDS:
        return True
    if text.lower() in FALSE_WORDS:
        return False
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def _typed(config: Any) -> dict[str, FactSpec]:
    return collaborators.fact_types(config)


def normalise_fact(config: Any, name: str, value: Any, current: Any = None) -> tuple[str, Any]:
    """``(fact name, value)`` read against the fact's type, or :class:`InvalidRequest` saying what is allowed.
    ``residents.CA`` with ``current`` (the recorded counts) gives the whole mapping with CA set."""
    raw = (name or "").strip()
    base, _, key = raw.partition(".")
    base = base.lower()
    known = known_facts(config)
    if base not in known:
        raise InvalidRequest(f'unknown fact "{raw}"{did_you_mean(base, sorted(known))}; the regulations ask about: '
                             f'{", ".join(sorted(known)) or "none"}')
    spec = _typed(config).get(base)
    if spec is None:  # named by a playbook but not declared by any regime: no type to read it with
        parsed = parse_value(value)
        if parsed == "" or parsed is None:
            raise InvalidRequest(f'expected a value for fact "{base}", got nothing')
        return base, parsed
    if key and spec.type != "counts":
        raise InvalidRequest(f'fact {base} is {spec.describe()}; only counts facts take a key like "{base}.CA"')
    if key:
        value = {**(current if isinstance(current, dict) else {}), key: value}
    elif spec.type == "counts" and isinstance(value, str) and value.strip()[:1] == "{":
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidRequest(f'fact {base}: expected JSON counts like {{"CA": 600}}, got {value!r}') from None
    try:
        return base, read_value(spec, value)
    except FactValueError as exc:
        raise InvalidRequest(f"fact {base}: {exc}") from None


def normalise_facts(config: Any, facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (facts or {}).items():
        base, parsed = normalise_fact(config, name, value, current=out.get(str(name).strip().lower().partition(".")[0]))
        out[base] = parsed
    return out
