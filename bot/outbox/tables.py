"""The outbox: one row for everything the bot must do in Slack, now or later.

Every Slack effect is one :class:`Reminder` row with a deterministic ``key``
derived from its cause.  Reminders are due later (page ``"page:5:send"``,
escalation ``"page:5:escalate"``, nudges ``"obligation:12:24h"``,
``"incident:3:cadence:7"``); effects of a command are due at once (channel
``"incident:3:channel"``, welcome ``"incident:3:welcome:0"``, status post
``"cmd:…:post:0"``, reply ``"cmd:…:reply"``).  The table kept its first name,
``reminder``, when it became the outbox: a post is a reminder due now.

``lane`` orders rows that must reach Slack in order (the incident channel:
created first, then everything posted into it): a row is delivered only when
no older row of its lane is still open.  ``after_key`` makes a row wait for one
other row (the feed announcement waits for the channel it links to).

APScheduler jobs only *wake the worker up*; a job that is lost or fires twice
cannot lose or double a message, because delivery is decided by the row's
``state``:

    pending -> sending -> sent
       |          \\-> pending (transient failure, retried) / failed
       \\-> cancelled (the reason went away: ack, notified, resolved ...)

The rows are data below the domain: the lifecycle, alert intake and paging
write them (:mod:`bot.outbox.effects`); the worker that does them, the kinds
that derive reminders from state and APScheduler live in ``bot.scheduling``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime

REMINDER_KINDS = ("page", "escalation", "deadline", "cadence", "held_page", "checklist", "page_update",
                  "button_update", "page_method", "review", "followup", "alert_page", "alert_escalate",
                  "alert_page_done", "alert_method", "shift_reminder", "audit_checkpoint")
EFFECT_KINDS = ("create_channel", "invite", "topic", "post", "pin", "bookmark", "update", "reply")
REMINDER_STATES = ("pending", "sending", "sent", "cancelled", "failed")
OPEN_STATES = ("pending", "sending")


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_state_next_attempt", "state", "next_attempt_at"),
                      Index("ix_reminder_lane_state", "lane", "state"))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True,
                     description='deterministic identity, e.g. "obligation:12:24h"; also the chat idempotency key')
    kind: str = Field(max_length=16, index=True, description=" | ".join(REMINDER_KINDS + EFFECT_KINDS))
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True,
                                   description="None for the pages of an alert group paged without an incident")
    target: int | None = Field(default=None, description="id of the row it is about (page, obligation, incident)")
    recipient: str = Field(max_length=120, description="Slack user id, channel id, or role name resolved at send time")
    due_at: datetime = Field(sa_type=UtcDateTime, description="when the reason for it says it is due")
    next_attempt_at: datetime = Field(sa_type=UtcDateTime,
                                      description="when the scheduler tries next: due_at, or later when held or retried")
    state: str = Field(default="pending", max_length=16, description=" | ".join(REMINDER_STATES))
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    late_by_seconds: float | None = Field(default=None, description="how late the scheduler sent it: sent_at minus the planned attempt (due, held or retry time)")
    delivered_to: str | None = Field(default=None, max_length=64,
                                     description="resolved channel or user id the message was sent to")
    message: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True),
                                           description="the rendered notice, fixed when the reminder is claimed")
    message_ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=1000)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lane: str | None = Field(default=None, max_length=120,
                             description='rows of one lane reach Slack in id order, e.g. "incident:3" (its channel)')
    after_key: str | None = Field(default=None, max_length=200,
                                  description="key of a row that must be finished (sent, failed or cancelled) first")
    claimed_by: str | None = Field(default=None, max_length=64,
                                   description="the worker that claimed it (while 'sending'): its rows are resolved "
                                               "after a crash only once that worker is gone")
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)

