"""Messages the Slack adapter has sent under an idempotency key.

A row is claimed (``ts`` empty) before the message is sent and completed with
the message timestamp afterwards.  The same key never produces a second
message: a replay returns the stored ``ts``; a claim left behind by a crash is
resolved by looking the key up in the channel's history (the key travels as
message metadata).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime


class SentMessage(SQLModel, table=True):
    __tablename__ = "slack_sent_message"

    key: str = Field(primary_key=True, max_length=200, description="caller's idempotency key")
    target: str = Field(max_length=64, description="channel id or user id as the caller gave it")
    channel_id: str | None = Field(default=None, max_length=32, description="channel (or DM) it was posted in")
    ts: str | None = Field(default=None, max_length=32, description="Slack message timestamp once sent")
    claimed_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ChannelPace(SQLModel, table=True):
    """Slack's pace per channel, shared by every process that posts (:mod:`bot.slack.shared_pace`): one row per
    channel recently posted to, holding the generic cell rate algorithm's theoretical arrival time."""

    __tablename__ = "slack_channel_pace"

    channel: str = Field(primary_key=True, max_length=64, description="channel (or DM) id")
    tat: float = Field(description="when the next message would be due at the steady rate (seconds since the "
                                   "epoch, by the database's clock)")
    taken_at: float = Field(description="when the last message was allowed (same clock)")
