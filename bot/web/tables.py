"""Issued web-view links: who got one and when, until when it works, and whether it was revoked."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.audit.evidence import register as register_evidence
from bot.store.types import UtcDateTime


class WebLink(SQLModel, table=True):
    __tablename__ = "web_link"

    id: str = Field(primary_key=True, max_length=32, description="random; named by the signed token")
    slack_user: str = Field(max_length=32, index=True, description="the only person the link works for")
    issued_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by: str | None = Field(default=None, max_length=32)


# Who could see what, until when: every link is evidence on the global chain (bot.audit.evidence); nothing typed.
register_evidence("web_link")
