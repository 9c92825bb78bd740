"""What each person would have seen in Slack, in simulated time.

:class:`RecordingChat` sits between the core and the Slack gateway (which talks
to the local Slack double over HTTP) and notes every message with the
simulated instant it was sent, once per idempotency key.  :func:`render`
turns an entry into the text a reader would have seen, with times in the
reader's own zone.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from bot.clock import Clock
from bot.ports import Notice
from bot.slack.blocks import BUTTON_TEXT_LIMIT
from bot.slack.mrkdwn import truncate
from bot.slack.readable import INSTANT, instant
from bot.slack.replies import local


@dataclass(frozen=True)
class Entry:
    at: datetime
    audience: str  # "#channel-name" or "DM to <person>"
    zone: str  # the reader's zone
    notice: Notice
    key: str
    direct: bool
    to: str  # channel id or Slack user id


class RecordingChat:
    """A ChatPort that records what was sent (by key, once) and delegates to the real gateway."""

    def __init__(self, inner: Any, clock: Clock, *, describe_user: Callable[[str], tuple[str, str]],
                 default_zone: str) -> None:
        self._inner = inner
        self._clock = clock
        self._describe_user = describe_user  # slack id -> (label, zone)
        self._default_zone = default_zone
        self._channels: dict[str, str] = {}
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self.entries: list[Entry] = []

    def __getattr__(self, name: str) -> Any:  # the rest of the gateway (client, find_sent, ...)
        return getattr(self._inner, name)

    def create_channel(self, name: str, *, private: bool, adopt_since: Any = None) -> tuple[str, str]:
        channel_id, final = self._inner.create_channel(name, private=private, adopt_since=adopt_since)
        with self._lock:
            self._channels[channel_id] = final
        return channel_id, final

    def channel_label(self, channel_id: str) -> str:
        with self._lock:
            name = self._channels.get(channel_id)
        if name is None:
            info = self._inner.client.conversations_info(channel=channel_id)
            name = info["channel"]["name"]
            with self._lock:
                self._channels[channel_id] = name
        return f"#{name}"

    def _record(self, to: str, notice: Notice, key: str, direct: bool) -> None:
        if direct:
            label, zone = self._describe_user(to)
            audience = f"DM to {label}"
        else:
            audience, zone = self.channel_label(to), self._default_zone
        with self._lock:
            if key in self._keys:
                return
            self._keys.add(key)
            self.entries.append(Entry(self._clock.now(), audience, zone, notice, key, direct, to))

    def post(self, channel_id: str, notice: Notice, *, key: str) -> str:
        ts = self._inner.post(channel_id, notice, key=key)
        self._record(channel_id, notice, key, False)
        return ts

    def direct_message(self, user_id: str, notice: Notice, *, key: str) -> str:
        ts = self._inner.direct_message(user_id, notice, key=key)
        self._record(user_id, notice, key, True)
        return ts

    def since(self, index: int) -> Sequence[Entry]:
        with self._lock:
            return list(self.entries[index:])


_USER_ID = re.compile(r"\b[UW][A-Z0-9]{8,}\b")
_CHANNEL_ID = re.compile(r"\b[CG](?=[A-Z0-9]*\d)[A-Z0-9]{6,}\b")
_INSTANT = re.compile(rf"(?<![\d-]){INSTANT}(?![\d:])")  # as Slack shows it: in the reader's zone


def in_zone(text: str, zone: str) -> str:
    """``text`` with every ISO instant in it written in ``zone`` (the reader's), as Slack shows them."""
    return _INSTANT.sub(lambda m: local(instant(m.group(0)), zone), text)


def render(entry: Entry, name_of: Callable[[str], str], channel_of: Callable[[str], str] | None = None) -> str:
    """One message as text: when (reader's zone), where, then the message body indented.
    Slack shows user ids as names and channel ids as links named after the channel; so does the transcript."""
    n = entry.notice
    head = f"[{local(entry.at, entry.zone)}] {entry.audience}"
    mentions = " ".join([f"@{name_of(u)}" for u in n.mention_users] + [f"@{g}" for g in n.mention_groups])
    body = [n.title + (f"  {mentions}" if mentions else "")]
    body += [line for line in n.lines if line]
    body += [f"{k}: {v}" for k, v in n.fields]
    if n.buttons:
        body.append("[" + "] [".join(truncate(b.label, BUTTON_TEXT_LIMIT) for b in n.buttons) + "]")  # as Slack shows them
    if n.footer:
        body.append(n.footer)
    text = "\n".join("    " + line for part in body for line in part.splitlines())
    text = in_zone(text, entry.zone)
    text = _USER_ID.sub(lambda m: "@" + name_of(m.group(0)), text)
    if channel_of is not None:
        text = _CHANNEL_ID.sub(lambda m: channel_of(m.group(0)), text)
    return head + "\n" + text
