"""How the simulated people react to what they receive in a drill.

Reactions are driven by the buttons on the messages people actually got, so
the drill exercises the same paths a real person clicking in Slack would:

* a paged person acknowledges 3 minutes later, unless told not to (``--no-ack``);
* the owner of a legal notification records it on the second nudge for that
  obligation (or the first, when the deadline is more than a week away), with
  a reference and an evidence link;
* a checklist nudge is ticked off 10 minutes later by its owner;
* a status-update nudge is answered by the commander 5 minutes later.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from bot.drill.transcript import Entry

ACK_AFTER = timedelta(minutes=3)
NOTIFY_AFTER = timedelta(minutes=20)
TASK_AFTER = timedelta(minutes=10)
STATUS_AFTER = timedelta(minutes=5)


@dataclass(order=True)
class Action:
    at: datetime
    order: int
    label: str = field(compare=False)
    run: Callable[[], object] = field(compare=False)


class Agenda:
    """Scripted actions in simulated time, earliest first."""

    def __init__(self) -> None:
        self._heap: list[Action] = []
        self._counter = itertools.count()

    def add(self, at: datetime, label: str, run: Callable[[], object]) -> None:
        heapq.heappush(self._heap, Action(at, next(self._counter), label, run))

    def next_at(self) -> datetime | None:
        return self._heap[0].at if self._heap else None

    def pop_due(self, now: datetime) -> list[Action]:
        due = []
        while self._heap and self._heap[0].at <= now:
            due.append(heapq.heappop(self._heap))
        return due


def _id_of(value: str) -> int:
    return int(value.split(":", 1)[1])


@dataclass
class Responders:
    """Turns received messages into scheduled reactions."""

    agenda: Agenda
    no_ack: set[str]  # Slack user ids who never acknowledge
    person_of: Callable[[str], str]
    acknowledge: Callable[[int, str], object]
    notify: Callable[[int], object]
    complete_task: Callable[[int], object]
    post_status: Callable[[], object]
    obligation_due: Callable[[int], datetime | None]
    nudges_seen: dict[int, int] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)

    def react(self, entry: Entry) -> None:
        for button in entry.notice.buttons:
            marker = f"{button.action}:{button.value}"
            if button.action == "page.ack" and entry.direct and marker not in self.handled:
                self.handled.add(marker)
                if entry.to in self.no_ack:
                    continue
                page_id = _id_of(button.value)
                self.agenda.add(entry.at + ACK_AFTER, f"{self.person_of(entry.to)} acknowledges the page",
                                lambda p=page_id, u=entry.to: self.acknowledge(p, u))
            elif button.action == "obligation.notified":
                obligation_id = _id_of(button.value)
                seen = self.nudges_seen[obligation_id] = self.nudges_seen.get(obligation_id, 0) + 1
                due = self.obligation_due(obligation_id)
                far = due is not None and due - entry.at > timedelta(days=7)
                if (seen >= 2 or far) and marker not in self.handled:
                    self.handled.add(marker)
                    self.agenda.add(entry.at + NOTIFY_AFTER, "the notification is submitted and recorded",
                                    lambda o=obligation_id: self.notify(o))
            elif button.action == "task.done" and marker not in self.handled:  # a checklist nudge
                self.handled.add(marker)
                self.agenda.add(entry.at + TASK_AFTER, "a checklist task is done",
                                lambda t=_id_of(button.value): self.complete_task(t))
        if entry.notice.kind == "status_nudge" and entry.key not in self.handled:
            self.handled.add(entry.key)
            self.agenda.add(entry.at + STATUS_AFTER, "the commander posts a status update", self.post_status)
