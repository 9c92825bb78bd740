"""Outbound ports of the core: what the domain asks of the outside world.

The core never imports Slack.  It speaks in :class:`Notice` objects (plain
text plus buttons) and asks a :class:`ChatPort` to create channels, post and
send direct messages.  The Slack adapter (``bot/slack/``) implements the port
against the Web API; tests use an in-memory fake; the drill uses the Slack
adapter against the local Slack double.

Every send takes a caller-chosen ``key``: the same key never produces a second
message (idempotency across retries, double clicks and restarts).  The core
never calls a port itself: it writes what it wants done as outbox rows
(:mod:`bot.outbox.effects`) and the delivery worker calls the port.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol, Sequence


# Stands for the incident's channel in a notice's text.  The outbox fills in the channel's id when it
# delivers the notice (the channel may not exist yet when the notice is written; see with_channel), and
# the Slack adapter shows that id as a link; plain text says "the incident channel".
INCIDENT_CHANNEL = "{incident_channel}"


@dataclass(frozen=True)
class Button:
    action: str  # stable action id, e.g. "page.ack"
    label: str
    value: str  # opaque ids only (e.g. "page:42"), never free text
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True)
class Notice:
    """A message in domain terms. All text is plain; the adapter escapes it."""

    kind: str  # "page", "deadline_nudge", "announcement", "status_update", "checklist", ...
    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str = ""
    mention_users: tuple[str, ...] = ()  # validated Slack user ids to @-mention
    mention_groups: tuple[str, ...] = ()  # Slack user-group handles (without @) to notify
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. {"incident": "42"}

    def as_text(self) -> str:
        """Plain-text rendering (fallback text, drill output, logs)."""
        out = [self.title, *(line.replace(INCIDENT_CHANNEL, "the incident channel") for line in self.lines)]
        if self.mention_groups:
            out.append("For: " + ", ".join(f"@{g}" for g in self.mention_groups))
        out += [f"{k}: {v.replace(INCIDENT_CHANNEL, 'the incident channel')}" for k, v in self.fields]
        if self.buttons:
            out.append("[" + "] [".join(b.label for b in self.buttons) + "]")
        if self.footer:
            out.append(self.footer)
        return "\n".join(out)


def with_channel(notice: Notice, channel_id: str | None) -> Notice:
    """``notice`` with :data:`INCIDENT_CHANNEL` made the channel's id (shown as a link by the adapter)."""
    value = channel_id or "its channel (being created)"
    texts = [notice.title, notice.footer, *notice.lines, *(v for _, v in notice.fields)]
    if not any(INCIDENT_CHANNEL in t for t in texts):
        return notice

    def fill(text: str) -> str:
        return text.replace(INCIDENT_CHANNEL, value)

    return replace(notice, title=fill(notice.title), footer=fill(notice.footer), lines=tuple(map(fill, notice.lines)),
                   fields=tuple((k, fill(v)) for k, v in notice.fields))


class ChatError(Exception):
    """A chat operation failed. ``transient``: worth trying again later (rate limit, 5xx, network);
    ``retry_after``: seconds the chat asked us to wait (HTTP 429 ``Retry-After``), if it said."""

    def __init__(self, message: str, *, code: str = "", transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient
        self.retry_after = retry_after


class ChatPort(Protocol):
    def create_channel(self, name: str, *, private: bool, adopt_since: datetime | None = None) -> tuple[str, str]:
        """Create a channel; on a name collision add a suffix (never reuse). Returns (id, final name).

        ``adopt_since``: an earlier attempt may have created it without us hearing the answer; first look
        for a channel this bot created under ``name`` since then, still empty, and return that one."""

    def invite(self, channel_id: str, user_ids: Sequence[str]) -> dict[str, str]:
        """Add people to a channel (already a member counts as added). Returns who could not be added
        and why (Slack user id -> error code, e.g. ``user_not_found``); empty when everyone is in."""

    def channel_id(self, name: str) -> str:
        """The id of a channel given by name (``#incidents`` or ``incidents``) or already by id."""

    def reply(self, to: dict[str, Any], notice: Notice, *, key: str) -> str:
        """Answer the person who asked (``to``: ``response_url``, ``user``, ``channel``), once per key:
        ephemerally where Slack allows, else as a direct message."""

    def post(self, channel_id: str, notice: Notice, *, key: str) -> str:
        """Post to a channel; returns the message timestamp. Same key -> same message, sent once."""

    def expect_posts(self, channel_ids: Sequence[str]) -> None:
        """Messages are about to be posted to these channels (the outbox just claimed them): an adapter that
        paces posts may take their slots now, together. Doing nothing is correct; the posts pace themselves."""

    def direct_message(self, user_id: str, notice: Notice, *, key: str) -> str:
        """Send a DM; returns the message timestamp. Same key -> same message, sent once."""

    def update(self, channel_id: str, ts: str, notice: Notice) -> None: ...

    def set_topic(self, channel_id: str, topic: str) -> None: ...

    def pin(self, channel_id: str, ts: str) -> None: ...

    def bookmark(self, channel_id: str, title: str, url: str) -> None:
        """Add a link bookmark; a bookmark with the same title and link already there counts as added."""

    def user_timezone(self, user_id: str) -> str | None:
        """IANA zone of a user if known (Slack profile), else None."""

    def find_sent(self, target: str, key: str) -> str | None:
        """Timestamp of a message already sent under ``key`` to a channel or user, looked up on the
        chat side (message metadata), or None. Used after a crash between sending and recording."""
