"""Deriving an incident's reminder rows from its current state, idempotently.

The lifecycle service calls :func:`sync_incident` at the end of every
operation, in the same unit of work (through the port :mod:`bot.outbox.resync`:
the lifecycle sits below the kinds).  It asks every reminder kind what it
wants now and makes the rows match (:func:`bot.scheduling.matching.apply_wanted`):

* a wanted key without a row            -> inserted ``pending``
* a ``pending`` row whose time changed   -> rescheduled
* a ``cancelled`` row that is wanted again -> reopened ``pending``
* a ``pending`` row nobody wants anymore -> ``cancelled`` (ack, notified, resolved ...)
* ``sending``, ``sent`` and ``failed`` rows are history and never touched;
* rows of other kinds (the effects a command wrote: posts, invites …) are never touched.

Running it twice in a row changes nothing the second time.  Updates are
conditional on ``state = 'pending'`` so a reminder the scheduler has just
claimed is never rewritten underneath it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.scheduling.matching import SyncResult, apply_wanted
from bot.scheduling.wanted import ReminderKind, Wanted

__all__ = ["SyncResult", "default_kinds", "sync_incident", "wanted_for"]


def default_kinds() -> tuple[ReminderKind, ...]:
    from bot.scheduling.kinds import PLANNED_KINDS

    return PLANNED_KINDS


def _names(kinds: Iterable[ReminderKind]) -> set[str]:
    return {n for k in kinds for n in getattr(k, "names", (k.name,))}


@functools.cache
def _locked_incident() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.incidents.tables import Incident

    return select(Incident).where(Incident.id == bindparam("incident")).with_for_update()


def _load_incident(session: Session, incident_id: int) -> Any:
    # Serialise syncs of one incident (row lock on PostgreSQL; SQLite serialises writers anyway).
    incident = session.exec(_locked_incident(), params={"incident": incident_id}).first()
    if incident is None:
        raise ValueError(f"expected an existing incident id, got {incident_id}")
    return incident


def wanted_for(session: Session, config: Any, incident: Any, at: datetime,
               kinds: Iterable[ReminderKind]) -> dict[str, Wanted]:
    wanted: dict[str, Wanted] = {}
    for kind in kinds:
        for item in kind.wanted(session, config, incident, at):
            if item.key in wanted:
                raise ValueError(f"expected unique reminder keys, got {item.key!r} twice (kind {kind.name})")
            wanted[item.key] = item
    return wanted


def sync_incident(session: Session, config: Any, incident_id: int | None, at: datetime, *,
                  kinds: Iterable[ReminderKind] | None = None) -> SyncResult:
    """Make the incident's reminder rows match what its current state wants.  ``None`` (the row of an alert
    group's page, which has no incident) changes nothing: those rows are derived by
    :func:`bot.scheduling.kinds.alert_pages.sync_group`, which their kind calls itself."""
    if incident_id is None:
        return SyncResult()
    at = ensure_utc(at)
    incident = _load_incident(session, incident_id)
    kinds = tuple(kinds if kinds is not None else default_kinds())
    wanted = wanted_for(session, config, incident, at, kinds)
    owed = _names(k for k in kinds if getattr(k, "RESEND_AS_CLAIMED", False))
    result = apply_wanted(session, incident_id, wanted, at, _names(kinds), owed=owed)
    from bot.notify.plan import sync_notifications

    sync_notifications(session, config, incident_id, at)  # the pages' SMS, voice and email steps, same transaction
    return result
