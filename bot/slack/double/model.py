"""The state of the Slack Web API double: users, channels, members, messages, pins, bookmarks, views.

It behaves like Slack where the bot depends on it: channel names are unique
and validated (``name_taken``, ``invalid_name_*``), topics over 250 characters
are ``too_long``, pins are unique (``already_pinned``), inviting a member
again is ``already_in_channel``, messages get increasing ``ts`` values and
keep their ``metadata`` (an edited one is marked ``edited``, history is read
newest first a page at a time by ``cursor``), Block Kit limits are checked
(``invalid_blocks``).

Every method takes the merged request parameters and returns the response
body; Slack's ``ok: false`` errors are raised as :class:`ApiError`.
"""

from __future__ import annotations

import base64
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.slack.double.checks import BOOKMARKS_LIMIT, TOPIC_LIMIT, ApiError, as_dict, as_flag, as_list, check_blocks

BOT_USER_ID = "UBOT00001"
TEAM_ID = "T0DOUBLE1"
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")


@dataclass
class User:
    id: str
    name: str
    tz: str | None = "UTC"
    is_bot: bool = False

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "real_name": self.name, "is_bot": self.is_bot,
                                "team_id": TEAM_ID, "profile": {"real_name": self.name, "display_name": self.name}}
        if self.tz:
            data["tz"] = self.tz
        return data


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    edits: int = 0
    edited_ts: str | None = None  # when it was last edited (chat.update), as Slack marks an edited message

    def as_json(self, *, with_metadata: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user, "text": self.text,
                                "blocks": self.blocks}
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.edited_ts:
            data["edited"] = {"user": self.user, "ts": self.edited_ts}
        if with_metadata and self.metadata:
            data["metadata"] = self.metadata
        return data


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    is_im: bool = False
    creator: str = BOT_USER_ID
    created: int = field(default_factory=lambda: int(time.time()))
    members: list[str] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""
    pins: list[str] = field(default_factory=list)
    bookmarks: list[dict[str, str]] = field(default_factory=list)
    made_at: float = field(default_factory=time.monotonic)  # for tests: ordering against the double's call log

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "is_channel": not self.is_im and not self.is_private,
                "is_group": self.is_private, "is_im": self.is_im, "is_private": self.is_private,
                "creator": self.creator, "created": self.created, "num_members": len(self.members),
                "topic": {"value": self.topic}, "purpose": {"value": self.purpose}}


