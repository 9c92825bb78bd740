"""What every ``/incident`` subcommand's parser shares: the usage lines, the error that quotes them, the parsed
command and its time argument (:mod:`bot.slack.command_parser` and :mod:`bot.slack.legal_commands` build on it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import UTC
from bot.slack import learning_parser

USAGE: dict[str, str] = {
    "declare": "/incident declare [severity] [title]   (no arguments: open the declare form)",
    "sev": "/incident sev <severity> [reason]",
    "role": "/incident role <role> @person",
    "status": "/incident status <what is happening now>",
    "statement": "/incident statement <investigating | identified | monitoring | resolved> <what customers read>   "
                 "(external owner; signed off as the playbook asks)",
    "fact": "/incident fact <name> <value> [because <reason>]",
    "trigger": "/incident trigger <name> <time: now | 2026-03-02T09:30+01:00>",
    "notified": "/incident notified <obligation, e.g. gdpr.authority or its number> <reference>",
    "channel": "/incident channel #channel   (use a channel made by hand when the bot could not create one)",
    "affects": "/incident affects <system> [system ...]   (-<system> removes one; ids from config/catalog.yaml)",
    "confirm": "/incident confirm <derived fact> [fact ...]   (legal / DPO: facts derived from the affected systems)",
    "delay": "/incident delay <obligation> <delay> <until, e.g. 2026-08-07T17:30-04:00> <reference of the notice>",
    "resolve": "/incident resolve [summary]",
    "close": "/incident close <post-incident summary>",
    **learning_parser.USAGE,
    "timeline": "/incident timeline [all]   (all: with the bot's record keeping: deliveries, evidence records)",
    "deadlines": "/incident deadlines",
    "approvals": "/incident approvals   (pending approvals: who asked, what, since when; Approve / Reject where you may)",
    "help": "/incident help",
}


class UsageError(ValueError):
    """What was wrong with the command text, and the right usage."""

    def __init__(self, problem: str, subcommand: str | None = None) -> None:
        usage = USAGE.get(subcommand or "", "") if subcommand else ""
        text = problem + (f"\nUsage: `{usage}`" if usage else "")
        super().__init__(text)
        self.subcommand = subcommand


@dataclass(frozen=True)
class IncidentCommand:
    name: str
    incident: int | None = None  # explicit reference; None = the channel's incident
    args: dict[str, str] = field(default_factory=dict)
    at: datetime | None = None  # parsed time for "trigger"


def parse_time(text: str, now: datetime) -> datetime:
    value = text.strip()
    if value.lower() == "now":
        return now
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(f'"{value}" is not a time. Write "now" or ISO 8601 with an offset, '
                         'e.g. 2026-03-02T09:30+01:00.', "trigger") from None
    if parsed.tzinfo is None:
        raise UsageError(f'"{value}" has no UTC offset; add one (e.g. "+01:00" or "Z") so the instant is unambiguous.',
                         "trigger")
    return parsed.astimezone(UTC)
