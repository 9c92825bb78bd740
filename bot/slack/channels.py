"""Channel operations of the Slack gateway: create (or adopt), invite, topic, pin, bookmark, look up by name.

Each one can be repeated without a second effect, because the outbox worker
repeats whatever a crash interrupted:

* ``create_channel`` with ``adopt_since`` first looks for a channel this bot
  created under the name since then that nobody joined yet (an earlier
  attempt whose answer was lost) and returns it; ``name_taken`` by anyone
  else adds a suffix (``-2``, ``-3`` …), never joins their channel;
* ``invite`` treats "already a member" as done and reports, per person, who
  could not be invited and Slack's reason;
* ``pin`` treats ``already_pinned`` as done; ``bookmark`` looks for the same
  title and link first; ``set_topic`` reads the topic first (Slack announces
  every change in the channel).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.clock import Clock, ensure_utc
from bot.ports import ChatError
from bot.slack import channel_names, readable
from bot.slack.blocks import TOPIC_LIMIT, topic as fit_topic
from bot.slack.client import pages
from bot.slack.mrkdwn import is_user_id, truncate

log = logging.getLogger(__name__)

FRESH_CHANNEL = timedelta(minutes=5)  # without a known first attempt: adopt only channels this recent
CHANNEL_ERRORS = frozenset({"channel_not_found", "is_archived", "not_in_channel", "restricted_action",
                            "method_not_supported_for_channel_type", "missing_scope", "not_authed", "invalid_auth"})


def retry_after(exc: Exception) -> float | None:
    """Seconds a 429 asked us to wait (``Retry-After``), if it said."""
    if not isinstance(exc, SlackApiError) or exc.response.status_code != 429:
        return None
    headers = exc.response.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def is_channel_id(name: str) -> bool:
    """``C0123ABC`` or ``G0123ABC`` (a channel's id), not a channel's name."""
    return name[:1] in ("C", "G") and name.upper() == name


def listed_channels(client: WebClient, *, archived: bool = False) -> Iterator[tuple[str, str]]:
    """(name, id) of every channel the bot can see, public and private (``conversations.list``, every page);
    ``archived``: archived ones too."""
    for page in pages(client.conversations_list, types="public_channel,private_channel", limit=1000,
                      exclude_archived=not archived):
        for channel in page.get("channels") or []:
            yield str(channel["name"]), str(channel["id"])


def transient(exc: Exception) -> bool:
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return isinstance(exc, (SlackClientError, OSError))


def chat_error(exc: Exception, what: str) -> ChatError:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str(exc.response.get("error") or f"http_{status}")
        return ChatError(f"Slack refused {what}: {code}", code=code, transient=transient(exc),
                         retry_after=retry_after(exc))
    return ChatError(f"Slack could not be reached for {what}: {exc}", code="connection", transient=True)


class SlackChannels:
    """The channel half of :class:`bot.slack.gateway.SlackGateway`."""

    client: WebClient
    clock: Clock
    invite_chunk: int
    send_attempts: int
    backoff: float
    _sleep: Callable[[float], None]
    _lock: threading.Lock
    people: Any  # bot.slack.people.SlackPeople: the names a topic shows

    def _init_channels(self) -> None:
        self._bot_user: str | None = None
        self._channel_ids: dict[str, str] = {}

    # --- creating ------------------------------------------------------------------

    def create_channel(self, name: str, *, private: bool, adopt_since: datetime | None = None) -> tuple[str, str]:
        base = channel_names.normalise(name)
        candidate, suffix, unsure = base, 2, 0
        while True:
            if adopt_since is not None:
                adopted = self._own_channel(candidate, adopt_since, strict=True)
                if adopted:
                    return adopted
            try:
                created = self.client.conversations_create(name=candidate, is_private=private)
                return created["channel"]["id"], created["channel"]["name"]
            except (SlackApiError, SlackClientError, OSError) as exc:
                code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
                if code == "name_taken":
                    if suffix > 50:
                        raise ChatError(f'every name from "{base}" to "{candidate}" is taken; archive old channels '
                                        "or change the playbook's channel template", code="name_taken") from exc
                    candidate, suffix = channel_names.with_suffix(base, suffix), suffix + 1
                    continue
                if not transient(exc) or unsure >= self.send_attempts - 1:
                    raise chat_error(exc, f'creating channel "{candidate}"') from exc
                # Slack may have created it before failing: adopt it only if it is provably ours and fresh
                unsure += 1
                since = adopt_since or ensure_utc(self.clock.now()) - FRESH_CHANNEL
                adopted = self._own_channel(candidate, since, strict=False)
                if adopted:
                    return adopted
                self._sleep(self.backoff * 2 ** (unsure - 1))

    def _own_channel(self, name: str, since: datetime, *, strict: bool) -> tuple[str, str] | None:
        """A channel named ``name`` this bot created since ``since`` that nobody joined yet.

        ``since`` is on the bot's clock, Slack's ``created`` on Slack's: compare how long ago, in real
        seconds (a drill's clock runs faster than Slack's). ``strict``: when Slack cannot be asked, raise
        (the caller must not create a second one) instead of answering "none"."""
        ago = (ensure_utc(self.clock.now()) - ensure_utc(since)).total_seconds()
        cutoff = time.time() - max(0.0, ago) / float(getattr(self.clock, "speed", 1.0) or 1.0)
        me = self.bot_user_id()
        if not me:  # no channel could be told to be ours: creating another might make a second one for good
            raise ChatError(f'could not ask Slack who the bot is (auth.test), so whether channel "{name}" was '
                            "created by an earlier attempt is not known; trying again later", code="auth_test_failed",
                            transient=True)
        try:
            for page in pages(self.client.conversations_list, types="public_channel,private_channel", limit=1000,
                              exclude_archived=True):
                for channel in page.get("channels") or []:
                    if (channel.get("name") == name and channel.get("creator") == me
                            and int(channel.get("created") or 0) >= cutoff and int(channel.get("num_members") or 0) <= 1):
                        return str(channel["id"]), name
        except (SlackApiError, SlackClientError, OSError) as exc:
            if strict:
                raise chat_error(exc, f'looking for channel "{name}" created by an earlier attempt') from exc
        return None

    def bot_user_id(self) -> str:
        """The bot's own user id (auth.test, once); empty when Slack cannot be asked."""
        if self._bot_user is None:
            try:
                self._bot_user = str(self.client.auth_test()["user_id"])
            except (SlackApiError, SlackClientError, OSError):
                return ""
        return self._bot_user

    # --- people ---------------------------------------------------------------------

    def invite(self, channel_id: str, user_ids: Sequence[str]) -> dict[str, str]:
        me = self.bot_user_id()
        wanted = [u for u in dict.fromkeys(user_ids) if is_user_id(u) and u != me]
        failed: dict[str, str] = {u: "user_not_found" for u in dict.fromkeys(user_ids) if not is_user_id(u)}
        for start in range(0, len(wanted), self.invite_chunk):
            chunk = wanted[start:start + self.invite_chunk]
            failed.update(self._invite_chunk(channel_id, chunk))
        return failed

    def _invite_chunk(self, channel_id: str, chunk: list[str]) -> dict[str, str]:
        try:
            self.client.conversations_invite(channel=channel_id, users=chunk)
            return {}
        except SlackApiError as exc:
            code = str(exc.response.get("error") or "")
            if transient(exc) or code in CHANNEL_ERRORS:
                raise chat_error(exc, "inviting people") from exc
        except (SlackClientError, OSError) as exc:
            raise chat_error(exc, "inviting people") from exc
        # Slack invites all or nobody: find out, one by one, who is in, who could not be and why.
        members = set(self._members(channel_id))
        failed: dict[str, str] = {}
        for user in [u for u in chunk if u not in members]:
            try:
                self.client.conversations_invite(channel=channel_id, users=[user])
            except SlackApiError as exc:
                code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
                if transient(exc) or code in CHANNEL_ERRORS:
                    raise chat_error(exc, "inviting people") from exc
                if code not in ("already_in_channel", "user_in_channel"):
                    failed[user] = code
            except (SlackClientError, OSError) as exc:
                raise chat_error(exc, "inviting people") from exc
        return failed

    def _members(self, channel_id: str) -> list[str]:
        try:
            return [m for page in pages(self.client.conversations_members, channel=channel_id, limit=1000)
                    for m in page.get("members") or []]
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise chat_error(exc, "listing channel members") from exc

    # --- the channel's furniture ---------------------------------------------------------

    def joining(self, channel_id: str, call: Callable[[], Any]) -> Any:
        """``call()``; in a public channel the bot is not in yet (one attached by hand), join and call again."""
        try:
            return call()
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel" or not channel_id.startswith("C"):
                raise
            self.client.conversations_join(channel=channel_id)
            return call()

    def set_topic(self, channel_id: str, topic: str) -> None:
        """Set the topic unless it already is that (Slack posts "set the channel topic" every time)."""
        text = fit_topic(readable.plain(topic, self.people.name))[:TOPIC_LIMIT]  # people by name: no mentions
        info = self._call("reading the channel", lambda: self.client.conversations_info(channel=channel_id))
        if ((info.get("channel") or {}).get("topic") or {}).get("value") == text:
            return  # set by an earlier attempt
        self._call("setting the topic", lambda: self.joining(
            channel_id, lambda: self.client.conversations_setTopic(channel=channel_id, topic=text)))

    def pin(self, channel_id: str, ts: str) -> None:
        try:
            self.joining(channel_id, lambda: self.client.pins_add(channel=channel_id, timestamp=ts))
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise chat_error(exc, "pinning a message") from exc
        except (SlackClientError, OSError) as exc:
            raise chat_error(exc, "pinning a message") from exc

    def bookmark(self, channel_id: str, title: str, url: str) -> None:
        title = truncate(title, 100)
        listed = self._call("listing bookmarks", lambda: self.client.bookmarks_list(channel_id=channel_id))
        if any(b.get("title") == title and b.get("link") == url for b in listed.get("bookmarks") or []):
            return  # added by an earlier attempt
        self._call("adding a bookmark", lambda: self.joining(channel_id, lambda: self.client.bookmarks_add(
            channel_id=channel_id, title=title, type="link", link=url)))

    # --- names ---------------------------------------------------------------------------

    def channel_id(self, name: str) -> str:
        """``#incidents`` or ``incidents`` -> its id (conversations.list, remembered); an id stays as it is."""
        name = name.lstrip("#")
        if is_channel_id(name):
            return name
        with self._lock:
            if name in self._channel_ids:
                return self._channel_ids[name]
        try:
            for listed, channel_id in listed_channels(self.client):
                with self._lock:
                    self._channel_ids[listed] = channel_id
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise chat_error(exc, f'looking up channel "#{name}"') from exc
        with self._lock:
            if name not in self._channel_ids:
                raise ChatError(f'channel "#{name}" not found; create it or fix the channel name in the configuration',
                                code="channel_not_found")
            return self._channel_ids[name]

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn(**kwargs)`` with Slack's failures as :class:`ChatError`."""
        try:
            return fn(**kwargs)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise chat_error(exc, what) from exc
