"""When a unit of work happens, by its caller's injected clock: the time of the events the audit layer writes
by itself.

The core never reads the wall clock. An evidence row changed without an event of its own on the row's chain gets
an ``evidence.recorded`` event (:mod:`bot.audit.evidence`) that no caller appends by hand; it carries the unit of
work's time: the one its caller stated with :func:`happens_at`, else the newest time of the events the unit of work
appended (each stamped by its caller's clock; :func:`bot.audit.trail.append_events` notes them here). A unit of
work that changes evidence rows and appends no event must say when it happens; one that does not is a defect of
its code, logged as a warning that names it, and its event gets the system clock's time (refusing the commit
instead would lose the change it records, e.g. an escalation, for a defect of time-keeping).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.clock import SystemClock, ensure_utc

log = logging.getLogger(__name__)

STATED = "audit.happens_at"  # session.info key: the time the caller stated for this unit of work
NEWEST = "audit.newest_event_at"  # session.info key: the newest time of the events this unit of work appended


def happens_at(session: Any, now: datetime) -> None:
    """The unit of work in ``session`` happens at ``now`` (the caller's ``clock.now()``)."""
    session.info[STATED] = ensure_utc(now)


def note_event_at(session: Any, at: datetime) -> None:
    """An event stamped ``at`` was appended in this unit of work."""
    newest = session.info.get(NEWEST)
    if newest is None or at > newest:
        session.info[NEWEST] = at


def unit_time(session: Any, what: str) -> datetime:
    """The time of the unit of work: stated, else its newest event's; ``what`` names what needs it (for the
    warning when neither is known: then the system clock's time)."""
    at = session.info.get(STATED) or session.info.get(NEWEST)
    if at is None:
        log.warning("%s in a unit of work that appended no event and did not say when it happens: recorded at the "
                    "system clock's time; call bot.audit.unit_time.happens_at(session, clock.now()) in it, with the "
                    "caller's clock", what)
        return SystemClock().now()
    return at


def forget(session: Any) -> None:
    """The unit of work ended (committed or rolled back): the session's next one states its own time."""
    session.info.pop(STATED, None)
    session.info.pop(NEWEST, None)
