"""Which texts of an event a purge redacts, and so the only ones a redaction map may name.

The purge (:mod:`bot.purge.redaction`) redacts an event's summary, the free-text values of its data (the keys
below, and every text inside an alert's labels and details) and, in chained evidence rows, the columns holding text
people typed, which each evidence table names when it registers (:func:`register_typed_text`). Everything else is
kept as evidence (an obligation's reference and submission time, who did what and when). The verifier uses the same
rules: anyone with the database can append an ``audit.purged`` event at a chain's tail (appending needs no key), so
without them a kept value could be swapped for ``[redacted]`` with its hash in the map, in an event signed long ago.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.store.schema import import_all_tables

FREE_TEXT_KEYS = frozenset({"title", "description", "summary", "reason", "note", "text", "error", "justification",
                            "message", "handover_note", "why", "channel_name", "name", "impact", "cost", "link"})
# Every text inside these is a sender's words: an alert's labels and details (names, hosts, customers).
FREE_TEXT_CONTAINERS = frozenset({"labels", "details"})

# Paths another purge redacts: an exercise's findings, by the exercise's date (bot/learning/exercises.py).
OTHER_PURGES = frozenset({"/data/findings"})

# evidence table -> its columns holding text people typed (filled by :func:`register_typed_text`, which
# ``bot.audit.evidence.register`` calls; ``bot.audit.evidence.EVIDENCE_TABLES`` is this same dict)
TYPED_TEXT: dict[str, tuple[str, ...]] = {}


def register_typed_text(table: str, columns: tuple[str, ...]) -> None:
    TYPED_TEXT[table] = tuple(columns)


def typed_text(table: str, column: str) -> bool:
    """Whether ``table.column`` holds text people typed (the purge redacts it)."""
    _every_table_registered()
    return column in TYPED_TEXT.get(table, ())


def free_text_path(path: str) -> bool:
    """Whether the text at ``path`` (a JSON pointer into an event's data, outside its evidence) is free text."""
    keys = [p for p in path.split("/") if p and not p.isdigit()]
    return (keys[-1] if keys else "") in FREE_TEXT_KEYS or any(k in FREE_TEXT_CONTAINERS for k in keys[:-1])


def purge_redacts(data: dict[str, Any], path: str) -> bool:
    """Whether a purge redacts the text at ``path`` (``/summary``, ``/data/...``) of an event with this data."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")]
    if parts == ["", "summary"] or path in OTHER_PURGES:
        return True
    if parts[1:3] == ["data", "evidence"]:
        entries = data.get("evidence")
        if not (len(parts) == 6 and parts[3].isdigit() and parts[4] == "row" and isinstance(entries, list)
                and int(parts[3]) < len(entries) and isinstance(entries[int(parts[3])], dict)):
            return False
        return typed_text(str(entries[int(parts[3])].get("table")), parts[5])
    return parts[1:2] == ["data"] and len(parts) > 2 and free_text_path(path)


@functools.cache
def _every_table_registered() -> None:
    """Import every ``tables`` module once: each registers its evidence tables and their typed text."""
    import_all_tables()
