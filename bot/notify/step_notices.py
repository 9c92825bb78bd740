"""What the operations channel is told about a page step the dispatcher cannot get through on its own.

A step left in ``sending`` whose fate cannot be found out (the provider's lookup fails, the method is no longer
configured) waits for the next sweep: :func:`fate_unknown`, told once per step through
:mod:`bot.outbox.operator_notices`.  Never the address: the person's id, the page and the step.
"""

from __future__ import annotations

from typing import Any

from bot.ports import Notice


def fate_unknown(row: Any, method: str, exc: BaseException) -> Notice:
    """The notice for ``row`` (a :class:`~bot.notify.tables.Notification` in ``sending``); ``method``: its
    readable name ("SMS", "a call", "email")."""
    page = f"page {row.page_id}" if row.page_id is not None else "a test page"
    return Notice(
        kind="page_step_unknown", title=f"A page step may not have reached {row.person_id}: {method} of {page}",
        lines=(f"The {method} was being sent when the bot lost track of it, and finding out whether it went out "
               f"failed ({type(exc).__name__}). The bot tries again at every sweep, then records it or sends it; "
               "the page escalates on its ack timeout meanwhile.",
               f"If the page is urgent, reach {row.person_id} another way now."),
        fields=(("Page", f"#{row.page_id}"), ("Step", str(row.step))),
        metadata={"notification": str(row.id)})
