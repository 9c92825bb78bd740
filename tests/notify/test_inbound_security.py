"""Inbound webhooks are authenticated before anything else and idempotent: a forged request (no
signature, a wrong one, or one signed for another URL or other parameters) gets 401 and changes
nothing; a replayed one gets the first answer and changes nothing."""

from __future__ import annotations

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.oncall.tables import Page
from tests.notify.world import PHONES, said


def _status(world, page_id):
    with world.store.session() as s:
        return s.get(Page, page_id).status


def _acks(world):
    with world.store.session() as s:
        return len(s.exec(select(TimelineEvent).where(TimelineEvent.kind == "page.acked")).all())


def _params(world, page_id, sid="SM" + "a" * 32):
    return {"MessageSid": sid, "AccountSid": world.twilio.account_sid, "From": PHONES["anna"],
            "To": "+15005550006", "Body": f"ack {page_id}"}


def test_forged_sms_webhooks_are_refused_and_change_nothing(world):
    page_id = world.declare().pages[0].id
    world.run()
    url = f"{world.url}/twilio/sms"
    params = _params(world, page_id)
    unsigned = world.twilio.post_webhook(url, params, signature="")
    assert unsigned.status == 401 and "X-Twilio-Signature" in unsigned.body
    wrong = world.twilio.post_webhook(url, params, signature="bm90IGEgc2lnbmF0dXJl")
    assert wrong.status == 401
    other_url = world.twilio.post_webhook(url, params, signature=world.twilio.sign(url + "x", params))
    assert other_url.status == 401
    altered = world.twilio.post_webhook(url, {**params, "From": PHONES["anna"]},
                                        signature=world.twilio.sign(url, {**params, "Body": "help"}))
    assert altered.status == 401
    other_token = world.twilio.post_webhook(url, params, signature=__import__(
        "twilio.request_validator", fromlist=["RequestValidator"]).RequestValidator("another-token")
        .compute_signature(url, params))
    assert other_token.status == 401
    assert _status(world, page_id) == "sent" and _acks(world) == 0
    world.advance(minutes=2)
    assert len(world.sms_to(PHONES["anna"])) == 1  # the page goes on as if nothing came in


def test_forged_keypad_webhook_is_refused(world):
    page_id = world.declare().pages[0].id
    world.run()
    url = f"{world.url}/twilio/voice/gather?page={page_id}"
    params = {"CallSid": "CA" + "b" * 32, "To": PHONES["anna"], "From": "+15005550006", "Digits": "1"}
    answer = world.twilio.post_webhook(url, params, signature=world.twilio.sign(url.replace(str(page_id), "1"),
                                                                               params) + "x")
    assert answer.status == 401 and _status(world, page_id) == "sent"


def test_a_replayed_sms_webhook_is_answered_once_and_changes_nothing(world):
    page_id = world.declare().pages[0].id
    world.run()
    url = f"{world.url}/twilio/sms"
    params = _params(world, page_id)
    first = world.twilio.post_webhook(url, params)
    assert first.status == 200 and "acknowledged" in said(first.body)
    replay = world.twilio.post_webhook(url, params)
    assert replay.status == 200 and "already handled" in said(replay.body) and "nothing was changed" in said(replay.body)
    again = world.twilio.sms_reply(url, from_=PHONES["anna"], body=f"ack {page_id}")  # a new message, same code
    assert "already acknowledged" in said(again.body) and "nothing was changed" in said(again.body)
    assert _acks(world) == 1


def test_malformed_and_oversized_webhooks_get_400_and_413(world):
    world.declare()
    url = f"{world.url}/twilio/sms"
    missing = {"Body": "ack 1", "AccountSid": world.twilio.account_sid}
    assert world.twilio.post_webhook(url, missing).status == 400
    big = {"MessageSid": "SM1", "From": PHONES["anna"], "Body": "x" * 20000}
    assert world.twilio.post_webhook(url, big).status == 413
