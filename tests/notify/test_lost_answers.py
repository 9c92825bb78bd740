"""A provider that took the message but whose answer never arrived: the step is not sent twice.

docs/paging.md promises SMS and calls "once as seen by the recipient" and that an outage (5xx, no
connection) is retried after 10 s and 20 s.  A timeout is the one outage that may hide a message the
provider accepted: Twilio created it and the phone rings or buzzes, but the answer with its id was lost.
A blind retry would then reach the person a second time, so a retry first asks the provider, as the
recovery after a crash does.

anna's default high-urgency rule: Slack 0, SMS 2 min, call 5 min (bot/oncall/notification_rules.py).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

import bot.notify.twilio_rest as twilio_rest
from bot.audit.tables import TimelineEvent
from tests.notify.world import PHONES


def _notified(world, method):
    with world.store.session() as s:
        events = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "page.notified")).all()
        return [e for e in events if e.data["method"] == method]


def _sent_to_anna(world, method):
    return world.sms_to(PHONES["anna"]) if method == "sms" else world.calls_to(PHONES["anna"])


@pytest.mark.parametrize("method, due_after_minutes", [("sms", 2), ("voice", 5)])
def test_a_500_then_a_timeout_that_hid_a_sent_step_does_not_send_it_again(world, monkeypatch, method,
                                                                           due_after_minutes):
    monkeypatch.setattr(twilio_rest, "TIMEOUT_SECONDS", 3)  # the double holds its answer longer: a timeout
    page_id = world.declare().pages[0].id
    world.run()
    if method == "voice":
        world.advance(minutes=2)  # the SMS goes normally at 10:02
        world.clock.advance(minutes=3)
    else:
        world.clock.advance(minutes=due_after_minutes)
    world.twilio.fail_next(1, status=500, code=20500, message="Internal Server Error")
    world.twilio.answer_late_next(1)
    world.run()  # attempt 1: 500, nothing sent; again in 10 s
    assert _sent_to_anna(world, method) == []
    world.advance(seconds=10)  # attempt 2: accepted and sent, but the answer times out; again in 20 s
    assert len(_sent_to_anna(world, method)) == 1
    row = {r.method: r for r in world.rows(page_id)}[method]
    assert row.state == "pending" and row.attempts == 2 and "unreachable" in row.outcome
    world.advance(seconds=20)  # attempt 3 finds the step already sent: recorded, not sent again
    sent = _sent_to_anna(world, method)
    assert len(sent) == 1  # as seen by the recipient: once
    row = {r.method: r for r in world.rows(page_id)}[method]
    assert row.state == "sent" and row.provider_ref == sent[0].sid
    assert len(_notified(world, method)) == 1
    assert [e for e in world.chat.sent if e.notice.kind == "page_method_failed"] == []  # nothing failed over


def test_a_retry_whose_lookup_fails_is_a_failed_attempt_and_sends_nothing(world, monkeypatch):
    """While the provider cannot even be asked, the retry sends nothing (it might be the second copy); the
    attempts run out as in any outage, and the step falls through to the call."""
    monkeypatch.setattr(twilio_rest, "TIMEOUT_SECONDS", 3)
    page_id = world.declare().pages[0].id
    world.run()
    world.clock.advance(minutes=2)
    world.twilio.answer_late_next(1)
    world.run()  # attempt 1: sent, the answer lost
    world.twilio.fail_next(2, status=503, code=20503, message="Service Unavailable")
    world.advance(seconds=10)  # attempt 2: the lookup answers 503
    world.advance(seconds=20)  # attempt 3: the lookup answers 503: the SMS step fails, the call goes now
    assert len(world.sms_to(PHONES["anna"])) == 1
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "failed" and rows["sms"].attempts == 3
    assert rows["voice"].state == "sent" and len(world.calls_to(PHONES["anna"])) == 1


def test_a_call_the_provider_refused_is_placed_again_even_when_another_pages_call_just_went(world):
    """Two incidents page anna at 10:00; at 10:05 the first page's call is answered 503 (nothing placed) and the
    second page's call goes.  A call has no text to look up, and any call to the number would count as this
    step's call, so the retry of a call the provider refused must not ask: it places the call."""
    first = world.declare(title="Checkout is down").pages[0].id
    second = world.declare(title="Search is down").pages[0].id
    world.run()
    world.advance(minutes=2)  # both SMS at 10:02
    world.clock.advance(minutes=3)
    world.twilio.fail_next(1, status=503, code=20503, message="Service Unavailable")
    world.run()  # 10:05: the first page's call is refused, the second page's call is placed
    assert len(world.calls_to(PHONES["anna"])) == 1
    world.advance(seconds=10)  # the first page's call again
    calls = world.calls_to(PHONES["anna"])
    assert len(calls) == 2
    refs = {page: {r.method: r for r in world.rows(page)}["voice"].provider_ref for page in (first, second)}
    assert sorted(refs.values()) == sorted(c.sid for c in calls)  # each page's row has its own call
