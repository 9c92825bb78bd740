"""Rows left in 'sending' by a stopped process are recovered; rows this process is sending are not.

An answer through a ``response_url`` cannot be looked up in Slack, so a recovery sends it again. That is
right only for a claim a dead process left behind: a recovery of a row this process's own worker is sending
would reach the person twice. Real lifecycle and shipped configuration; Slack is the in-memory FakeChat.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.leader import AlwaysLeader
from bot.scheduling.scheduler import ReminderScheduler
from bot.scheduling.worker import OutboxWorker
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat
from tests.scheduling.workers import wait_for

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
KATRIN = "U0KATRIN1"
ASKER = {"response_url": "https://hooks.slack.test/commands/1", "user": KATRIN, "channel": "CGENERAL1"}


class SlowAnswers(FakeChat):
    """Answers (response_url) take until ``release`` is set: Slack is slow to take them."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def reply(self, to, notice, *, key):  # type: ignore[override]
        self.release.wait(5)
        return super().reply(to, notice, key=key)


@pytest.fixture(scope="module")
def config():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


def _state(store, key: str) -> str:
    with store.session() as s:
        return s.exec(select(Reminder.state).where(Reminder.key == key)).one()


def _a_status_update_waiting_to_be_answered(store, config, clock, chat) -> None:
    service = IncidentService(store, lambda: config, clock)
    service.declare("sev2", "Checkout is down", actor=KATRIN, key="declare-1")
    dispatcher = Dispatcher(store, lambda: config, chat, clock)
    dispatcher.run_due()  # the channel and its setup are in Slack
    service.replying_to(ASKER).post_status(1, "Rolled back the deploy", actor=KATRIN, key="status-1")
    with store.session() as s:
        reply = s.exec(select(Reminder).where(Reminder.key == "status-1:reply")).one()
        waits = list(reply.payload["waits_for"])
        posts = s.exec(select(Reminder.id).where(Reminder.key.in_(waits))).all()  # type: ignore[attr-defined]
    assert waits and len(posts) == len(waits)
    # The answer ("Posted.") waits for the update's posts: they are in Slack.
    assert [dispatcher.fire(post_id) for post_id in posts] == ["sent"] * len(posts)
    assert _state(store, "status-1:reply") == "pending"


def test_a_row_the_new_worker_claims_at_take_over_is_not_recovered_as_stuck(store, config, monkeypatch):
    clock, chat = ManualClock(TUESDAY), SlowAnswers()
    _a_status_update_waiting_to_be_answered(store, config, clock, chat)
    # A fast worker: by the time start() returns it has claimed the pending answer and is sending it. The
    # take-over must have read what a stopped process left in 'sending' before that, or this answer looks
    # stuck and the recovery sends it a second time beside the worker.
    start = OutboxWorker.start

    def start_and_claim(worker: OutboxWorker) -> None:
        start(worker)
        worker.wake()
        assert wait_for(lambda: _state(store, "status-1:reply") == "sending", 5)

    monkeypatch.setattr(OutboxWorker, "start", start_and_claim)
    scheduler = ReminderScheduler(store, lambda: config, chat, clock, leader=AlwaysLeader(), poll_seconds=0.1,
                                  leader_retry_seconds=0.05)
    scheduler.start()
    try:
        assert wait_for(lambda: scheduler.ready, 10)
        time.sleep(0.3)  # a recovery, if one was started, is waiting on Slack beside the worker now
        chat.release.set()
        assert wait_for(lambda: _state(store, "status-1:reply") == "sent", 10)
        time.sleep(0.3)
    finally:
        chat.release.set()
        scheduler.stop()
    assert [key for _, _, key in chat.replies] == ["status-1:reply"]


def test_a_row_left_in_sending_by_a_dead_process_is_answered_once_after_restart(store, config):
    clock, chat = ManualClock(TUESDAY), SlowAnswers()
    chat.release.set()
    _a_status_update_waiting_to_be_answered(store, config, clock, chat)
    dead = Dispatcher(store, lambda: config, chat, clock)
    with store.session() as s:
        reply_id = s.exec(select(Reminder.id).where(Reminder.key == "status-1:reply")).one()
    claimed = dead.claim(reply_id)  # the process died here, after the claim, before Slack took the answer
    assert isinstance(claimed, Reminder)
    scheduler = ReminderScheduler(store, lambda: config, chat, clock, leader=AlwaysLeader(), poll_seconds=0.1,
                                  leader_retry_seconds=0.05)
    scheduler.start()
    try:
        assert wait_for(lambda: _state(store, "status-1:reply") == "sent", 10)
        time.sleep(0.5)  # later ticks look for stuck rows again
    finally:
        scheduler.stop()
    assert [key for _, _, key in chat.replies] == ["status-1:reply"]
