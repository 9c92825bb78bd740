"""``/incident affects``, ``/incident confirm`` and ``/incident delay``: what was hit, and the law's own levers.

* ``/incident affects billing-db crm`` names affected systems from config/catalog.yaml (``-crm`` removes one);
  the facts they imply are derived and shown with their reasons.
* ``/incident confirm residents personal_data_breach`` confirms derived facts (legal / DPO).
* ``/incident delay sec_8k.item_1_05 attorney_general 2026-08-07T17:30-04:00 DOJ-2026-17`` records a delay
  notice the law allows (e.g. SEC Item 1.05(c)); the law's limits are checked.

Parsing is pure (like :mod:`bot.slack.command_parser`); running calls one service method each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.command_usage import IncidentCommand, UsageError, parse_time


def parse(name: str, incident: int | None, rest: list[str], now: datetime) -> IncidentCommand:
    if name == "affects":
        if not rest:
            raise UsageError("Name at least one system.", name)
        removing = [w[1:] for w in rest if w.startswith("-")]
        adding = [w for w in rest if not w.startswith("-")]
        if removing and adding:
            raise UsageError("Add or remove systems, not both at once.", name)
        return IncidentCommand(name, incident, {"systems": " ".join(removing or adding),
                                                "remove": "yes" if removing else ""})
    if name == "confirm":
        if not rest:
            raise UsageError("Name at least one derived fact to confirm.", name)
        return IncidentCommand(name, incident, {"facts": " ".join(rest)})
    if len(rest) < 4:
        raise UsageError("Give the obligation, the kind of delay, its end and the notice's reference.", name)
    try:
        until = parse_time(rest[2], now)
    except UsageError as exc:
        raise UsageError(str(exc).split("\nUsage")[0], name) from None
    return IncidentCommand(name, incident, {"obligation": rest[0], "delay": rest[1],
                                            "reference": " ".join(rest[3:])}, at=until)


def run(incidents: Any, command: IncidentCommand, number: int, user: str, key: str, obligation_id: Any) -> Any:
    """Call the incident service (the one answering the person); ``obligation_id(number, given, subcommand)``
    resolves an obligation name or number."""
    args = command.args
    if command.name == "affects":
        return incidents.affects(number, args["systems"].split(), actor=user, key=key, remove=bool(args["remove"]))
    if command.name == "confirm":
        return incidents.confirm_facts(number, args["facts"].split(), actor=user, key=key)
    return incidents.record_delay(obligation_id(number, args["obligation"], "delay"), args["delay"],
                                  command.at, args["reference"], actor=user, key=key, incident=number)
