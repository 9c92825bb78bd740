"""Who acts: a command's ``--by`` resolved to a person of the loaded configuration.

A command that writes ``--by`` on the audit chain as the actor (``alerts retriage|dismiss``,
``covers propose|accept|decline``, ``oncall record``, ``rest schedule``, ``web revoke``) resolves it here first, so the chain
names a person of ``people.yaml`` and the services' segregation-of-duties checks ("a person cannot accept
their own cover") compare people, not whatever was typed.  A person is given as the CLI takes a PERSON
(``covers --taker``, ``oncall record PERSON``, ``rest --person``): their id in ``people.yaml``; or by their
Slack user id, as the Slack face knows them.  Either way the chain records the id, as it does for the same
action taken in Slack.  Anything else is refused before the database is opened, so nothing is written.
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

CLOSEST = 3  # how many close ids a refusal suggests
LISTED = 20  # a configuration with at most this many people has them all listed in a refusal


def people_of(config: Any) -> dict[str, Any]:
    """The people of ``config``'s people.yaml by id (empty when it has none)."""
    return {person.id: person for people in config.all("people") for person in people.people}


def acting_person(config: Any, given: str, *, option: str = "--by", admins: bool = False) -> str | None:
    """The id of the person ``given`` names (their id or Slack user id); None once the reason is printed on
    stderr (the command exits 2). ``admins``: an admin-only command also accepts the Slack user id of one of
    ``settings.admins`` who is not in people.yaml (recorded as that Slack id, as Slack records them)."""
    people = people_of(config)
    name = given.strip()
    if name in people:
        return name
    by_slack = next((pid for pid, person in people.items() if person.slack == name), None)
    if by_slack is not None:
        return by_slack
    if admins and name and name in set(config.settings.admins):
        return name
    files = [loaded.doc.file for loaded in config.loaded("people")]
    print(refusal(people, name, option, where=", ".join(files) or "people.yaml", admins=admins), file=sys.stderr)
    return None


def refusal(people: dict[str, Any], name: str, option: str = "--by", *, where: str = "people.yaml",
            admins: bool = False) -> str:
    """What was wrong with ``name`` and how to give a person instead (``where``: the people files read)."""
    if not name:
        head = f"{option}: say who acts"
    else:
        head = f'{option}: "{name}" is not a person in people.yaml'
        close = difflib.get_close_matches(name.lower(), list(people), n=CLOSEST, cutoff=0.6)
        if close:
            head += " (did you mean " + " or ".join(f'"{pid}"' for pid in close) + "?)"
    if not people:
        how = f"no person was read from {where}: check --config-dir or $BOT_CONFIG_DIR"
    elif len(people) <= LISTED:
        how = f"people in {where}: " + ", ".join(sorted(people))
    else:
        how = f"the {len(people)} people are the `id:` entries under `people:` in {where}"
    also = " or the Slack user id of one of settings.yaml's `admins`" if admins else ""
    return (f"{head}; {option} takes the id (or Slack user id) of a person in people.yaml{also} ({how}); "
            "nothing was written")
