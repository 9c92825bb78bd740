"""One triage transaction's working set: its receipts, the open groups of their keys, the disposition events.

Receipts are read with plain (Core) queries, their events parsed before the
transaction (a receipt's events never change once stored); in the
transaction only their progress (``done``, ``state``) is read again, locked,
because another triage worker may have moved it (where receipts and progress
are kept: :mod:`bot.alerts.receipts`).  What the transaction changes is
written in bulk by :meth:`Batch.write`: the disposition events by one
multi-row INSERT (:func:`bot.audit.trail.append_rows`), the receipts'
progress by one statement executed for all of them.  Groups are few
per transaction and stay ORM rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session
from sqlmodel import select as orm_select

from bot.alerts.events import AlertEvent
from bot.alerts.tables import AlertGroup
from bot.audit.trail import NewEvent, append_rows
from bot.store.advisory import hold_until_commit

TRIAGE_LOCK = "incident-bot:alert-triage"  # the advisory lock that runs triage transactions one at a time

# Built once, with their lists as bound parameters: building a statement costs SQLAlchemy as much as running it.
_GROUPS = AlertGroup.__table__  # type: ignore[attr-defined]
_OPEN_KEYS = select(_GROUPS.c.source, _GROUPS.c.open_key).where(_GROUPS.c.open_key.in_(bindparam("keys", expanding=True)))


@functools.cache
def _open_groups() -> Any:
    return orm_select(AlertGroup).where(AlertGroup.open_key.in_(bindparam("keys", expanding=True)))  # type: ignore[union-attr]


def group_key(source: Any, event: AlertEvent) -> str:
    if source is not None and source.group_by:
        return "labels:" + ",".join(f"{n}={event.labels.get(n, '')}" for n in source.group_by)
    return event.key


def _keys(receipt: "Receipt", sources: dict[str, Any], *, triggers: bool = False) -> set[tuple[str, str]]:
    """(source, group key) of the receipt's events not triaged yet (``triggers``: of those that fire)."""
    source = sources.get(receipt.source)
    return {(receipt.source, group_key(source, e)) for e in receipt.events[receipt.done:]
            if not triggers or e.action == "trigger"}


def _sources(alerts: Any) -> dict[str, Any]:
    return {x.id: x for x in alerts.sources}


@dataclass
class Receipt:
    """A stored receipt as triage works on it: its parsed events and how far triage got."""

    id: int
    source: str
    format: str
    events: list[AlertEvent]
    done: int
    state: str
    triaged_at: datetime | None = field(default=None)


def open_keys(session: Session, receipts: list[Receipt], alerts: Any) -> set[tuple[str, str]]:
    """Which of the receipts' (source, group key) have an open group now (read without locking: a hint for
    :func:`next_chunk`, not a decision)."""
    sources = _sources(alerts)
    wanted = set().union(*(_keys(r, sources) for r in receipts)) if receipts else set()
    if not wanted:
        return set()
    found = session.execute(_OPEN_KEYS, {"keys": sorted({k for _, k in wanted})}).all()
    return {(source, key) for source, key in found if (source, key) in wanted}


def next_chunk(pending: list[Receipt], pos: int, batch: int, opened: set[tuple[str, str]], alerts: Any) -> list[Receipt]:
    """The receipts for the next transaction: from ``pos``, at most ``batch``, ending with the first whose alert
    would open a new group by ``opened`` (its declaration ends the transaction anyway; the receipts after it
    would be read and locked for nothing)."""
    sources, chunk = _sources(alerts), []
    for receipt in pending[pos:pos + batch]:
        chunk.append(receipt)
        if not _keys(receipt, sources, triggers=True) <= opened:
            break
    return chunk


def one_at_a_time(session: Session) -> None:
    """Triage transactions run one at a time, so that several triage workers keep the receipts' order and the
    groups' counts exact: SQLite has one writer anyway (BEGIN IMMEDIATE); PostgreSQL takes a lock held until
    the transaction ends."""
    hold_until_commit(session, TRIAGE_LOCK)


class Batch:
    """One triage transaction: its receipts, the open groups of their keys (read once), and the disposition
    events, appended in order by :meth:`write`."""

    def __init__(self, session: Session, receipts: list[Receipt], alerts: Any, places: Any) -> None:
        """``places``: the :class:`~bot.alerts.receipts.Receipts` that records the receipts' progress."""
        self.session, self.places = session, places
        self.events: list[NewEvent] = []
        self.groups: dict[tuple[str, str], AlertGroup | None] = {}
        self._moved: dict[int, Receipt] = {}
        self._sources = _sources(alerts)
        wanted = set().union(*(_keys(r, self._sources) for r in receipts if r.state == "accepted")) \
            if receipts else set()
        if wanted:
            for g in session.exec(_open_groups(), params={"keys": sorted({k for _, k in wanted})}).all():
                if (g.source, g.open_key) in wanted:
                    self.groups[(g.source, g.open_key)] = g  # type: ignore[index]
            self.groups.update({k: None for k in wanted if k not in self.groups})

    def key(self, source_id: str, event: AlertEvent) -> str:
        return group_key(self._sources.get(source_id), event)

    def note_open(self, opened: set[tuple[str, str]]) -> None:
        """Bring the caller's hint of open groups up to date with what this transaction saw and did."""
        for key, group in self.groups.items():
            if group is not None and group.open_key is not None:
                opened.add(key)
            else:
                opened.discard(key)

    def open_group(self, source: str, key: str) -> AlertGroup | None:
        if (source, key) not in self.groups:
            self.groups[(source, key)] = self.session.exec(orm_select(AlertGroup).where(
                AlertGroup.source == source, AlertGroup.open_key == key)).first()
        return self.groups[(source, key)]

    def moved(self, receipt: Receipt) -> None:
        """The receipt's progress changed: written by :meth:`write`."""
        self._moved[receipt.id] = receipt

    def write(self) -> None:
        if self.events:
            append_rows(self.session, self.events)
            self.events = []
        if self._moved:
            self.places.write_progress(self.session, self._moved.values())
            self._moved = {}
