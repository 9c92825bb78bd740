"""Parsing ``/incident`` and ``/oncall`` text into a command, or a specific usage error.

Pure: no Slack, no database.  An optional leading incident reference
(``INC-42``, ``#42`` or ``42``) addresses an incident from outside its
channel; inside an incident channel the channel decides.

Slack sends command text with ``&``, ``<`` and ``>`` escaped; it is decoded
once here, so a title ``a < b & c`` is stored as typed (and escaped once
again only when it is shown).
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.slack import learning_parser, legal_commands
from bot.slack.command_usage import USAGE, IncidentCommand, UsageError, parse_time
from bot.slack.mrkdwn import unescape

ONCALL_USAGE = "/oncall [rota]   (also: /oncall worked <from>-<to> [note], /oncall cover <rota> <from> <to> @person)"
ONCALL_REQUESTS = {
    "worked": "/oncall worked <from>-<to> [what it was]   (your local time: 02:00-03:30, 22:30-01:15, "
              "2026-03-04 22:30-01:15)",
    "cover": "/oncall cover <rota> <from> <to> @person [why]   (the rota's local time: 2027-01-05T18:00)",
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
LEGAL = ("affects", "confirm", "delay")  # parsed and run by bot.slack.legal_commands

_SEVERITY_LIKE = re.compile(r"([a-z]+)-?(\d+)")
_INCIDENT_REF = re.compile(r"^(?:inc-|#)?(\d+)$", re.IGNORECASE)
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_BARE_USER = re.compile(r"^@?([UW][A-Z0-9]{2,})$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|([^>]*))?>$")


def help_text() -> str:
    return "Incident commands:\n" + "\n".join(f"• `{u}`" for u in USAGE.values()) + \
        "\nOutside an incident channel, put the incident first: `/incident INC-42 status …`."


def user_reference(token: str) -> str | None:
    """A Slack user id from ``<@U123|name>`` (escaped mention) or a bare ``U123``."""
    match = _MENTION.match(token) or _BARE_USER.match(token)
    return match.group(1) if match else None


def parse_incident(text: str, now: datetime) -> IncidentCommand:
    text = unescape(text)
    words = text.split()
    incident = None
    if words and _INCIDENT_REF.match(words[0]) and (len(words) == 1 or words[1].lower() in USAGE):
        incident = int(_INCIDENT_REF.match(words[0]).group(1))  # type: ignore[union-attr]
        words = words[1:]
    if not words:
        return IncidentCommand("help" if incident is None else "help", incident)
    name, rest = words[0].lower(), words[1:]
    rest_text = text.split(None, 2 if incident is not None else 1)[-1] if rest else ""
    if name not in USAGE:
        raise UsageError(f'Unknown subcommand "{words[0]}".\n' + help_text())
    if name in LEGAL:
        return legal_commands.parse(name, incident, rest, now)
    if name == "declare":
        args = {"severity": rest[0].lower(), "title": " ".join(rest[1:])} if rest else {}
        return IncidentCommand(name, incident, args)
    if name == "sev":
        if not rest:
            raise UsageError("Say which severity.", name)
        return IncidentCommand(name, incident, {"severity": rest[0].lower(), "reason": " ".join(rest[1:])})
    if name == "role":
        if len(rest) != 2:
            raise UsageError("Give a role and one person.", name)
        user = user_reference(rest[1])
        if user is None:
            raise UsageError(f'"{rest[1]}" is not a person; mention them with @.', name)
        return IncidentCommand(name, incident, {"role": rest[0].lower(), "user": user})
    if name == "status":
        if not rest:
            raise UsageError("Write what is happening now.", name)
        return IncidentCommand(name, incident, {"text": rest_text})
    if name == "statement":
        if len(rest) < 2:
            raise UsageError("Give the status and the statement's text.", name)
        return IncidentCommand(name, incident, {"status": rest[0].lower(), "text": rest_text.split(None, 1)[1]})
    if name == "fact":
        if len(rest) < 2:
            raise UsageError("Give a fact name and a value.", name)
        value, _, reason = " ".join(rest[1:]).partition(" because ")  # a duty-removing change needs a reason
        return IncidentCommand(name, incident, {"name": rest[0], "value": value.strip(), "reason": reason.strip()})
    if name == "trigger":
        if len(rest) != 2:
            raise UsageError("Give a trigger name and a time.", name)
        return IncidentCommand(name, incident, {"name": rest[0].lower()}, at=parse_time(rest[1], now))
    if name == "notified":
        if len(rest) < 2:
            raise UsageError("Give the obligation and the reference you received.", name)
        return IncidentCommand(name, incident, {"obligation": rest[0], "reference": " ".join(rest[1:])})
    if name == "channel":
        match = _CHANNEL.match(rest[0]) if len(rest) == 1 else None
        if match is None:
            raise UsageError("Name one channel with # and pick it from the list, so Slack sends its id.", name)
        return IncidentCommand(name, incident, {"channel": match.group(1), "name": match.group(2) or ""})
    if name == "close":
        if not rest:
            raise UsageError("Closing needs the post-incident summary.", name)
        return IncidentCommand(name, incident, {"summary": rest_text})
    if name == "resolve":
        return IncidentCommand(name, incident, {"summary": rest_text})
    if name in learning_parser.USAGE:
        try:
            return IncidentCommand(name, incident, learning_parser.parse(name, rest_text))
        except ValueError as exc:
            raise UsageError(str(exc), name) from None
    if name == "timeline" and rest:
        if [w.lower() for w in rest] != ["all"]:
            raise UsageError('"timeline" takes no arguments, or "all" for every entry.', name)
        return IncidentCommand(name, incident, {"all": "yes"})
    if rest:
        raise UsageError(f'"{name}" takes no arguments.', name)
    return IncidentCommand(name, incident)


def parse_oncall(text: str) -> str | None:
    """The rota asked about (None: all). A request (``worked``, ``cover``) is checked by
    :func:`parse_oncall_request` and gives None here: the listener hands it to its own handler."""
    text = unescape(text)
    words = text.split()
    if words and words[0].lower() in ONCALL_REQUESTS:
        parse_oncall_request(text)
        return None
    if len(words) > 1:
        raise UsageError(f"Give at most one rota.\nUsage: `{ONCALL_USAGE}`")
    return words[0].lower() if words else None


def is_oncall_request(text: str) -> bool:
    words = (text or "").split()
    return bool(words) and words[0].lower() in ONCALL_REQUESTS


def parse_oncall_request(text: str) -> tuple[str, dict[str, str]]:
    """``worked`` -> span, note; ``cover`` -> rota, start, end, taker (user id), reason."""
    words = unescape(text or "").split()
    name, rest = words[0].lower(), words[1:]
    usage = f"\nUsage: `{ONCALL_REQUESTS[name]}`"
    if name == "worked":
        if not rest:
            raise UsageError("Say when you worked." + usage)
        if len(rest) > 1 and _DAY.fullmatch(rest[0]):  # "2026-03-04 22:30-01:15 note"
            return name, {"span": f"{rest[0]} {rest[1]}", "note": " ".join(rest[2:])}
        return name, {"span": rest[0], "note": " ".join(rest[1:])}
    if len(rest) < 4:
        raise UsageError("Give the rota, from, to and the person." + usage)
    taker = user_reference(rest[3])
    if taker is None:
        raise UsageError(f'"{rest[3]}" is not a person; mention them with @.' + usage)
    return name, {"rota": rest[0].lower(), "start": rest[1], "end": rest[2], "taker": taker, "reason": " ".join(rest[4:])}


def unknown_severity(word: str, known: list[str]) -> str | None:
    """Why ``word``, the first word after ``declare``, is refused: it looks like a severity (``sev9``,
    ``SEV-9``: letters then digits, with the letters of a configured one such as ``sev1``, or "sev" or
    "severity") but is not one.  None when it is a severity or an ordinary first word of a title."""
    value = word.lower()
    match = _SEVERITY_LIKE.fullmatch(value)
    if value in known or not match:
        return None
    prefixes = {"sev", "severity"} | {m.group(1) for m in map(_SEVERITY_LIKE.fullmatch, known) if m}
    if match.group(1) not in prefixes:
        return None
    return (f'Unknown severity "{word}". Choose one of: {", ".join(known)}; or run `/incident declare` '
            "for the form with each severity's criteria.")
