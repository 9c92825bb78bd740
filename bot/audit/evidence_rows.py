"""Rows a view reads, checked against their chains: a report built from the tables must not silently show a row
that differs from what the chain says (an edited call-out, a deleted page, a rest debt inserted by SQL).

:func:`rows_against_chain` replays the chains of the rows given (the global chain always: rows of no incident) and
compares, for the tables named, every row either side has: the rows read, and the rows the chain holds (looked up
by id, so a row deleted outside the bot is named even though the view could not read it). ``audit verify`` checks
every row of every chain; this checks what one view is about to show, in the same words.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlmodel import select

from bot.audit.evidence import chained_rows, differences, incident_of, snapshot, table_class
from bot.audit.trail import chain_name, events


def rows_against_chain(session: Any, rows: Iterable[Any], tables: Iterable[str]) -> list[str]:
    """Each disagreement between the chains and the tables ``tables`` for the rows read (ORM objects of evidence
    tables) and the rows those chains hold; empty when they agree."""
    tables = set(tables)
    read: dict[int | None, dict[tuple[str, Any], dict[str, Any]]] = {None: {}}
    for obj in rows:
        row = snapshot(obj)
        read.setdefault(incident_of(obj.__tablename__, row), {})[(obj.__tablename__, row.get("id"))] = row
    problems: list[str] = []
    for incident in sorted(read, key=lambda i: (i is not None, i or 0)):
        data = [e.data for e in events(session, incident)]
        if incident is not None and not any("evidence" in (d or {}) for d in data):
            continue  # an incident from before evidence was chained (docs/audit.md)
        chained = {key: row for key, row in chained_rows(data).items() if key[0] in tables}
        current = dict(read[incident])
        for table in tables:
            ids = [key[1] for key in chained if key[0] == table and (table, key[1]) not in current]
            cls = table_class(table)
            for start in range(0, len(ids), 500):
                for obj in session.exec(select(cls).where(cls.id.in_(ids[start:start + 500]))).all():
                    current[(table, obj.id)] = snapshot(obj)
        problems += differences(chained, current, chain_name(incident))
    return problems
