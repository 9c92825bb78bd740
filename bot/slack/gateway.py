"""``SlackGateway``: the :class:`bot.ports.ChatPort` on Slack's Web API.

* Idempotent sends: ``post`` and ``direct_message`` claim their key in
  ``slack_sent_message`` first, send with the key as message metadata, then
  store the timestamp (the outbox worker's gateway skips that table for
  posts: the outbox row is their claim and record).  A replay returns the stored timestamp.  When a send
  fails in a way that may or may not have reached Slack (5xx, dropped
  connection), the gateway looks the key up in the channel history before
  trying again, so a message is never posted twice.
* Channels (:mod:`bot.slack.channels`): names validated locally; ``name_taken``
  adds a suffix, never joins someone else's channel; after an ambiguous failure
  the only channel ever adopted is one this bot created since the first attempt
  under that exact name with nobody in it yet.
* Replies to a person: the ``response_url`` (ephemeral), else an ephemeral note
  in the channel, else a direct message; recorded by key, so once.
* Two ways to run: the listeners' gateway retries inside the call (slack-sdk's
  handlers, :mod:`bot.slack.retries`); the outbox worker's gateway
  (``send_attempts=1``, a client without retry handlers) tries once and raises
  :class:`bot.ports.ChatError` with ``retry_after``, so waits are the row's
  back-off, never a sleep inside a call, and it never resends a message whose
  fate it could not look up.  With a pacer posts are paced per channel (a
  short burst, then about one per second): in the process
  (:class:`~bot.slack.pacing.ChannelPacer`), or shared by every worker through
  the database (:class:`~bot.slack.shared_pace.SharedChannelPacer`).
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
from bot.slack.blocks import Rendered, render, render_reply
from bot.slack.channels import SlackChannels, chat_error, retry_after, transient
from bot.slack.mrkdwn import is_user_id
from bot.slack.pacing import Pacer, outbox_pacer
from bot.slack.people import SlackPeople
from bot.slack.tables import SentMessage
from bot.store.database import Store

log = logging.getLogger(__name__)

METADATA_EVENT = "incident_bot_message"
HISTORY_SCAN_LIMIT = 200
STALE_CLAIM = timedelta(seconds=30)
GROUPS_TTL_SECONDS = 900.0  # user groups change rarely; re-list them every 15 minutes


class SlackGateway(SlackChannels):
    def __init__(self, client: WebClient, store: Store, clock: Clock, *, invite_chunk: int = 100,
                 send_attempts: int = 4, backoff: float = 0.2, sleep: Callable[[float], None] = time.sleep,
                 pacer: Pacer | None = None, record_sends: bool = True) -> None:
        """``send_attempts``: tries per call (1 for the outbox worker, which retries by the row's back-off).
        ``record_sends=False`` (the outbox worker): posts and direct messages are not claimed and recorded in
        ``slack_sent_message``; the outbox row is their claim and record, and the worker looks a message up
        (:meth:`find_sent`) before it sends it again after a crash or a failure that may have reached Slack.
        Answers (:meth:`reply`) are recorded either way: they cannot all be looked up."""
        self.client = client
        self.store = store
        self.clock = clock
        self.invite_chunk = invite_chunk
        self.send_attempts = send_attempts
        self.backoff = backoff
        self._sleep = sleep
        self.pacer = pacer  # None: no pacing (simulated time in drills); ``serve`` paces by real time
        self.record_sends = record_sends
        self._dm_channels: dict[str, str] = {}
        self.people = SlackPeople(client)  # names and zones (users.info, cached)
        self._groups: dict[str, str] | None = None
        self._groups_listed_at = 0.0
        self._lock = threading.Lock()
        self._init_channels()

    @classmethod
    def for_outbox(cls, store: Store, clock: Clock, *, token: str | None = None, paced: bool = True) -> SlackGateway:
        """The outbox worker's gateway, the same wherever the worker runs (inside ``serve`` or as
        ``scheduler``): one try per call (the row's back-off retries) and, on real time, Slack's pace of
        about one message per second per channel after a short burst."""
        from bot.slack.client import make_worker_client

        return cls(make_worker_client(token), store, clock, send_attempts=1, record_sends=False,
                   pacer=outbox_pacer(store) if paced else None)

    def user_timezone(self, user_id: str) -> str | None:
        return self.people.zone(user_id)

    # --- messages ---------------------------------------------------------------

    def post(self, channel_id: str, notice: Notice, *, key: str) -> str:
        return self._send_once(channel_id, channel_id, notice, key, record=self.record_sends)

    def expect_posts(self, channel_ids: Sequence[str]) -> None:
        """The outbox worker just claimed posts to these channels: take their pace slots together, now, rather
        than one round trip per post (:meth:`bot.slack.shared_pace.SharedChannelPacer.take_ahead`)."""
        if self.pacer is not None and self.retried_by_the_row:
            self.pacer.take_ahead(channel_ids)

    @property
    def retried_by_the_row(self) -> bool:
        """The outbox worker's gateway (``send_attempts=1``): a failed call is raised, and the row's back-off
        tries again."""
        return self.send_attempts == 1

    def direct_message(self, user_id: str, notice: Notice, *, key: str) -> str:
        return self._send_once(user_id, self._dm_channel(user_id), notice, key, record=self.record_sends)

    def group_ids(self) -> dict[str, str]:
        """User-group handle -> id (``usergroups.list``, cached), so playbook groups are really notified.
        Without the ``usergroups:read`` scope groups are named as text and the reason is logged.  When Slack
        cannot be asked now (5xx, 429, the network), the outbox worker raises: its row tries again later, the
        mention with it, and records each failure; elsewhere this one message names them as text.  Either
        way the failure is not remembered (the next message asks again)."""
        with self._lock:
            if self._groups is not None and time.monotonic() - self._groups_listed_at < GROUPS_TTL_SECONDS:
                return self._groups
        try:
            listed = self.client.usergroups_list(include_disabled=False)
            groups = {str(g["handle"]): str(g["id"]) for g in listed.get("usergroups") or []
                      if g.get("handle") and g.get("id")}
        except (SlackApiError, SlackClientError, OSError) as exc:
            if transient(exc):
                if self.retried_by_the_row:
                    raise chat_error(exc, "listing the user groups to mention") from exc
                log.warning("user groups could not be listed (%s); named in this message without a mention", exc)
                return {}
            log.warning("user groups could not be listed (%s); they are named in messages without a mention", exc)
            groups = {}
        with self._lock:
            self._groups, self._groups_listed_at = groups, time.monotonic()
        return groups

    def _render(self, notice: Notice) -> Rendered:
        return render(notice, self.group_ids() if notice.mention_groups else None, names=self.people.name)

    def update(self, channel_id: str, ts: str, notice: Notice) -> None:
        """Replace a message (a user id means the direct message with that user)."""
        rendered = self._render(notice)
        channel = self._dm_channel(channel_id) if is_user_id(channel_id) else channel_id
        self._call("updating a message", self.client.chat_update, channel=channel, ts=ts,
                   text=rendered.text, blocks=rendered.blocks)

    def reply(self, to: dict[str, Any], notice: Notice, *, key: str) -> str:
        with self.store.session() as s:
            row = s.get(SentMessage, key)
            if row is not None and row.ts:
                return row.ts  # answered already
        rendered = render_reply(notice, self._reader_zone(str(to.get("user") or ""), str(to.get("zone") or "UTC")))
        url, user, channel = to.get("response_url"), to.get("user"), to.get("channel")
        if url:
            self._respond(str(url), rendered)
            ts = "response_url"
        else:
            ts = ""
            if user and channel:
                try:
                    ts = str(self.client.chat_postEphemeral(channel=channel, user=user, text=rendered.text,
                                                            blocks=rendered.blocks).get("message_ts") or "ephemeral")
                except SlackApiError as exc:
                    if transient(exc):
                        raise chat_error(exc, "answering in the channel") from exc
                    log.info("ephemeral answer in %s failed (%s); sending a direct message", channel,
                             exc.response.get("error"))
                except (SlackClientError, OSError) as exc:
                    raise chat_error(exc, "answering in the channel") from exc
            if not ts:
                if not user:
                    raise ChatError("nobody to answer: the request named no user", code="no_user")
                return self._send_once(str(user), self._dm_channel(str(user)), notice, key, record=True)
        self._complete(key, "reply", ts)
        return ts

    def _reader_zone(self, user: str, fallback: str) -> str:
        """The zone ``user`` reads in (their Slack profile), else ``fallback``; a failed lookup never
        stops an answer."""
        try:
            return (self.people.zone(user) if is_user_id(user) else None) or fallback
        except ChatError as exc:
            log.info("no time zone for the person answered (%s); showing %s", exc.code, fallback)
            return fallback

    def first_answer(self, key: str) -> bool:
        """True the first time ``key`` is given (an answer the listener sends itself: a refusal, a
        read-only reply), False for a retry of the same request, which must not be answered twice."""
        try:
            with self.store.session() as s:
                s.add(SentMessage(key=key, target="answer", claimed_at=ensure_utc(self.clock.now()), ts="answered"))
            return True
        except IntegrityError:
            return False

    def _respond(self, url: str, rendered: Rendered) -> None:
        from slack_sdk.webhook import WebhookClient

        try:
            # No retry inside the call (slack_sdk retries a POST whose answer was lost, which Slack may have
            # taken): the outbox row's back-off retries, and records that it did.
            answer = WebhookClient(url, timeout=10, retry_handlers=[]).send(text=rendered.text, blocks=rendered.blocks,
                                                          response_type="ephemeral", replace_original=False)
        except (SlackClientError, OSError) as exc:
            raise ChatError(f"Slack could not be reached for the answer: {exc}", code="connection",
                            transient=True) from exc
        if answer.status_code >= 400:
            raise ChatError(f"Slack refused the answer: HTTP {answer.status_code} {answer.body[:100]}",
                            code=f"http_{answer.status_code}",
                            transient=answer.status_code == 429 or answer.status_code >= 500)

    def find_sent(self, target: str, key: str) -> str | None:
        with self.store.session() as s:
            row = s.get(SentMessage, key)
            if row is not None and row.ts:
                return row.ts
        channel = self._dm_channel(target) if is_user_id(target) else self.channel_id(target)
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
        # Joined first in a public channel the bot is not in (attached by hand), as a post there would be.
        history = self._call("reading channel history", lambda: self.joining(channel, lambda: self.client
                             .conversations_history(channel=channel, include_all_metadata=True,
                                                    limit=HISTORY_SCAN_LIMIT)))
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

    def _send_once(self, target: str, channel: str, notice: Notice, key: str, *, record: bool = True) -> str:
        rendered = self._render(notice)  # before the claim: it may raise (the user groups), leaving no claim behind
        existing = self._claim(key, target, channel) if record else None
        if existing:
            return existing
        metadata = {"event_type": METADATA_EVENT, "event_payload": {**notice.metadata, "key": key, "kind": notice.kind}}
        last: Exception | None = None
        for attempt in range(self.send_attempts):
            if attempt:
                found = self._safe_lookup(channel, key)
                if found:
                    if record:
                        self._complete(key, channel, found)
                    return found
                self._sleep(self.backoff * 2 ** (attempt - 1))
            if self.pacer is not None and self.retried_by_the_row:
                wait = self.pacer.take(channel)
                if wait:  # the outbox worker never sleeps in a call: the row comes back when the slot is free
                    if record:
                        self._reclaim(key, None)
                    raise ChatError(f"paced: {channel} had its share of messages", code="paced", transient=True,
                                    retry_after=wait)
            elif self.pacer is not None:
                self.pacer.wait(channel)
            try:
                sent = self.joining(channel, lambda: self.client.chat_postMessage(
                    channel=channel, text=rendered.text, blocks=rendered.blocks, metadata=metadata,
                    unfurl_links=False, unfurl_media=False))
            except (SlackApiError, SlackClientError, OSError) as exc:
                last = exc
                if isinstance(exc, SlackApiError) and exc.response.status_code == 429 and self.retried_by_the_row:
                    asked = retry_after(exc)
                    if self.pacer is not None and asked:  # every worker holds off this channel, not only this row
                        self.pacer.hold(channel, asked)
                    if record:
                        self._reclaim(key, None)  # a 429 was not processed: nothing to look up next time
                    raise chat_error(exc, f"posting a {notice.kind} message") from exc
                if transient(exc):
                    continue
                if record:
                    self._reclaim(key, None)  # surely not sent: let a later attempt start afresh
                raise chat_error(exc, f"posting a {notice.kind} message") from exc
            ts = str(sent["ts"])
            if record:
                self._complete(key, channel, ts)
            return ts
        # Unknown whether the last attempt landed: a later attempt or find_sent checks the history first.
        if record:
            self._abandon(key)
        raise chat_error(last or RuntimeError("no attempt made"), f"posting a {notice.kind} message")

    def _safe_lookup(self, channel: str, key: str) -> str | None:
        """History lookup before a resend.  Inside a call (listeners) unreadable history counts as not sent,
        preferring delivery over blocking; the outbox worker (one attempt per call) raises instead and
        tries again later, so it never sends twice."""
        try:
            return self._history_lookup(channel, key)
        except ChatError as exc:
            if self.retried_by_the_row:
                raise
            log.warning("could not check %s for an earlier send of %s (%s); sending", channel, key, exc)
            return None
