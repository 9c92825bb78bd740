"""The outbox worker tells the chat where the posts it just claimed will go, before they go, so that the
Slack adapter can take their pace slots together (``ChatPort.expect_posts``); only channels named by id,
never a direct message; and a chat that fails to take them delays nothing.

Real declaration on the shipped configuration (sev2: channel setup, welcome, roles, checklist, feed posts,
pages by direct message); Slack is the in-memory FakeChat.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.outbox.tables import Reminder
from bot.scheduling import execute
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.worker import OutboxWorker
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
KATRIN = "U0KATRIN1"


class ExpectingChat(FakeChat):
    """Records, in order, the channels announced by ``expect_posts`` and the messages sent."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.order: list[tuple[str, str]] = []  # ("expect", channel) / ("post", channel) / ("dm", user)

    def expect_posts(self, channel_ids):
        with self._lock:
            self.order += [("expect", c) for c in channel_ids]
        if self.fail:
            raise RuntimeError("the pace could not be read")

    def _send(self, to, notice, key, direct):
        ts = super()._send(to, notice, key, direct)
        with self._lock:
            self.order.append(("dm" if direct else "post", to))
        return ts


@pytest.fixture(scope="module")
def config():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


def _deliver_declaration(store, config, chat: ExpectingChat) -> None:
    clock = ManualClock(TUESDAY)
    IncidentService(store, lambda: config, clock).declare("sev2", "Checkout is down", actor=KATRIN, key="declare-1")
    dispatcher = Dispatcher(store, lambda: config, chat, clock)
    worker = OutboxWorker(dispatcher, threads=4, poll_seconds=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with store.session() as s:
                due = s.exec(select(Reminder).where(Reminder.state.in_(("pending", "sending")),  # type: ignore[attr-defined]
                                                    Reminder.next_attempt_at <= clock.now())).all()
            if not due:
                break
            time.sleep(0.05)
        assert not due, [r.key for r in due]
    finally:
        worker.stop()


def test_the_channels_of_claimed_posts_are_announced_before_their_posts_and_no_direct_message_is(store, config):
    chat = ExpectingChat()
    _deliver_declaration(store, config, chat)
    expected = [c for what, c in chat.order if what == "expect"]
    posted = [c for what, c in chat.order if what == "post"]
    direct = {u for what, u in chat.order if what == "dm"}
    incident_channel = next(iter(chat.channels))
    assert direct, "the declaration paged nobody by direct message; the test proves nothing"
    assert incident_channel in expected  # welcome, roles, checklist: posts to the new channel, by id
    assert not direct & set(expected)  # a direct message's channel is the adapter's to find, not announced
    assert all(c.startswith("C") for c in expected), expected  # by id; "#incidents" is looked up by the sender
    for channel in set(expected):
        first_expected = chat.order.index(("expect", channel))
        assert ("post", channel) in chat.order[first_expected:], f"{channel} was announced and never posted to"
    first_post = chat.order.index(("post", incident_channel))
    assert ("expect", incident_channel) in chat.order[:first_post], "the posts went before they were announced"
    assert len(posted) >= 3


def test_a_chat_that_cannot_take_the_slots_ahead_delays_no_post(store, config):
    chat = ExpectingChat(fail=True)
    _deliver_declaration(store, config, chat)  # every row due was done (asserted there)
    assert any(what == "expect" for what, _ in chat.order), "the chat was never asked; the test proves nothing"
    with store.session() as s:
        rows = list(s.exec(select(Reminder)).all())
    assert not [r.key for r in rows if r.state == "failed"]
    sent_messages = {r.key for r in rows if r.state == "sent" and execute.is_message(r)}
    assert len(sent_messages) >= 3 and sent_messages <= {m.key for m in chat.sent}
