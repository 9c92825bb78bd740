"""``SlackGateway``: the :class:`bot.ports.ChatPort` on Slack's Web API.

* Idempotent sends: ``post`` and ``direct_message`` claim their key in
  ``slack_sent_message`` first, send with the key as message metadata, then
  store the timestamp.  A replay returns the stored timestamp.  When a send
  fails in a way that may or may not have reached Slack (5xx, dropped
  connection), the gateway looks the key up in the channel history before
  trying again, so a message is never posted twice.
* Channels: names validated locally; ``name_taken`` adds a suffix (``-2``,
  ``-3``...), never joins an existing channel.  After an ambiguous failure (5xx,
  dropped connection) the only channel ever adopted is one this bot created in
  the last minutes under that exact name with nobody in it yet.
* Rate limits and 5xx are retried by slack-sdk's handlers (:mod:`bot.slack.retries`); with a
  :class:`~bot.slack.pacing.ChannelPacer` posts are paced per channel (a short burst, then about
  one per second); ``serve`` uses one.
* Failures after retries raise :class:`bot.ports.ChatError` with Slack's code.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock, ensure_utc
from bot.ports import ChatError, Notice
from bot.slack import channel_names
from bot.slack.blocks import TOPIC_LIMIT, Rendered, render, topic as fit_topic
from bot.slack.client import pages
from bot.slack.mrkdwn import is_user_id, truncate
from bot.slack.pacing import ChannelPacer
from bot.slack.tables import SentMessage
from bot.store.database import Store

log = logging.getLogger(__name__)

METADATA_EVENT = "incident_bot_message"
HISTORY_SCAN_LIMIT = 200
STALE_CLAIM = timedelta(seconds=30)
GROUPS_TTL_SECONDS = 900.0  # user groups change rarely; re-list them every 15 minutes
FRESH_CHANNEL = timedelta(minutes=5)


def _chat_error(exc: Exception, what: str) -> ChatError:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str(exc.response.get("error") or f"http_{status}")
        return ChatError(f"Slack refused {what}: {code}", code=code, transient=_transient(exc))
    return ChatError(f"Slack could not be reached for {what}: {exc}", code="connection", transient=True)


def _transient(exc: Exception) -> bool:
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return isinstance(exc, (SlackClientError, OSError))


class SlackGateway:
    def __init__(self, client: WebClient, store: Store, clock: Clock, *, invite_chunk: int = 100,
                 send_attempts: int = 4, backoff: float = 0.2, sleep: Callable[[float], None] = time.sleep,
                 pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.invite_chunk = invite_chunk
        self.send_attempts = send_attempts
        self.backoff = backoff
        self._sleep = sleep
        self.pacer = pacer  # None: no pacing (simulated time in drills); ``serve`` paces by real time
        self._dm_channels: dict[str, str] = {}
        self._zones: dict[str, str | None] = {}
        self._bot_user: str | None = None
        self._groups: dict[str, str] | None = None
        self._groups_listed_at = 0.0
        self._lock = threading.Lock()

    # --- channels -------------------------------------------------------------

    def create_channel(self, name: str, *, private: bool) -> tuple[str, str]:
        base = channel_names.normalise(name)
        candidate, suffix, unsure = base, 2, 0
        while True:
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
                if not _transient(exc) or unsure >= self.send_attempts - 1:
                    raise _chat_error(exc, f'creating channel "{candidate}"') from exc
                # Slack may have created it before failing: adopt it only if it is provably ours and fresh
                unsure += 1
                adopted = self._own_fresh_channel(candidate)
                if adopted:
                    return adopted
                self._sleep(self.backoff * 2 ** (unsure - 1))

    def _own_fresh_channel(self, name: str) -> tuple[str, str] | None:
        """A channel named ``name`` that this bot created within the last minutes and nobody joined yet."""
        cutoff = ensure_utc(self.clock.now()).timestamp() - FRESH_CHANNEL.total_seconds()
        try:
            for page in pages(self.client.conversations_list, types="public_channel,private_channel", limit=1000,
                              exclude_archived=True):
                for channel in page.get("channels") or []:
                    if (channel.get("name") == name and channel.get("creator") == self.bot_user_id()
                            and int(channel.get("created") or 0) >= cutoff and int(channel.get("num_members") or 0) <= 1):
                        return str(channel["id"]), name
        except (SlackApiError, SlackClientError):
            pass
        return None

    def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        me = self.bot_user_id()
        wanted = [u for u in dict.fromkeys(user_ids) if is_user_id(u) and u != me]
        for start in range(0, len(wanted), self.invite_chunk):
            chunk = wanted[start:start + self.invite_chunk]
            try:
                self.client.conversations_invite(channel=channel_id, users=chunk)
            except SlackApiError as exc:
                if exc.response.get("error") not in ("already_in_channel", "user_in_channel"):
                    raise _chat_error(exc, "inviting people") from exc
                members = set(self._members(channel_id))
                rest = [u for u in chunk if u not in members]
                if rest:
                    try:
                        self.client.conversations_invite(channel=channel_id, users=rest)
                    except SlackApiError as again:
                        raise _chat_error(again, "inviting people") from again
            except SlackClientError as exc:
                raise _chat_error(exc, "inviting people") from exc

    def _members(self, channel_id: str) -> list[str]:
        return [m for page in pages(self.client.conversations_members, channel=channel_id, limit=1000)
                for m in page.get("members") or []]

    def bot_user_id(self) -> str:
        """The bot's own user id (auth.test, once); empty when Slack cannot be asked."""
        if self._bot_user is None:
            try:
                self._bot_user = str(self.client.auth_test()["user_id"])
            except (SlackApiError, SlackClientError):
                return ""
        return self._bot_user

    def set_topic(self, channel_id: str, topic: str) -> None:
        self._call("setting the topic", self.client.conversations_setTopic, channel=channel_id,
                   topic=fit_topic(topic)[:TOPIC_LIMIT])

    def pin(self, channel_id: str, ts: str) -> None:
        try:
            self.client.pins_add(channel=channel_id, timestamp=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise _chat_error(exc, "pinning a message") from exc
        except SlackClientError as exc:
            raise _chat_error(exc, "pinning a message") from exc

    def bookmark(self, channel_id: str, title: str, url: str) -> None:
        self._call("adding a bookmark", self.client.bookmarks_add, channel_id=channel_id,
                   title=truncate(title, 100), type="link", link=url)

    def user_timezone(self, user_id: str) -> str | None:
        with self._lock:
            if user_id in self._zones:
                return self._zones[user_id]
        try:
            zone = self.client.users_info(user=user_id)["user"].get("tz")
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                zone = None
            else:
                raise _chat_error(exc, "reading a user's time zone") from exc
        except SlackClientError as exc:
            raise _chat_error(exc, "reading a user's time zone") from exc
        with self._lock:
            self._zones[user_id] = zone
        return zone

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except (SlackApiError, SlackClientError) as exc:
            raise _chat_error(exc, what) from exc

    # --- messages ---------------------------------------------------------------

    def post(self, channel_id: str, notice: Notice, *, key: str) -> str:
        return self._send_once(channel_id, channel_id, notice, key)

    def direct_message(self, user_id: str, notice: Notice, *, key: str) -> str:
        return self._send_once(user_id, self._dm_channel(user_id), notice, key)

    def group_ids(self) -> dict[str, str]:
        """User-group handle -> id (``usergroups.list``, cached), so playbook groups are really notified.
        Without the ``usergroups:read`` scope groups are named as text and the reason is logged."""
        with self._lock:
            if self._groups is not None and time.monotonic() - self._groups_listed_at < GROUPS_TTL_SECONDS:
                return self._groups
        try:
            listed = self.client.usergroups_list(include_disabled=False)
            groups = {str(g["handle"]): str(g["id"]) for g in listed.get("usergroups") or []
                      if g.get("handle") and g.get("id")}
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("user groups could not be listed (%s); they are named in messages without a mention", exc)
            groups = {}
        with self._lock:
            self._groups, self._groups_listed_at = groups, time.monotonic()
        return groups

    def _render(self, notice: Notice) -> Rendered:
        return render(notice, self.group_ids() if notice.mention_groups else None)

    def update(self, channel_id: str, ts: str, notice: Notice) -> None:
        rendered = self._render(notice)
        self._call("updating a message", self.client.chat_update, channel=channel_id, ts=ts,
                   text=rendered.text, blocks=rendered.blocks)

    def find_sent(self, target: str, key: str) -> str | None:
        with self.store.session() as s:
            row = s.get(SentMessage, key)
            if row is not None and row.ts:
                return row.ts
        channel = self._dm_channel(target) if is_user_id(target) else target
        found = self._history_lookup(channel, key)
        if found:
            self._complete(key, channel, found)
        else:
            # A claim left by a crashed sender: the caller will send again now, so the next post must check
            # the history and take over at once instead of waiting for the claim to go stale.
            self._abandon(key)
        return found

    def _dm_channel(self, user_id: str) -> str:
        with self._lock:
            if user_id in self._dm_channels:
                return self._dm_channels[user_id]
        opened = self._call("opening a direct message", self.client.conversations_open, users=user_id)
        channel = str(opened["channel"]["id"])
        with self._lock:
            self._dm_channels[user_id] = channel
        return channel

    def _history_lookup(self, channel: str, key: str) -> str | None:
        history = self._call("reading channel history", self.client.conversations_history, channel=channel,
                             include_all_metadata=True, limit=HISTORY_SCAN_LIMIT)
        for message in history.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return str(message["ts"])
        return None

    def _claim(self, key: str, target: str, channel: str) -> str | None:
        """Claim ``key``; returns an existing timestamp if the message was already sent."""
        now = ensure_utc(self.clock.now())
        deadline = time.monotonic() + STALE_CLAIM.total_seconds()
        while True:
            try:
                with self.store.session() as s:
                    row = s.get(SentMessage, key)
                    if row is None:
                        s.add(SentMessage(key=key, target=target, channel_id=channel, claimed_at=now))
                        return None
                    if row.ts:
                        return row.ts
                    claimed_long_ago = now - row.claimed_at >= STALE_CLAIM
                if claimed_long_ago or time.monotonic() > deadline:
                    found = self._safe_lookup(channel, key)  # the other sender died or gave up
                    if found:
                        self._complete(key, channel, found)
                    else:
                        self._reclaim(key, now)  # take the claim over
                    return found
            except IntegrityError:
                pass  # someone claimed it between our read and insert: look again
            self._sleep(0.05)

    def _complete(self, key: str, channel: str, ts: str) -> None:
        with self.store.session() as s:
            row = s.get(SentMessage, key)
            if row is None:
                row = SentMessage(key=key, target=channel, claimed_at=ensure_utc(self.clock.now()))
            row.channel_id, row.ts, row.sent_at = channel, ts, ensure_utc(self.clock.now())
            s.add(row)

    def _reclaim(self, key: str, claimed_at: datetime | None) -> None:
        """Change a claim whose message is not recorded as sent: move its claim time, or drop it (``None``)."""
        with self.store.session() as s:
            row = s.get(SentMessage, key)
            if row is None or row.ts:
                return
            if claimed_at is None:
                s.delete(row)
            else:
                row.claimed_at = claimed_at
                s.add(row)

    def _abandon(self, key: str) -> None:
        """Mark a claim whose outcome is unknown so the next attempt checks the history at once."""
        self._reclaim(key, ensure_utc(self.clock.now()) - STALE_CLAIM)

    def _send_once(self, target: str, channel: str, notice: Notice, key: str) -> str:
        existing = self._claim(key, target, channel)
        if existing:
            return existing
        rendered = self._render(notice)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {**notice.metadata, "key": key, "kind": notice.kind}}
        last: Exception | None = None
        for attempt in range(self.send_attempts):
            if attempt:
                found = self._safe_lookup(channel, key)
                if found:
                    self._complete(key, channel, found)
                    return found
                self._sleep(self.backoff * 2 ** (attempt - 1))
            if self.pacer is not None:
                self.pacer.wait(channel)
            try:
                sent = self.client.chat_postMessage(channel=channel, text=rendered.text, blocks=rendered.blocks,
                                                    metadata=metadata, unfurl_links=False, unfurl_media=False)
            except (SlackApiError, SlackClientError, OSError) as exc:
                last = exc
                if _transient(exc):
                    continue
                self._reclaim(key, None)  # surely not sent: let a later attempt start afresh
                raise _chat_error(exc, f"posting a {notice.kind} message") from exc
            ts = str(sent["ts"])
            self._complete(key, channel, ts)
            return ts
        # Unknown whether the last attempt landed: a later attempt or find_sent checks the history first.
        self._abandon(key)
        raise _chat_error(last or RuntimeError("no attempt made"), f"posting a {notice.kind} message")

    def _safe_lookup(self, channel: str, key: str) -> str | None:
        """History lookup that prefers delivering over blocking: unreadable history counts as not sent."""
        try:
            return self._history_lookup(channel, key)
        except ChatError as exc:
            log.warning("could not check %s for an earlier send of %s (%s); sending", channel, key, exc)
            return None
