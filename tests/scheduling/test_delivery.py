"""Delivery guarantees of one reminder: late marking, retries, crash recovery, no double send."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import events
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import Reminder
from bot.ports import ChatError, Notice
from bot.scheduling.delivery import MAX_ATTEMPTS, Dispatcher
from bot.scheduling.recording import RIDE_OUT
from bot.scheduling.kinds import cadence, posts
from bot.scheduling.sync import sync_incident
from bot.scheduling.wanted import Wanted
from tests.scheduling.fakes import FakeChat, add_incident, make_config

KINDS = (cadence,)
KEY = "incident:1:cadence:1"


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def chat():
    return FakeChat()


@pytest.fixture
def planned(store, clock, config):
    """An incident declared at 09:00 whose first status nudge is due 09:30."""
    with store.session() as s:
        incident = add_incident(s, declared_at=clock.now())
        sync_incident(s, config, incident.id, clock.now(), kinds=KINDS)
    return clock.now() + timedelta(minutes=30)


def _row(store, key=KEY):
    with store.session() as s:
        return s.exec(select(Reminder).where(Reminder.key == key)).one()


def test_an_overdue_reminder_fires_once_and_says_how_late(store, clock, config, chat, planned):
    clock.set(planned + timedelta(hours=1, minutes=30))  # the bot was down from 09:20 to 11:00
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    dispatcher.run_due()
    dispatcher.run_due()
    assert chat.keys() == [KEY]
    row = _row(store)
    assert row.late_by_seconds == 90 * 60  # due 09:30, sent 11:00
    assert "Sent 1h 30m late" in chat.sent[0].notice.footer
    # Missed nudges (10:00, 10:30, 11:00) are not sent in a burst: the next is one cadence after 11:00.
    assert _row(store, "incident:1:cadence:2").due_at == clock.now() + timedelta(minutes=30)


def test_every_delivery_is_on_the_incident_timeline(store, clock, config, chat, planned):
    clock.set(planned)
    Dispatcher(store, lambda: config, chat, clock, kinds=KINDS).run_due()
    with store.session() as s:
        sent = [e for e in events(s, 1) if e.kind == "reminder.sent"]
    assert [e.data["key"] for e in sent] == [KEY]
    assert sent[0].data["to"] == "CINC1"


def test_a_transient_chat_failure_is_retried_after_a_backoff(store, clock, config, chat, planned):
    clock.set(planned)
    chat.fail_next.append(ChatError("Slack is down", code="http_503", transient=True))
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    assert dispatcher.run_due() == {"retry": 1}
    row = _row(store)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == planned + timedelta(seconds=10)  # first backoff step: 10 s
    assert "Slack is down" in row.last_error
    clock.advance(seconds=9)
    assert dispatcher.run_due() == {}
    clock.advance(seconds=1)
    assert dispatcher.run_due() == {"sent": 1}
    assert chat.keys() == [KEY]


def test_a_permanent_failure_is_recorded_and_put_on_the_timeline(store, clock, config, chat, planned):
    clock.set(planned)
    chat.fail_next.append(ChatError("Slack refused posting: channel_not_found", code="channel_not_found"))
    assert Dispatcher(store, lambda: config, chat, clock, kinds=KINDS).run_due() == {"failed": 1}
    assert _row(store).state == "failed"
    with store.session() as s:
        assert [e.kind for e in events(s, 1)][-1] == "reminder.failed"


def test_transient_failures_are_ridden_out_for_a_day_then_given_up(store, clock, config, chat, planned):
    # A cadence reminder has no fallback (nothing else reminds the commander): past the attempts a page gets it
    # keeps trying, and fails for good only a day (RIDE_OUT) after it was due.
    clock.set(planned)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    outcomes = []
    for _ in range(MAX_ATTEMPTS + 2):
        chat.fail_next.append(ChatError("timeout", transient=True))
        outcomes += list(dispatcher.run_due())
        clock.advance(minutes=10)  # longer than every backoff step
    assert outcomes == ["retry"] * (MAX_ATTEMPTS + 2)
    clock.set(planned + RIDE_OUT)
    chat.fail_next.append(ChatError("timeout", transient=True))
    assert list(dispatcher.run_due()) == ["failed"]
    assert chat.sent == []


def _leave_in_sending(store, clock):
    """What a process that crashed right after claiming leaves behind."""
    notice = Notice(kind="status_nudge", title="Status update due for INC-1")
    with store.session() as s:
        row = s.exec(select(Reminder).where(Reminder.key == KEY)).one()
        row.state, row.attempts, row.delivered_to = "sending", 1, "CINC1"
        row.message = {**notice_to_json(notice), "direct": False}
        row.updated_at = clock.now()
        s.add(row)


def test_recovery_records_a_message_that_reached_the_chat_before_the_crash(store, clock, config, chat, planned):
    clock.set(planned)
    _leave_in_sending(store, clock)
    ts = chat.post("CINC1", Notice(kind="status_nudge", title="x"), key=KEY)  # it did go out
    clock.advance(minutes=5)  # restart five minutes later
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    assert dispatcher.recover() == {"found": 1, "resent": 0, "unresolved": 0}
    assert len(chat.sent) == 1
    row = _row(store)
    assert (row.state, row.message_ts, row.sent_at) == ("sent", ts, planned)  # sent at the claim, not the restart


def test_recovery_sends_a_claimed_message_that_never_left(store, clock, config, chat, planned):
    clock.set(planned)
    _leave_in_sending(store, clock)
    clock.advance(minutes=5)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    assert dispatcher.recover() == {"found": 0, "resent": 1, "unresolved": 0}
    assert chat.keys() == [KEY]
    assert chat.sent[0].notice.title == "Status update due for INC-1"  # exactly what was claimed
    assert _row(store).state == "sent"


def test_recovery_fails_and_tells_when_slack_will_never_show_whether_it_went(store, clock, config, chat, planned):
    """The incident channel was archived (or the bot removed) while the row was in 'sending': its history can
    never be read, and a post there would be refused too. Left 'unresolved', it was asked about at every check,
    for good, with only a log line; it now fails, recorded and told, saying what is not known."""
    clock.set(planned)
    _leave_in_sending(store, clock)
    clock.advance(minutes=5)
    chat.find_sent = lambda target, key: (_ for _ in ()).throw(
        ChatError("channel_not_found", code="channel_not_found", transient=False))
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS + (posts,))  # posts: the telling
    assert dispatcher.recover() == {"found": 0, "resent": 0, "unresolved": 0, "failed": 1}
    row = _row(store)
    assert row.state == "failed" and "could not find out whether it was delivered" in row.last_error
    assert chat.keys() == []  # nothing posted blindly
    with store.session() as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == row.incident_id))]
        told = s.exec(select(Reminder).where(Reminder.key == f"{KEY}:failed")).first()
    assert "reminder.failed" in kinds and told is not None  # on the timeline, and the commander is told
    assert dispatcher.recover() == {"found": 0, "resent": 0, "unresolved": 0}  # not stuck any more


def test_recovery_asks_again_while_slack_is_unreachable(store, clock, config, chat, planned):
    clock.set(planned)
    _leave_in_sending(store, clock)
    chat.find_sent = lambda target, key: (_ for _ in ()).throw(ChatError("timeout", code="timeout", transient=True))
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    assert dispatcher.recover() == {"found": 0, "resent": 0, "unresolved": 1}
    assert _row(store).state == "sending"  # the next check asks again: it may have gone out


def test_two_workers_firing_the_same_reminder_send_it_once(store, clock, config, chat, planned):
    clock.set(planned)
    row_id = _row(store).id
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(dispatcher.fire(row_id))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["not-pending"] * 3 + ["sent"]
    assert chat.keys() == [KEY]


def test_a_reminder_whose_kind_fails_does_not_hold_up_the_others(store, clock, config, chat, planned):
    class Broken:
        name = "checklist"

        @staticmethod
        def wanted(session, config, incident, at):
            return [Wanted("task:99:nudge", "checklist", planned - timedelta(minutes=1), "#incident", 99)]

        @staticmethod
        def prepare(session, config, reminder, now):
            raise RuntimeError("bug in a kind")

        @staticmethod
        def after_sent(session, config, reminder, now):
            return None

    with store.session() as s:  # due before the healthy nudge, so it is tried first
        s.add(Reminder(key="task:99:nudge", kind="checklist", incident_id=1, target=99, recipient="#incident",
                       due_at=planned - timedelta(minutes=1), next_attempt_at=planned - timedelta(minutes=1),
                       created_at=clock.now(), updated_at=clock.now()))
    clock.set(planned)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=(cadence, Broken))
    assert dispatcher.run_due() == {"retry": 1, "sent": 1}
    assert chat.keys() == [KEY]
    broken = _row(store, "task:99:nudge")
    assert (broken.state, broken.attempts) == ("pending", 1)
    assert "bug in a kind" in broken.last_error


def test_while_running_only_stale_sending_rows_are_recovered(store, clock, config, chat, planned):
    clock.set(planned)
    _leave_in_sending(store, clock)
    dispatcher = Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)
    # claimed just now: a delivery may be in progress in another thread, leave it alone
    assert dispatcher.recover(claimed_before=clock.now() - timedelta(minutes=5)) == \
        {"found": 0, "resent": 0, "unresolved": 0}
    clock.advance(minutes=6)
    assert dispatcher.recover(claimed_before=clock.now() - timedelta(minutes=5))["resent"] == 1
    assert chat.keys() == [KEY]
