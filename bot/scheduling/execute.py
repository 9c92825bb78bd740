"""Doing a claimed row in Slack through the :class:`~bot.ports.ChatPort`: the only place the worker calls it.

The claim stored what to do in ``row.message``: a notice to send (``op``
absent or ``send``), or an operation with its arguments (``op`` =
``create_channel``, ``invite``, ``topic``, ``pin``, ``bookmark``, ``update``,
``reply``).  Every operation may be repeated after a crash without a second
effect in Slack:

* messages carry the row key; a message tried before (a failure that may
  have reached Slack) is looked up by its key before it is sent again;
* a channel is looked up by name first when an earlier attempt may have
  created it (``adopt_since``), so it is never created twice;
* invites, topics, pins, bookmarks and updates end in the same state when
  done twice (the adapter treats "already there" as done);
* a reply to a person (``response_url``) cannot be looked up: after a crash in
  the middle of one it is sent again (at least once), never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.outbox.notice_codec import notice_from_json, notice_to_json
from bot.outbox.tables import Reminder
from bot.ports import ChatPort
from bot.scheduling.wanted import Act, Send

ADOPT_MARGIN = timedelta(minutes=1)  # clock difference between us and Slack tolerated when adopting a channel


@dataclass(frozen=True)
class Done:
    """What Slack answered: a message timestamp (or the created channel's id) and operation details."""

    ts: str
    result: dict[str, Any] = field(default_factory=dict)


def claimed_message(outcome: Send | Act) -> dict[str, Any]:
    """What the claim stores so a recovery repeats exactly the same thing."""
    if isinstance(outcome, Send):
        return {**notice_to_json(outcome.notice), "direct": outcome.direct}
    return {"op": outcome.operation, "args": dict(outcome.args)}


def as_claimed(row: Reminder) -> Send | Act:
    """What an earlier claim of ``row`` stored, as an outcome to claim again unchanged."""
    message = dict(row.message or {})
    op = message.pop("op", "send")
    message.pop("result", None)
    if op == "send":
        direct = bool(message.pop("direct", False))
        return Send(row.delivered_to or "", notice_from_json(message), direct)
    return Act(op, row.delivered_to or "", dict(message.get("args") or {}))


def is_message(row: Reminder) -> bool:
    return (row.message or {}).get("op", "send") == "send"


def posted_to(row: Reminder) -> str | None:
    """The channel id a claimed row posts a message to, or None (a direct message, an operation, or a channel
    still named by ``#name``, whose id only the chat can look up)."""
    message = row.message or {}
    address = row.delivered_to or ""
    if message.get("op", "send") != "send" or message.get("direct") or not address or address.startswith("#"):
        return None
    return address


def _channel(chat: ChatPort, address: str) -> str:
    return chat.channel_id(address) if address.startswith("#") else address


def perform(chat: ChatPort, row: Reminder, *, recovering: bool = False) -> Done:
    message = dict(row.message or {})
    op = message.pop("op", "send")
    address = row.delivered_to or ""
    if op == "send":
        direct = bool(message.pop("direct", False))
        notice = notice_from_json(message)
        if row.attempts > 1:  # an earlier attempt failed in a way that may have reached Slack
            found = find_done(chat, row)
            if found:
                return Done(found)
        if direct:
            return Done(chat.direct_message(address, notice, key=row.key))
        return Done(chat.post(_channel(chat, address), notice, key=row.key))
    args = message.get("args") or {}
    if op == "create_channel":
        # An earlier attempt (or the process that crashed) may have created it without hearing the answer.
        adopt = row.created_at - ADOPT_MARGIN if (recovering or row.attempts > 1) else None
        channel_id, name = chat.create_channel(str(args["name"]), private=bool(args.get("private")), adopt_since=adopt)
        return Done(channel_id, {"id": channel_id, "name": name})
    if op == "invite":
        failed = chat.invite(address, [str(u) for u in args.get("users") or []]) or {}
        return Done("", {"failed": dict(failed)})
    if op == "topic":
        chat.set_topic(address, str(args["topic"]))
        return Done("")
    if op == "pin":
        chat.pin(address, str(args["ts"]))
        return Done(str(args["ts"]))
    if op == "bookmark":
        chat.bookmark(address, str(args["title"]), str(args["url"]))
        return Done("")
    if op == "update":
        chat.update(address, str(args["ts"]), notice_from_json(args["notice"]))
        return Done(str(args["ts"]))
    if op == "reply":
        return Done(chat.reply(dict(args["to"]), notice_from_json(args["notice"]), key=row.key) or "")
    raise ValueError(f"expected a known outbox operation, got {op!r}")


def find_done(chat: ChatPort, row: Reminder) -> str | None:
    """After a crash: the timestamp of a message that reached Slack under the row's key, or None."""
    if not row.delivered_to:
        return None
    return chat.find_sent(row.delivered_to, row.key)
