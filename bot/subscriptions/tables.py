"""Subscribers of the public status page and the mails the bot owes them (an outbox of their own).

Neither table is evidence on the audit chain: what customers were told is there already (the
``statement.published`` events); who subscribed is personal data that must go when the person leaves, which a
chain would keep (docs/managers.md, "Email subscriptions").

``status_subscriber.state``: ``pending`` (a confirmation mail was asked for) -> ``confirmed`` -> ``unsubscribed``
(the address is cleared; only its hash stays until the purge).  ``status_mail.state``:

    pending -> sending -> sent
       |          \\-> pending (the mail server failed for now: retried) / failed (refused, or too many attempts)
       \\-> cancelled (the subscriber left, or a newer confirmation replaced this one)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime

SUBSCRIBER_STATES = ("pending", "confirmed", "unsubscribed")
MAIL_KINDS = ("confirm", "statement")
MAIL_STATES = ("pending", "sending", "sent", "failed", "cancelled")


class StatusSubscriber(SQLModel, table=True):
    __tablename__ = "status_subscriber"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never given twice (SQLite reuses a deleted highest id)

    id: int | None = Field(default=None, primary_key=True)
    address_hash: str = Field(max_length=64, unique=True, index=True,
                              description="sha256 of the normalised address: finds a subscriber without the address")
    address: str | None = Field(default=None, max_length=254,
                                description="personal data: never logged; cleared when the person unsubscribes")
    state: str = Field(default="pending", max_length=16, index=True, description=" | ".join(SUBSCRIBER_STATES))
    nonce: str = Field(default="", max_length=32, description="named by the confirmation link; a new request "
                                                               "replaces it, so only the newest link works")
    requested_at: datetime = Field(sa_type=UtcDateTime, description="when the last confirmation mail was asked for")
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)


class StatusMail(SQLModel, table=True):
    __tablename__ = "status_mail"
    __table_args__ = (Index("ix_status_mail_state_next_attempt", "state", "next_attempt_at"),
                      {"sqlite_autoincrement": True})  # its id makes the Message-ID: never given twice

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, description='"confirm:<subscriber>:<nonce>" or '
                                                              '"statement:<event id>:<subscriber>": one mail per cause')
    kind: str = Field(max_length=16, description=" | ".join(MAIL_KINDS))
    subscriber_id: int = Field(foreign_key="status_subscriber.id", index=True)
    event_id: int | None = Field(default=None, index=True, description="the statement.published event it carries")
    incident_id: int | None = Field(default=None, description="the statement's incident (its channel is told)")
    state: str = Field(default="pending", max_length=16, description=" | ".join(MAIL_STATES))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    provider_ref: str | None = Field(default=None, max_length=200, description="the Message-ID")
    outcome: str | None = Field(default=None, max_length=1000, description="why it failed or was cancelled; "
                                                                            "the address masked")
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)
    updated_at: datetime = Field(sa_type=UtcDateTime)
