"""Obligation rows: one legal (or informational) notification duty of one incident.

A row keeps the assessment that produced it (due time, zone, reason, citation)
and a ``spec`` snapshot of the rule that computed it, so a chained stage can be
recomputed the moment the previous stage is marked submitted, and so the row
still explains itself after the catalog changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.audit.evidence import register as register_evidence
from bot.store.types import UtcDateTime

OBLIGATION_STATES = ("open", "notified", "not_required", "not_applicable", "informational", "qualitative")
UNRESOLVED_STATES = ("open", "qualitative")
CLOSED_STATES = ("notified", "not_required")


class Obligation(SQLModel, table=True):
    __tablename__ = "obligation"
    __table_args__ = (UniqueConstraint("incident_id", "obligation_id", name="uq_obligation_incident_obligation"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    obligation_id: str = Field(max_length=120, description='catalog id, e.g. "gdpr.authority"')
    regime: str = Field(max_length=64, index=True)
    title: str = Field(default="", max_length=300)
    recipient: str = Field(max_length=300)
    stage: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16, index=True, description=" | ".join(OBLIGATION_STATES))
    legal: bool = Field(default=True, description="False for proposed / not-yet-effective regimes (no legal reminders)")
    due_at: datetime | None = Field(default=None, sa_type=UtcDateTime, description="null: qualitative or clock not started")
    due_zone: str = Field(default="UTC", max_length=64, description="zone the rule is computed in (IANA)")
    estimated: bool = Field(default=False, description="anchored on the estimated submission of a previous stage")
    window_start: datetime | None = Field(default=None, sa_type=UtcDateTime, description="when the clock started")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    citation: str = Field(default="", sa_column=Column(Text, nullable=False))
    must_contain: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    internal_targets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False),
                                        description="ISO 8601 UTC instants of company targets (qualitative duties)")
    missing_facts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    spec: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                                 description="snapshot of the catalog rule: obligation, zone, calendars")
    notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime, description="actual submission time")
    notified_by: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=500, description="authority's case/reference number")
    evidence_url: str | None = Field(default=None, max_length=2000)
    not_required_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    not_required_by: str | None = Field(default=None, max_length=64)
    not_required_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    delays: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"),
                                         description="recorded delay notices (bot.deadlines.delays.DelayNotice.to_json)")
    retain_until: datetime | None = Field(default=None, sa_type=UtcDateTime,
                                          description="keep the incident's record until then (e.g. PIPEDA: 24 months)")
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    updated_by: str = Field(default="system", max_length=64)


# Every row of this table is evidence on its incident's chain (bot.audit.evidence).
register_evidence("obligation")
