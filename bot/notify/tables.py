"""One row per intended notification of a page on a method other than Slack.

Written in the same unit of work as the page (by :func:`bot.notify.plan.sync_notifications`, which the
incident's re-sync runs), delivered by :class:`bot.notify.delivery.NotificationDispatcher`:

    pending -> sending -> sent
       |          \\-> pending (transient provider failure, retried) / failed (falls through to the next step)
       \\-> cancelled (acknowledged, declined, resolved) / suppressed (a labor rule forbids contact now)

The address is not stored: it is read from ``config/people.yaml`` when the step is claimed, so a purge
or a corrected number needs no change here, and the row holds no personal data beyond the person's id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime

NOTIFICATION_STATES = ("pending", "sending", "sent", "failed", "cancelled", "suppressed")
OPEN_NOTIFICATION_STATES = ("pending", "sending")


class Notification(SQLModel, table=True):
    __tablename__ = "page_notification"
    __table_args__ = (Index("ix_page_notification_state_next_attempt", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True,
                     description='"page:<id>:<method>:<step>"; also the provider idempotency reference')
    page_id: int | None = Field(default=None, foreign_key="page.id", index=True,
                                description="the page; none for a test page the person asked for")
    incident_id: int | None = Field(default=None, index=True)
    person_id: str = Field(max_length=64)
    method: str = Field(max_length=16, description="sms | voice | email")
    step: int = Field(description="position in the person's rule (0 is Slack)")
    after_seconds: int = Field(description="the rule's delay from the page going out")
    due_at: datetime = Field(sa_type=UtcDateTime)
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    state: str = Field(default="pending", max_length=16, description=" | ".join(NOTIFICATION_STATES))
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    provider_ref: str | None = Field(default=None, max_length=64, description="the provider's id (Twilio SID, Message-ID)")
    outcome: str | None = Field(default=None, max_length=1000, description="why it failed, was cancelled or suppressed")
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
