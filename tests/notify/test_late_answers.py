"""Answers that come late or twice: after the escalation already paged the deputy, or a second ack.

docs/paging.md: "An acknowledgement or decline cancels the pending steps of every method in the same
transaction. This includes the steps of other people paged for the same target", and "a page already
answered gets a clear answer and changes nothing".

Times from the shipped platform rotation (5 min ack timeout, bruno deputy of anna) and the default
high-urgency rule (Slack 0, SMS 2 min, call 5 min): anna is paged at 10:00, bruno at 10:05.
"""

from __future__ import annotations

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.oncall.tables import Page
from tests.notify.world import PHONES, said


def _pages(world):
    with world.store.session() as s:
        rows = list(s.exec(select(Page).order_by(Page.id)).all())
        for r in rows:
            s.expunge(r)
        return rows


def _acks(world):
    with world.store.session() as s:
        return [e for e in s.exec(select(TimelineEvent)).all() if e.kind == "page.acked"]


def test_an_ack_after_the_deputy_was_paged_stops_the_deputys_sms_and_call(world):
    anna_page = world.declare().pages[0].id
    world.run()
    world.advance(minutes=5)  # 10:05: anna's ack timeout: bruno is paged; anna's call goes
    pages = _pages(world)
    bruno_page = next(p for p in pages if p.person_id == "bruno")
    assert {r.method: r.state for r in world.rows(bruno_page.id)} == {"sms": "pending", "voice": "pending"}
    world.advance(minutes=1)  # 10:06
    answer = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body=f"ack {anna_page}")
    assert answer.status == 200 and "acknowledged" in said(answer.body)
    world.advance(minutes=30)
    assert world.sms_to(PHONES["bruno"]) == [] and world.calls_to(PHONES["bruno"]) == []
    assert {r.state for r in world.rows(bruno_page.id)} == {"cancelled"}


def test_a_second_ack_by_sms_changes_nothing_and_says_so(world):
    anna_page = world.declare().pages[0].id
    world.run()
    world.advance(minutes=2)
    first = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body=f"ack {anna_page}")
    second = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body=f"ack {anna_page}")
    assert first.status == 200 and second.status == 200
    assert "nothing was changed" in said(second.body)
    assert len(_acks(world)) == 1


def test_the_deputys_late_ack_of_a_page_already_taken_changes_nothing(world):
    anna_page = world.declare().pages[0].id
    world.run()
    world.advance(minutes=5)  # bruno paged at 10:05
    bruno_page = next(p for p in _pages(world) if p.person_id == "bruno").id
    world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body=f"ack {anna_page}")
    late = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["bruno"], body=f"ack {bruno_page}")
    assert late.status == 200 and "nothing was changed" in said(late.body), said(late.body)
    assert len(_acks(world)) == 1
