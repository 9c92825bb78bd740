"""The append-only timeline: one hash-chained row per change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime


class TimelineEvent(SQLModel, table=True):
    __tablename__ = "timeline_event"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_timeline_chain_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=64, index=True, description='"incident:<id>" or "global"')
    seq: int = Field(description="1, 2, 3 ... within the chain")
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    at: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(max_length=64, description="Slack user id, person id, or 'system'")
    kind: str = Field(max_length=64, index=True)
    summary: str = Field(default="", max_length=4000, description="human sentence; free text, redactable")
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_digest: str = Field(max_length=64, description="sha256 of summary+data as first written")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    redacted: bool = False
    digest_version: int = Field(default=3, sa_column_kwargs={"server_default": "1"},
                                description="1: digest of the content as written; 2: leaf-committed, survives "
                                            "redaction; 3: as 2, and the event's hash covers the version")
    redaction: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True),
                                             description="JSON path -> salted hash of each text a purge redacted")


class AuditCheckpoint(SQLModel, table=True):
    """A signed checkpoint of every chain's head, as published to the anchor file (a copy, not the proof)."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, description="1, 2, 3 ... over all checkpoints")
    at: datetime = Field(sa_type=UtcDateTime)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    signature: str = Field(max_length=200, description="Ed25519 signature of the canonical body, base64")
    line_hash: str = Field(max_length=64, description="sha256 of the canonical anchor line; the next one links to it")
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime,
                                          description="when it was appended to the anchor file")
