"""The alert inbox, triage's progress through it, and alert groups.

:class:`AlertReceipt` is written (and committed) before the sender gets its
2xx: an accepted alert survives a crash.  Triage then works through receipts
in order; ``done`` counts the receipt's events already handled, advanced in
the same unit of work as each event's effects, so a restart resumes exactly
where it stopped.  On PostgreSQL the receipts are rows of the main database
and ``done``/``state``/``triaged_at`` are that progress.  On SQLite the
receipts live in a database file of their own (:mod:`bot.alerts.inbox_file`),
so that accepting an alert never waits for triage's writes; the authoritative
progress is then :class:`AlertProgress`, in the main database beside the
effects, and the receipt's own columns are a copy written back after triage's
commit (:mod:`bot.alerts.receipts`).

:class:`AlertGroup`: one open group per (source, key), enforced by the
database (``open_key`` is the key while the group is open and NULL after it
is resolved, and the pair is unique).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime

GROUP_STATUSES = ("opening", "open", "acknowledged", "resolved", "suppressed")


class AlertReceipt(SQLModel, table=True):
    __tablename__ = "alert_receipt"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    format: str = Field(max_length=16)
    received_at: datetime = Field(sa_type=UtcDateTime)
    events: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False),
                                         description="the parsed alerts (AlertEvent.to_json), not the raw body")
    done: int = Field(default=0, description="events already triaged")
    state: str = Field(default="accepted", max_length=16, index=True, description="accepted | triaged | set_aside | dismissed")
    triaged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AlertProgress(SQLModel, table=True):
    """How far triage got with a receipt kept in the SQLite inbox file (no row yet: nothing triaged)."""

    __tablename__ = "alert_progress"

    receipt_id: int = Field(primary_key=True, description="alert_receipt.id in the inbox file")
    done: int = Field(default=0, description="events already triaged")
    state: str = Field(default="accepted", max_length=16, description="accepted | triaged | set_aside | dismissed")
    triaged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AlertGroup(SQLModel, table=True):
    __tablename__ = "alert_group"
    __table_args__ = (UniqueConstraint("source", "open_key", name="uq_alert_group_open"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    key: str = Field(max_length=300, index=True)
    open_key: str | None = Field(default=None, max_length=300, description="= key while open; NULL once resolved")
    status: str = Field(default="opening", max_length=16, description=" | ".join(GROUP_STATUSES))
    summary: str = Field(default="", max_length=1024)
    route: str = Field(default="", max_length=64, description="the route taken: routes[i] or fallback")
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    labels: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True),
                                          description="the first alert's labels (shown on its pages)")
    link: str | None = Field(default=None, max_length=2000, description="the first alert's link")
    alerts: int = Field(default=0, description="events grouped into it (first, repeats, flaps)")
    flaps: int = Field(default=0, description="times it fired again within the window after resolving")
    opened_at: datetime = Field(sa_type=UtcDateTime)
    last_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_by: str | None = Field(default=None, max_length=64)


class HeartbeatState(SQLModel, table=True):
    """A heartbeat monitor's last beat and whether it is in a missed period (:mod:`bot.alerts.heartbeats`)."""

    __tablename__ = "heartbeat"

    id: str = Field(primary_key=True, max_length=64)
    watching_since: datetime = Field(sa_type=UtcDateTime)
    last_beat_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    missed: bool = False
    missed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
