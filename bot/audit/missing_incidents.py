"""Incidents whose row is gone while the database still names them: the verifier's list of incidents to check.

`audit verify` checks every incident of the incident table. Deleting an incident's row alone (SQLite's shell
enforces no foreign keys; PostgreSQL's owner can turn them off) would then take its chain and its obligation, page
and role rows out of the check, although the chain in the database proves the incident existed. So the chains and
evidence rows that name an incident id the table does not hold are found here and checked like any incident's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.audit.evidence import EVIDENCE_TABLES, chained_rows, table_class, table_rows
from bot.audit.incident_keys import INCIDENT
from bot.audit.tables import TimelineEvent
from bot.audit.trail import events


def missing_incident_ids(session: Any, *, number: int | None = None) -> list[int]:
    """The incident ids that timeline events or evidence rows name but the incident table does not hold; with
    ``number``, only the one whose chain records that number (`audit verify 2` after INC-2's row was deleted)."""
    present = select(INCIDENT.c.id)
    named = set(session.execute(select(TimelineEvent.incident_id).distinct()
                                .where(TimelineEvent.incident_id.is_not(None))  # type: ignore[union-attr]
                                .where(TimelineEvent.incident_id.not_in(present))).scalars())  # type: ignore[union-attr]
    table_class("incident")  # every evidence table registered
    for table in EVIDENCE_TABLES:
        column = table_class(table).__table__.c.get("incident_id")
        if table != "incident" and column is not None:
            named |= set(session.execute(select(column).distinct().where(column.is_not(None))
                                         .where(column.not_in(present))).scalars())
    if number is not None:
        named = {i for i in named if (chained_rows(e.data for e in events(session, i)).get(("incident", i)) or {})
                 .get("number") == number}
    return sorted(named)


def missing_row_problem(session: Any, incident_id: int, events: int) -> str:
    """What the verifier says first about an incident whose row is gone."""
    rows = len(table_rows(session, incident_id))
    return (f"incident:{incident_id}: the incident's row is missing from the incident table, yet {events} event(s) "
            f"and {rows} evidence row(s) name it: it was deleted outside the bot")
