"""A page call decides what it says when it is picked up, not when it is placed.

A phone may ring for half a minute while the page is acknowledged in Slack or by someone else; the call
must then not ask the callee to acknowledge a page that no longer needs them. So the bot gives Twilio a
URL with the call (docs/paging.md), Twilio asks it when the callee answers, and the answer is built from
the page as it is at that moment. Expectations follow the organisation's default high-urgency rule in
the test world (tests/notify/world.py): Slack at 10:00, SMS at 10:02, the call at 10:05, which is also
anna's 5-minute ack timeout (her deputy bruno is paged in Slack then).
"""

from __future__ import annotations

import re

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.oncall.tables import Page
from tests.notify.world import ANNA, BRUNO, PHONES, said


def _call_to_anna(world):
    result = world.declare()
    page_id = result.pages[0].id
    world.run()
    world.advance(minutes=5)  # 10:05: the call is placed
    calls = world.calls_to(PHONES["anna"])
    assert len(calls) == 1
    return page_id, calls[0]


def _acks(world):
    with world.store.session() as s:
        return [e.data.get("page_id") for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "page.acked"))]


def test_a_page_call_is_placed_with_the_url_twilio_asks_when_it_is_answered(world):
    page_id, call = _call_to_anna(world)
    assert call.url == f"{world.url}/twilio/voice/answer?page={page_id}"
    assert call.twiml == ""  # nothing is fixed when the call is placed


def test_answered_while_the_page_is_open_it_speaks_the_page_and_offers_the_keypad(world):
    page_id, call = _call_to_anna(world)
    answered = world.twilio.answer(call.sid)
    assert answered is not None and answered.status == 200
    action = re.search(r'<Gather[^>]* action="([^"]+)"', answered.body)
    assert action is not None and action.group(1) == f"{world.url}/twilio/voice/gather?page={page_id}"
    words = said(answered.body)
    assert "INC-1" in words and "Press 1 to acknowledge" in words
    pressed = world.twilio.press(call.sid, "1")
    assert pressed.status == 200 and page_id in _acks(world)


def test_acknowledged_in_slack_while_the_phone_rang_the_call_says_so_and_asks_nothing(world):
    page_id, call = _call_to_anna(world)
    world.service.acknowledge_page(page_id, actor=ANNA, key="slack-ack-while-ringing")
    answered = world.twilio.answer(call.sid)
    assert answered is not None and answered.status == 200
    assert "<Gather" not in answered.body
    assert said(answered.body) == f"Page {page_id} no longer needs you: acknowledged. Nothing to do. Goodbye."
    assert _acks(world) == [page_id]  # the Slack acknowledgement only


def test_taken_by_the_deputy_while_the_phone_rang_the_call_asks_nothing(world):
    page_id, call = _call_to_anna(world)
    with world.store.session() as s:
        deputy = s.exec(select(Page).where(Page.person_id == "bruno")).one()
    world.service.acknowledge_page(deputy.id, actor=BRUNO, key="deputy-ack-while-ringing")
    answered = world.twilio.answer(call.sid)
    assert answered is not None and answered.status == 200 and "<Gather" not in answered.body
    assert said(answered.body).startswith(f"Page {page_id} no longer needs you: ")
    assert _acks(world) == [deputy.id]


def test_the_answer_url_is_refused_without_twilios_signature_and_needs_the_page(world):
    page_id, call = _call_to_anna(world)
    params = {"CallSid": call.sid, "AccountSid": world.twilio.account_sid, "From": call.from_, "To": call.to,
              "CallStatus": "in-progress"}
    url = f"{world.url}/twilio/voice/answer?page={page_id}"
    forged = world.twilio.post_webhook(url, params, signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status == 401 and "<Say" not in forged.body
    no_page = world.twilio.post_webhook(f"{world.url}/twilio/voice/answer", params)
    assert no_page.status == 400 and "page" in no_page.body
    someone_else = world.twilio.post_webhook(url, {**params, "To": PHONES["katrin"]})
    assert someone_else.status == 200 and "<Gather" not in someone_else.body
    assert "not yours" in said(someone_else.body)
