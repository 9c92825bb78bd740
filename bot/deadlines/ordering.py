"""Ordering constraints between notices: "notify the Attorney General before the consumers".

A ``before`` rule (see :mod:`bot.deadlines.rules`) makes one obligation due no later than another.
This module answers the questions around it: which notices must go out before a given one (shown on
that notice and in its nudge), and which of them are still open when it is marked sent (a warning,
recorded on the timeline).
"""

from __future__ import annotations

from typing import Any, Iterable

from bot.deadlines.catalog import ObligationSpec
from bot.deadlines.rules import precedes


def predecessors(specs: Iterable[Any]) -> dict[str, list[str]]:
    """Obligation id -> ids of the obligations (``ObligationSpec``) that must be sent before it."""
    out: dict[str, list[str]] = {}
    for spec in specs:
        for target in precedes(spec.deadline):
            out.setdefault(target, []).append(spec.id)
    return out


def open_predecessors(rows: Iterable[Any], row: Any) -> list[Any]:
    """Stored obligations of the same incident that must precede ``row`` and are not sent or closed yet."""
    from bot.deadlines.tables import UNRESOLVED_STATES

    out = []
    for other in rows:
        if other.id == row.id or other.status not in UNRESOLVED_STATES or not other.spec:
            continue
        spec = ObligationSpec.model_validate(other.spec["obligation"])
        if row.obligation_id in precedes(spec.deadline):
            out.append(other)
    return out


def order_note(before: list[Any]) -> str:
    """The line shown on a notice that others must precede."""
    names = ", ".join(f"{r.obligation_id} ({r.recipient})" for r in before)
    return f"Send only after: {names}; the law requires that notice first."
