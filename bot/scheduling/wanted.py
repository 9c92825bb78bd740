"""What a reminder kind asks for, and what it decides when a reminder is due.

Each reminder kind (``bot/scheduling/kinds/<kind>.py``) reads its own part of
the incident (pages, obligations, playbook cadence, checklist) and answers two
questions:

* ``wanted(session, config, incident, at)``: which reminders should exist now
  (a list of :class:`Wanted`); :mod:`bot.scheduling.sync` turns that into rows.
* ``prepare(session, config, reminder, now)``: the reminder is due; send what
  to whom (:class:`Send`), do another Slack operation (:class:`Act`: create a
  channel, invite, set a topic, pin, bookmark, update a message, reply), or
  wait (:class:`Hold`), or drop it (:class:`Drop`).
  Database side effects made here (e.g. escalating a page) commit together
  with the claim of the reminder, so they happen exactly once.
* ``after_sent(session, config, reminder, now)``: record the delivery in the
  kind's own rows (e.g. the page is now ``sent``), same unit of work as the
  reminder becoming ``sent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.clock import ensure_utc
from bot.ports import Notice


@dataclass(frozen=True)
class Wanted:
    key: str
    kind: str
    due_at: datetime
    recipient: str
    target: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    lane: str | None = None  # rows of one lane go one at a time, oldest first

    def __post_init__(self) -> None:
        object.__setattr__(self, "due_at", ensure_utc(self.due_at))


@dataclass(frozen=True)
class Send:
    """Deliver ``notice`` to a channel (``direct=False``) or as a direct message to a user."""

    address: str
    notice: Notice
    direct: bool


@dataclass(frozen=True)
class Act:
    """Do a Slack operation other than sending a new message (see :mod:`bot.scheduling.execute`).

    ``operation`` is one of ``create_channel``, ``invite``, ``topic``, ``pin``, ``bookmark``, ``update``,
    ``reply``; ``address`` the channel it acts on (empty for ``create_channel`` and ``reply``); ``args``
    plain JSON values, stored with the claim so a recovery repeats exactly the same operation."""

    operation: str
    address: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hold:
    """Not now: try again at ``until`` (e.g. the recipient's working hours start)."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Drop:
    """The reason for the reminder went away between planning and firing."""

    reason: str


Outcome = Send | Act | Hold | Drop


class ReminderKind(Protocol):
    name: str

    def wanted(self, session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]: ...

    def prepare(self, session: Session, config: Any, reminder: Any, now: datetime) -> Outcome: ...

    def after_sent(self, session: Session, config: Any, reminder: Any, now: datetime) -> None: ...
