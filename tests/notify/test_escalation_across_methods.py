"""A page escalates across methods on the configured delays and stops on the first acknowledgement.

Expectations from the organisation's default high-urgency rule (bot/oncall/notification_rules.py, docs/paging.md):
Slack at 0 min, SMS at 2 min, a call at 5 min, each counted from the moment the page goes out (10:00).
"""

from __future__ import annotations

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from tests.notify.world import ANNA, PHONES, said


def test_slack_then_sms_at_two_minutes_then_a_call_at_five(world):
    result = world.declare()
    page_id = result.pages[0].id
    world.run()  # 10:00
    assert [m.to for m in world.chat.sent if m.key == f"page:{page_id}:send"] == [ANNA]
    assert world.sms_to(PHONES["anna"]) == []
    world.advance(minutes=1, seconds=59)  # 10:01:59: not yet
    assert world.sms_to(PHONES["anna"]) == []
    world.advance(seconds=1)  # 10:02:00
    sms = world.sms_to(PHONES["anna"])
    assert len(sms) == 1
    assert f"ack {page_id}" in sms[0].body and "INC-1" in sms[0].body
    assert world.calls_to(PHONES["anna"]) == []
    world.advance(minutes=2, seconds=59)  # 10:04:59
    assert world.calls_to(PHONES["anna"]) == []
    world.advance(seconds=1)  # 10:05:00
    calls = world.calls_to(PHONES["anna"])
    # The call asks the bot what to say when it is answered (docs/paging.md): the page is still open, so it
    # speaks the page and offers the keypad for this page.
    assert len(calls) == 1 and calls[0].url == f"{world.url}/twilio/voice/answer?page={page_id}"
    world.twilio.answer(calls[0].sid)
    assert "<Gather" in calls[0].twiml and f"gather?page={page_id}" in calls[0].twiml
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "sent" and rows["sms"].provider_ref == sms[0].sid
    assert rows["voice"].state == "sent" and rows["voice"].provider_ref == calls[0].sid
    world.advance(minutes=30)
    assert len(world.sms_to(PHONES["anna"])) == 1 and len(world.calls_to(PHONES["anna"])) == 1


def test_the_timeline_says_which_methods_were_tried_when_and_how_it_went(world):
    result = world.declare()
    page_id = result.pages[0].id
    world.run()
    world.advance(minutes=2)
    with world.store.session() as s:
        notified = [e for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "page.notified")).all()]
    assert len(notified) == 1
    assert notified[0].data["method"] == "sms" and notified[0].data["page_id"] == page_id
    assert PHONES["anna"] not in notified[0].summary  # masked personal data
    assert "****" in notified[0].summary


def test_an_sms_ack_stops_the_call(world):
    result = world.declare()
    page_id = result.pages[0].id
    world.run()
    world.advance(minutes=2)
    answer = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body=f"ack {page_id}")
    assert answer.status == 200 and "acknowledged" in said(answer.body)
    world.advance(minutes=10)
    assert world.calls_to(PHONES["anna"]) == []
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["voice"].state == "cancelled" and rows["voice"].outcome == "acknowledged"
    # the ack also stopped the escalation to the deputy, and the incident channel was told who took it
    assert not any(m.key == f"page:{page_id}:escalate" for m in world.chat.sent)
    told = [m for m in world.chat.sent if m.to == "CINC0001" and "acknowledged the page" in m.notice.as_text()]
    assert len(told) == 1
