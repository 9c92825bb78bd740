"""Parsing the after-the-incident subcommands of ``/incident``: mitigated, milestone, followup, review.

Pure: no Slack, no database.  Errors are :class:`ValueError` with what was
wrong; :mod:`bot.slack.command_parser` adds the usage line.  Quoted text may use
straight or typographic quotes (Slack clients turn ``"`` into ``“ ”``).
"""

from __future__ import annotations

import re
import shlex
from datetime import date, datetime

USAGE = {
    "mitigated": "/incident mitigated [what stopped the impact]",
    "followup": '/incident followup add "<what>" owner @person due <YYYY-MM-DD> cost <estimate> impact "<plain words>" '
                "likelihood <rare|unlikely|possible|likely|almost-certain> [horizon 12m] [level <negligible..severe>]"
                "   (also: followup start|done F-3, followup defer F-3 until <YYYY-MM-DD> because <reason>, "
                "followup accept F-3 because <reason>, followup reopen F-3 because <reason>; "
                "/incident followup alone opens a form)",
    "review": "/incident review   (draft it from the verified timeline; /incident review done [link])",
    "milestone": '/incident milestone <detected|acknowledged|mitigated|resolved> <time with offset, e.g. '
                 '2026-03-02T09:30+01:00> reason "<why>"',
}
MILESTONES = ("detected", "acknowledged", "mitigated", "resolved")
ADD_FIELDS = ("owner", "due", "cost", "impact", "likelihood", "horizon", "level")
REQUIRED = ("owner", "due", "cost", "impact", "likelihood")
CHANGES = ("start", "done", "defer", "accept", "reopen")
_FOLLOWUP = re.compile(r"^(?:f-)?(\d+)$", re.IGNORECASE)
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})


def _day(text: str, what: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f'{what}: expected a day like 2027-03-31, got "{text}"') from None


def _followup_id(text: str) -> str:
    match = _FOLLOWUP.match(text)
    if match is None:
        raise ValueError(f'expected a follow-up like F-3, got "{text}"')
    return match.group(1)


def parse_add(words: list[str]) -> dict[str, str]:
    """``"<what>" owner @x due D cost ... impact "..." likelihood L [horizon H] [level I]``."""
    if not words:
        raise ValueError("Say what is to be done, in quotes.")
    args: dict[str, str] = {"title": words[0]}
    i = 1
    while i < len(words):
        name = words[i].lower()
        if name not in ADD_FIELDS:
            raise ValueError(f'Unexpected "{words[i]}"; expected one of {", ".join(ADD_FIELDS)} (quote text with '
                             "spaces).")
        if name in args:
            raise ValueError(f'"{name}" is given twice.')
        values = []
        i += 1
        while i < len(words) and words[i].lower() not in ADD_FIELDS:
            values.append(words[i])
            i += 1
        if not values:
            raise ValueError(f'"{name}" needs a value.')
        args[name] = " ".join(values)
    missing = [f for f in REQUIRED if f not in args]
    if missing:
        raise ValueError(f"Missing: {', '.join(missing)}.")
    args["due"] = _day(args["due"], "due")
    return args


def parse_change(action: str, words: list[str]) -> dict[str, str]:
    if not words:
        raise ValueError(f"Say which follow-up to {action}, e.g. F-3.")
    args = {"action": action, "followup": _followup_id(words[0])}
    rest = " ".join(words[1:])
    if action == "defer":
        match = re.match(r"^until\s+(\S+)\s+because\s+(.+)$", rest, re.IGNORECASE | re.DOTALL)
        if match is None:
            raise ValueError("Deferring needs a date and a reason: defer F-3 until 2027-03-31 because <reason>.")
        args["until"], args["reason"] = _day(match.group(1), "until"), match.group(2).strip()
    elif action in ("accept", "reopen"):
        match = re.match(r"^because\s+(.+)$", rest, re.IGNORECASE | re.DOTALL)
        if match is None:
            raise ValueError(f"{action.capitalize()} needs a reason: {action} F-3 because <reason>.")
        args["reason"] = match.group(1).strip()
    elif rest:
        raise ValueError(f'"{action}" takes only the follow-up, e.g. F-3.')
    return args


def _instant(text: str) -> str:
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f'"{text}" is not a time; write ISO 8601 with its UTC offset, e.g. 2026-03-02T09:30+01:00.') \
            from None
    if parsed.tzinfo is None:
        raise ValueError(f'"{text}" has no UTC offset; add one (e.g. "+01:00" or "Z") so the instant is unambiguous.')
    return parsed.isoformat()


def parse_milestone(rest_text: str) -> dict[str, str]:
    """``<milestone> <time with offset> reason "<why>"``: a correction recorded on the chain with its reason."""
    try:
        words = shlex.split(rest_text.translate(_QUOTES))
    except ValueError as exc:
        raise ValueError(f"Unbalanced quotes ({exc}).") from None
    if len(words) < 2:
        raise ValueError("Say which milestone and when it happened.")
    name = words[0].lower()
    if name not in MILESTONES:
        raise ValueError(f'Unknown milestone "{words[0]}"; say {", ".join(MILESTONES)} ("closed" is set by closing).')
    at = _instant(words[1])
    if len(words) < 4 or words[2].lower() not in ("reason", "because"):
        raise ValueError('Say why, after "reason": a milestone set by hand changes what the metrics and the review '
                         "say happened.")
    return {"milestone": name, "at": at, "reason": " ".join(words[3:])}


def parse(name: str, rest_text: str) -> dict[str, str]:
    """The arguments of ``mitigated``, ``milestone``, ``followup`` or ``review`` (``rest_text``: the text after
    the name)."""
    if name == "milestone":
        return parse_milestone(rest_text)
    if name == "mitigated":
        return {"note": rest_text.strip()}
    if name == "review":
        words = rest_text.split()
        if not words:
            return {"action": "draft"}
        if words[0].lower() == "done" and len(words) <= 2:
            return {"action": "done", "link": words[1] if len(words) == 2 else ""}
        raise ValueError('Write "/incident review" to draft it, or "/incident review done [link]".')
    try:
        words = shlex.split(rest_text.translate(_QUOTES))
    except ValueError as exc:
        raise ValueError(f"Unbalanced quotes ({exc}).") from None
    if not words:
        return {"action": "form"}  # the form with the same fields as "add"
    action = words[0].lower()
    if action == "add":
        return {"action": "add", **parse_add(words[1:])}
    if action in CHANGES:
        return parse_change(action, words[1:])
    raise ValueError(f'Unknown follow-up action "{words[0]}"; say add, start, done, defer, accept or reopen.')
