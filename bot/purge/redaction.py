"""What the purge redacts in an event and in an evidence row: the typed-text columns each evidence table
registers and the free-text keys of other event data (:mod:`bot.audit.redactable`, whose rules the verifier holds a
redaction map to).

A redacted text keeps its salted hash (:func:`bot.audit.digest.redact`), so the chain still verifies.
"""

from __future__ import annotations

from typing import Any, Callable

import bot.deadlines.tables  # noqa: F401  (each of these registers its evidence tables and their typed text)
import bot.incidents.tables  # noqa: F401
import bot.learning.tables  # noqa: F401
import bot.oncall.tables  # noqa: F401
from bot.audit.digest import redact
from bot.audit.redactable import free_text_path, typed_text
from bot.audit.trail import REDACTED
from bot.oncall.paging import DECLINED


def personal_text(table: str, column: str, text: str) -> str | None:
    """The redacted form of ``text`` in ``table.column``, or None when it is kept as evidence."""
    if not typed_text(table, column) or not text or text == REDACTED:
        return None
    if table == "page":
        # Why the bot chose someone (rule, citation) stays as evidence; what a person typed when declining goes.
        why, sep, _ = text.partition(DECLINED)
        return f"{why}{DECLINED}{REDACTED}" if sep else None
    return REDACTED


def _free_text(path: str, text: str) -> str | None:
    return REDACTED if text and free_text_path(path) and text != REDACTED else None


def redacted_event(ev: Any, keep_row: Callable[[dict[str, Any]], bool] | None = None
                   ) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The event's summary, data and redaction map once personal text is removed. Chained evidence rows follow
    the table rules (:func:`bot.audit.redactable.typed_text`), other data the free-text keys; an evidence entry
    for which ``keep_row(entry)`` is true keeps its words (a cover that is not over yet)."""
    chain, seq, marks = ev.chain, ev.seq, dict(ev.redaction or {})
    summary = redact(ev.summary, "/summary", chain, seq, lambda _p, t: REDACTED if t else None, marks)
    data = dict(ev.data or {})
    for key in list(data):
        if key != "evidence":
            data[key] = redact(data[key], f"/data/{key}", chain, seq, _free_text, marks)
    entries = []
    for i, entry in enumerate(data.get("evidence", []) or []):
        if entry.get("row") and not (keep_row is not None and keep_row(entry)):
            row = dict(entry["row"])
            for column, value in row.items():
                base = f"/data/evidence/{i}/row/{column}"
                row[column] = redact(value, base, chain, seq,
                                     lambda _p, t, c=column: personal_text(entry["table"], c, t), marks)
            entry = {**entry, "row": row}
        entries.append(entry)
    if "evidence" in data:
        data["evidence"] = entries
    return summary, data, marks


def redacted_data(data: dict[str, Any]) -> dict[str, Any]:
    """Legacy events (digest version 1): free text replaced, nothing kept to check it against."""
    return redact(data, "", "", 0, _free_text, {})
