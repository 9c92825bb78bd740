"""Reading the audit channel back: the checkpoints the bot published there, as Slack keeps them.

``incident-bot audit published`` calls :func:`published_checkpoints`: ``conversations.history`` page by page
(``cursor``, with the messages' metadata), every message of the bot (``auth.test``) whose metadata names an
audit checkpoint (:mod:`bot.audit.published`), with Slack's timestamp and whether it was edited.  Needs the bot token and the
``channels:history`` (``groups:history`` for a private channel) scope the manifest already has.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.audit.published import Published, from_metadata
from bot.slack.channels import is_channel_id, listed_channels
from bot.slack.client import pages
from bot.slack.gateway import METADATA_EVENT

HISTORY_PAGE = 200  # messages per conversations.history call (Slack allows up to 999; fewer is kinder to its limits)


class AuditChannelProblem(Exception):
    """The audit channel could not be read (not found, no access, Slack unreachable)."""


def _channel_id(client: WebClient, channel: str) -> str:
    name = channel.lstrip("#")
    if is_channel_id(name):
        return name
    for listed, channel_id in listed_channels(client, archived=True):  # an archived audit channel still counts
        if listed == name:
            return channel_id
    raise AuditChannelProblem(f'channel "#{name}" not found (or the bot cannot see it: invite it to a private one)')


def published_in(messages: list[dict[str, Any]], bot_user: str) -> list[Published]:
    """The checkpoints among ``messages`` (as conversations.history returns them) that ``bot_user`` posted, in
    the order given: another app's message with the same metadata is not the bot's word."""
    out = []
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") != METADATA_EVENT or message.get("user") != bot_user:
            continue
        item = from_metadata(metadata.get("event_payload") or {}, str(message.get("ts", "")),
                             bool(message.get("edited")))
        if item is not None:
            out.append(item)
    return out


def published_checkpoints(client: WebClient, channel: str, *, page_size: int | None = None) -> list[Published]:
    """Every checkpoint published in ``channel`` (a name or an id), oldest first."""
    try:
        bot_user = str(client.auth_test()["user_id"])
        channel_id = _channel_id(client, channel)
        found: list[Published] = []
        for page in pages(client.conversations_history, channel=channel_id, include_all_metadata=True,
                          limit=page_size or HISTORY_PAGE):
            found += published_in(page.get("messages") or [], bot_user)
    except (SlackApiError, SlackClientError, OSError) as exc:
        detail = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        raise AuditChannelProblem(f"could not read #{channel.lstrip('#')} from Slack: {detail}") from None
    return sorted(found, key=lambda p: (float(p.ts or 0), p.seq))
