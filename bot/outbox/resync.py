"""Re-deriving reminder rows after a change, through a port the scheduling package provides.

An incident's reminders (pages, escalations, deadline, cadence and checklist
nudges ...) and an alert group's pages are derived from state by the reminder
kinds (``bot/scheduling/kinds/``), which know the domain.  The domain sits
below them, so it does not call them: after a change, in the same unit of
work, it calls :func:`sync_incident` or :func:`sync_group` here, and the
scheduling package provides what they do (``bot/scheduling/__init__.py`` calls
:func:`provide` when it is imported; ``bot.store.schema`` imports it with every
table module).  Every process of the bot starts in the command line's ``main``,
which provides this port before it dispatches any command (:mod:`bot.cli.ports`:
``bot.scheduling`` imported on first use, so a command that never writes never
loads it).

With nothing provided these calls raise :class:`NoResyncProvided` and the unit of
work rolls back: doing nothing would silently lose reminders, pages and escalations.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # only for the annotations: a process provides this port without loading the database stack
    from sqlmodel import Session


class Resync(Protocol):
    """What re-derives the outbox rows of an incident or an alert group (:mod:`bot.scheduling.sync`)."""

    def sync_incident(self, session: Session, config: Any, incident_id: int | None, at: datetime) -> Any: ...

    def sync_group(self, session: Session, config: Any, group_id: int, at: datetime) -> Any: ...


class NoResyncProvided(RuntimeError):
    """A change needs its reminder rows re-derived and nothing in this process provides that."""


_provided: Resync | None = None


def provide(resync: Resync | None) -> None:
    """Install what re-derives the rows (``None`` removes it)."""
    global _provided
    _provided = resync


def is_provided() -> bool:
    return _provided is not None


def provided() -> Resync | None:
    """What is installed now (``None``: nothing)."""
    return _provided


def _required(what: str) -> Resync:
    if _provided is None:
        raise NoResyncProvided(
            f"nothing re-derives the outbox rows of {what}: import bot.scheduling in this process (it provides "
            "bot.outbox.resync), or call bot.outbox.resync.provide(...), before changing incidents or alert groups")
    return _provided


def sync_incident(session: Session, config: Any, incident_id: int | None, at: datetime) -> Any:
    """Make the incident's reminder rows match its state, in the caller's unit of work."""
    return _required(f"incident id {incident_id}").sync_incident(session, config, incident_id, at)


def sync_group(session: Session, config: Any, group_id: int, at: datetime) -> Any:
    """Make the outbox rows of an alert group's pages match the pages, in the caller's unit of work."""
    return _required(f"alert group id {group_id}").sync_group(session, config, group_id, at)
