"""People who share a phone (a team's on-call handset, a home landline) each answer their own pages from it.

The test world (tests/notify/world.py) pages anna at 10:00 (sev2, high urgency): Slack at once, SMS at 10:02,
a call at 10:05, which is also her ack timeout (her deputy bruno is paged in Slack then, by SMS at 10:07).
Here bruno, listed before anna in people.yaml, has anna's number too: the bot used to take the first person
with the number as the one answering, so anna's replies from her own phone were refused as "no page for you"
and her page call said it was "not yours".
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.config.loader import collect
from bot.oncall.tables import Page
from tests.notify.world import PHONES, build_world, said, write_config


def _bruno_first_with_annas_phone(doc):
    people = doc["people"]
    anna = next(p for p in people if p["id"] == "anna")
    bruno = next(p for p in people if p["id"] == "bruno")
    bruno["contact"] = {**bruno["contact"], "phone": anna["contact"]["phone"]}
    people.remove(bruno)
    people.insert(people.index(anna), bruno)  # the first one with the number


@pytest.fixture
def shared(store, tmp_path):
    w = build_world(store, tmp_path, people_edit=_bruno_first_with_annas_phone)
    yield w
    w.close()


def _status(world, page_id):
    with world.store.session() as s:
        return s.get(Page, page_id).status


def test_an_sms_reply_naming_the_page_acknowledges_it_for_the_one_it_was_for(shared):
    page_id = shared.declare().pages[0].id
    shared.run()
    shared.advance(minutes=2)  # 10:02: anna's SMS
    answer = shared.twilio.sms_reply(f"{shared.url}/twilio/sms", from_=PHONES["anna"], body=f"ack {page_id}")
    assert answer.status == 200 and "acknowledged" in said(answer.body)
    assert _status(shared, page_id) == "acked"


def test_ack_without_a_number_takes_the_only_open_page_of_anyone_with_the_phone(shared):
    page_id = shared.declare().pages[0].id
    shared.run()
    shared.advance(minutes=2)  # only anna has a page open: bruno is paged at 10:05
    answer = shared.twilio.sms_reply(f"{shared.url}/twilio/sms", from_=PHONES["anna"], body="ack")
    assert answer.status == 200 and "acknowledged" in said(answer.body)
    assert _status(shared, page_id) == "acked"


def test_ack_without_a_number_is_refused_while_two_of_them_have_pages_open(shared):
    page_id = shared.declare().pages[0].id
    shared.run()
    shared.advance(minutes=5)  # 10:05: anna's ack timeout, bruno is paged too
    with shared.store.session() as s:
        open_pages = s.exec(select(Page.person_id).where(Page.status.in_(("sent", "escalated")))).all()
    assert sorted(open_pages) == ["anna", "bruno"]
    answer = shared.twilio.sms_reply(f"{shared.url}/twilio/sms", from_=PHONES["anna"], body="ack")
    assert "Which page?" in said(answer.body) and "people with this number" in said(answer.body)
    assert _status(shared, page_id) == "escalated"  # nothing changed


def test_the_page_call_speaks_the_page_and_its_keypad_acknowledges_it(shared):
    page_id = shared.declare().pages[0].id
    shared.run()
    shared.advance(minutes=5)  # 10:05: the call to anna's (shared) number
    call = next(c for c in shared.calls_to(PHONES["anna"]) if f"page={page_id}" in c.url)
    answered = shared.twilio.answer(call.sid)
    assert answered is not None and "Press 1 to acknowledge" in said(answered.body)
    pressed = shared.twilio.press(call.sid, "1")
    assert pressed.status == 200 and "acknowledged" in said(pressed.body)
    assert _status(shared, page_id) == "acked"


def test_a_reply_cannot_take_a_page_of_someone_without_the_number(shared):
    page_id = shared.declare().pages[0].id
    shared.run()
    shared.advance(minutes=2)
    answer = shared.twilio.sms_reply(f"{shared.url}/twilio/sms", from_=PHONES["katrin"], body=f"ack {page_id}")
    assert f"no page {page_id} for you" in said(answer.body)
    assert _status(shared, page_id) == "sent"


def test_check_warns_about_a_shared_number_without_quoting_it(tmp_path):
    config, issues = collect(write_config(tmp_path, people_edit=_bruno_first_with_annas_phone))
    assert config is not None  # a warning, not an error: the configuration loads
    shared = [i for i in issues if "same phone number" in str(i)]
    assert len(shared) == 1 and shared[0].severity == "warning"
    text = str(shared[0])
    assert "anna has the same phone number as bruno" in text
    assert PHONES["anna"] not in text and PHONES["anna"][-6:] not in text
