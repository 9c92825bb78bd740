"""What a person asking for an incident's timeline is shown: its events without the bot's record keeping.

The chain holds, beside what people did and decided, the bot's own bookkeeping: every post, invite and pin done
in Slack (``effect.done``), effects no longer needed (``effect.dropped``), the effects a unit of work wanted
(``effects.wanted``), evidence rows recorded (``evidence.recorded``, ``evidence.baseline``) and edits of messages
already posted (a page's or a button's message brought up to date). In a long incident they are half of the
newest entries, so ``/incident timeline`` would show "Sent button update reminder" where the commander looks for
who did what. They stay on the chain and in the export; a person's timeline (``/incident timeline`` and the web
view's incident page) leaves them out and says how many, unless asked for everything. Nudges sent to people
(deadlines, cadence, checklist, review) are kept: whom the bot reminded of what is part of the story.
"""

from __future__ import annotations

from typing import Iterable

from bot.incidents.views import EventView

RECORD_KEEPING_KINDS = ("effect.done", "effect.dropped", "effects.wanted", "evidence.recorded", "evidence.baseline")
MESSAGE_UPDATE_KINDS = ("page_update", "button_update")  # ``reminder.sent`` of these: a posted message edited


def record_keeping(event: EventView) -> bool:
    """Whether ``event`` is the bot's bookkeeping rather than something a person did or was told."""
    if event.kind in RECORD_KEEPING_KINDS:
        return True
    return event.kind == "reminder.sent" and (event.data or {}).get("kind") in MESSAGE_UPDATE_KINDS


def for_people(events: Iterable[EventView]) -> tuple[list[EventView], int]:
    """The events a person's timeline shows, in order, and how many record-keeping ones were left out."""
    shown, left_out = [], 0
    for event in events:
        if record_keeping(event):
            left_out += 1
        else:
            shown.append(event)
    return shown, left_out