class SlackModel:
    """Thread-safe workspace state. One lock: the double is for tests and drills, not for speed."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {BOT_USER_ID: User(BOT_USER_ID, "incident-bot", None, is_bot=True)}
        self.channels: dict[str, Channel] = {}
        self.messages: list[Message] = []
        self.views: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.lenient_users = False  # accept any well-formed user id (standalone runs without a user list)
        self.usergroups: dict[str, str] = {}  # handle -> id
        self._ids = itertools.count(1)
        self._last_ts = 0.0

    # --- seeding ------------------------------------------------------------

    def add_user(self, user_id: str, name: str | None = None, tz: str | None = "UTC") -> User:
        with self.lock:
            user = User(user_id, name or user_id.lower(), tz)
            self.users[user_id] = user
            return user

    def add_usergroup(self, handle: str) -> str:
        with self.lock:
            self.usergroups[handle] = self.usergroups.get(handle) or self._new_id("S")
            return self.usergroups[handle]

    def usergroups_list(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {"usergroups": [{"id": i, "handle": h, "name": h} for h, i in self.usergroups.items()]}

    def add_channel(self, name: str, *, private: bool = False, members: list[str] | None = None) -> Channel:
        with self.lock:
            return self._create(name, private, members or [BOT_USER_ID])

    # --- helpers -------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def _user(self, user_id: Any) -> User:
        if not isinstance(user_id, str) or not user_id:
            raise ApiError("user_not_found")
        if user_id not in self.users:
            if self.lenient_users and re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
                return self.add_user(user_id)
            raise ApiError("user_not_found")
        return self.users[user_id]

    def _channel(self, channel_id: Any) -> Channel:
        channel = self.channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def _create(self, name: str, private: bool, members: list[str]) -> Channel:
        if not name:
            raise ApiError("invalid_name_required")
        if len(name) > 80:
            raise ApiError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise ApiError("invalid_name_specials")
        if any(c.name == name for c in self.channels.values() if not c.is_im):
            raise ApiError("name_taken")
        channel = Channel(self._new_id("G" if private else "C"), name, private, members=list(members))
        self.channels[channel.id] = channel
        return channel

    def channel_by_name(self, name: str) -> Channel | None:
        with self.lock:
            return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def messages_in(self, channel_id: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m.channel == channel_id]

    def dm_channel(self, user_id: str) -> Channel | None:
        with self.lock:
            return next((c for c in self.channels.values() if c.is_im and c.members == [BOT_USER_ID, user_id]), None)

    # --- Web API methods --------------------------------------------------------

    def auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://double.slack.test/", "team": "Double", "user": "incident-bot", "team_id": TEAM_ID,
                "user_id": BOT_USER_ID, "bot_id": "BDOUBLE01", "is_enterprise_install": False}

    def users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user(p.get("user")).as_json()}

    def conversations_create(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._create(str(p.get("name") or ""), as_flag(p.get("is_private")), [BOT_USER_ID]).as_json()}

    def conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel(p.get("channel")).as_json()}

    def conversations_list(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"channels": [c.as_json() for c in self.channels.values() if not c.is_im],
                "response_metadata": {"next_cursor": ""}}

    def conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"members": list(self._channel(p.get("channel")).members), "response_metadata": {"next_cursor": ""}}

    def conversations_invite(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p.get("channel"))
        users = [u for u in str(p.get("users") or "").split(",") if u]
        if not users:
            raise ApiError("no_user")
        if len(users) > 1000:
            raise ApiError("too_many_users")
        for user_id in users:  # all or nothing, like Slack without force=true
            self._user(user_id)
            if user_id == BOT_USER_ID:
                raise ApiError("cant_invite_self")
            if user_id in channel.members:
                raise ApiError("already_in_channel", errors=[{"user": user_id, "ok": False, "error": "already_in_channel"}])
        channel.members.extend(users)
        return {"channel": channel.as_json()}

    def _set_channel_text(self, p: dict[str, Any], field: str) -> dict[str, Any]:
        """conversations.setTopic / setPurpose: the same check and store, for ``field`` "topic" or "purpose"."""
        channel = self._channel(p.get("channel"))
        text = str(p.get(field) or "")
        if len(text) > TOPIC_LIMIT:
            raise ApiError("too_long")
        setattr(channel, field, text)
        return {"channel": channel.as_json()}

    def conversations_set_topic(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._set_channel_text(p, "topic")

    def conversations_set_purpose(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._set_channel_text(p, "purpose")

    def conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(p.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise ApiError("invalid_arguments" if users else "users_list_not_supplied")
        user = self._user(users[0])
        channel = self.dm_channel(user.id)
        if channel is None:
            channel = Channel(self._new_id("D"), f"dm-{user.id.lower()}", True, is_im=True, members=[BOT_USER_ID, user.id])
            self.channels[channel.id] = channel
        return {"channel": {"id": channel.id}}

    def conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        """Newest first, ``limit`` at a time (at most 999); ``oldest``/``latest`` bound the time range; with more
        to read, ``has_more`` and ``response_metadata.next_cursor`` for the next call's ``cursor``, as Slack."""
        channel = self._channel(p.get("channel"))
        limit = min(int(p.get("limit") or 100), 999)
        oldest = float(p.get("oldest") or 0)
        latest = float(p.get("latest") or "inf")
        found = [m for m in self.messages
                 if m.channel == channel.id and oldest < float(m.ts) < latest and not m.thread_ts]
        found.reverse()  # newest first, like Slack
        if p.get("cursor"):
            start = _cursor_ts(str(p["cursor"]))
            found = [m for m in found if float(m.ts) <= start]
        with_metadata = as_flag(p.get("include_all_metadata"))
        answer: dict[str, Any] = {"messages": [m.as_json(with_metadata=with_metadata) for m in found[:limit]],
                                  "has_more": len(found) > limit}
        if len(found) > limit:
            answer["response_metadata"] = {"next_cursor": _cursor_for(found[limit].ts)}
        return answer

    def chat_post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        target = p.get("channel")
        if isinstance(target, str) and target.startswith(("U", "W")):  # posting to a user id opens the DM
            target = self.conversations_open({"users": target})["channel"]["id"]
        channel = self._channel(target)
        if BOT_USER_ID not in channel.members and channel.is_private:
            raise ApiError("not_in_channel")
        blocks = as_list(p.get("blocks"))
        text = str(p.get("text") or "")
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > 40000:
            raise ApiError("msg_too_long")
        check_blocks(blocks)
        message = Message(channel.id, self._next_ts(), BOT_USER_ID, text, blocks, as_dict(p.get("metadata")),
                          p.get("thread_ts") or None)
        self.messages.append(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.as_json(with_metadata=True)}

    def chat_post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        self._channel(p.get("channel"))
        self._user(p.get("user"))
        return {"message_ts": self._next_ts()}

    def chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p.get("channel"))
        message = next((m for m in self.messages if m.channel == channel.id and m.ts == p.get("ts")), None)
        if message is None:
            raise ApiError("message_not_found")
        blocks = as_list(p.get("blocks"))
        check_blocks(blocks)
        message.text = str(p.get("text") or message.text)
        message.blocks = blocks or message.blocks
        if p.get("metadata"):
            message.metadata = as_dict(p.get("metadata"))
        message.edits += 1
        message.edited_ts = self._next_ts()
        return {"channel": channel.id, "ts": message.ts, "text": message.text}

    def pins_add(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p.get("channel"))
        ts = p.get("timestamp")
        if not any(m.channel == channel.id and m.ts == ts for m in self.messages):
            raise ApiError("message_not_found")
        if ts in channel.pins:
            raise ApiError("already_pinned")
        channel.pins.append(str(ts))
        return {}

    def bookmarks_add(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p.get("channel_id"))
        if len(channel.bookmarks) >= BOOKMARKS_LIMIT:
            raise ApiError("too_many_bookmarks")
        if not p.get("title") or p.get("type") != "link" or not p.get("link"):
            raise ApiError("invalid_arguments")
        bookmark = {"id": self._new_id("Bk"), "title": str(p["title"]), "link": str(p["link"]), "type": "link"}
        channel.bookmarks.append(bookmark)
        return {"bookmark": bookmark}

    def bookmarks_list(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"bookmarks": list(self._channel(p.get("channel_id")).bookmarks)}

    def conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(p.get("channel"))
        if channel.is_private or channel.is_im:
            raise ApiError("method_not_supported_for_channel_type")
        if BOT_USER_ID not in channel.members:
            channel.members.append(BOT_USER_ID)
        return {"channel": channel.as_json()}

    def views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            raise ApiError("invalid_arguments")
        view = as_dict(p.get("view")) or {}
        check_blocks(view.get("blocks") or [], limit=100)
        stored = {"id": self._new_id("V"), "trigger_id": p["trigger_id"], **view}
        self.views.append(stored)
        return {"view": stored}

    def views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view = as_dict(p.get("view")) or {}
        check_blocks(view.get("blocks") or [], limit=100)
        stored = {"id": p.get("view_id") or self._new_id("V"), **view}
        self.views.append(stored)
        return {"view": stored}

    def views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._user(p.get("user_id"))
        view = as_dict(p.get("view")) or {}
        if view.get("type") != "home":
            raise ApiError("invalid_arguments")
        check_blocks(view.get("blocks") or [], limit=100)
        self.home_views[user.id] = view
        return {"view": {"id": self._new_id("V"), **view}}

    def methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": self.auth_test,
            "users.info": self.users_info,
            "usergroups.list": self.usergroups_list,
            "conversations.create": self.conversations_create,
            "conversations.info": self.conversations_info,
            "conversations.list": self.conversations_list,
            "conversations.members": self.conversations_members,
            "conversations.invite": self.conversations_invite,
            "conversations.setTopic": self.conversations_set_topic,
            "conversations.setPurpose": self.conversations_set_purpose,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "pins.add": self.pins_add,
            "bookmarks.add": self.bookmarks_add,
            "bookmarks.list": self.bookmarks_list,
            "conversations.join": self.conversations_join,
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.push": self.views_open,
            "views.publish": self.views_publish,
        }


def _cursor_for(ts: str) -> str:
    """An opaque cursor as Slack's look (base64 of ``next_ts:<ts>``)."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _cursor_ts(cursor: str) -> float:
    try:
        prefix, _, ts = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix != "next_ts":
            raise ValueError(cursor)
        return float(ts)
    except ValueError:
        raise ApiError("invalid_cursor") from None
