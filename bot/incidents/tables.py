"""Incident rows. Everything else about an incident (timeline, pages, obligations,
reminders) points here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True, description="sequential number shown to people (INC-42)")
    team_id: str = Field(default="", max_length=32, description="Slack workspace id, for multi-workspace readiness")
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=4000)
    severity: str = Field(max_length=64, index=True)
    playbook: str = Field(max_length=64)
    status: str = Field(default="active", max_length=16, index=True)  # active | resolved | closed
    private: bool = False
    reporter: str = Field(max_length=64)
    channel_id: str | None = Field(default=None, max_length=32, index=True)
    channel_name: str | None = Field(default=None, max_length=80)
    declared_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    purged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    triggers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                                     description="trigger name -> ISO 8601 UTC instant")
    summary: str | None = Field(default=None, max_length=20000, description="post-incident summary")
