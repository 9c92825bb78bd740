"""Incident facts: names checked against what the regulations and playbooks ask, values parsed from text.

Facts typed into Slack arrive as text; ``"true"``/``"yes"`` become true,
``"false"``/``"no"`` false, ``"600"`` the number 600, ``"a, b"`` stays text.
Values that are already typed (from the declare form or the CLI) are kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.incidents import collaborators
from bot.incidents.errors import InvalidRequest

_TRUE = {"true", "yes", "y"}
_FALSE = {"false", "no", "n"}


def known_facts(config: Any) -> dict[str, str]:
    facts = dict(collaborators.fact_catalog(config))
    for pb in config.all("playbook"):
        for name in pb.regulations.ask_facts:
            facts.setdefault(name, "")
    return facts


def parse_value(value: Any) -> Any:
    if not isinstance(value, str):
        return json.loads(json.dumps(value, default=str))  # only JSON-representable values are stored
    text = value.strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def normalise_fact(config: Any, name: str, value: Any) -> tuple[str, Any]:
    name = (name or "").strip()
    known = known_facts(config)
    if name not in known:
        raise InvalidRequest(f'unknown fact "{name}"; the regulations ask about: {", ".join(sorted(known)) or "none"}')
    parsed = parse_value(value)
    if parsed == "" or parsed is None:
        raise InvalidRequest(f'expected a value for fact "{name}", got nothing')
    return name, parsed


def normalise_facts(config: Any, facts: dict[str, Any]) -> dict[str, Any]:
    return dict(normalise_fact(config, k, v) for k, v in (facts or {}).items())
