"""Acknowledging from where the page arrived: an SMS reply, a key on the call, a signed email link.
Each stops the steps still pending on every other method (and the escalation to the deputy)."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.oncall.tables import Page
from tests.notify.world import EMAILS, PHONES, build_world, said


def _page_status(world, page_id):
    with world.store.session() as s:
        return s.get(Page, page_id).status


def _events(world, kind):
    with world.store.session() as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.kind == kind)).all())


def _http(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def email_first(store, tmp_path):
    """anna's own high-urgency rule: Slack, email after 1 minute, SMS after 2 (the minimum: SMS by 5)."""
    def edit(doc):
        anna = next(p for p in doc["people"] if p["id"] == "anna")
        anna["notify"] = {"high": [{"method": "slack", "after": "0m"}, {"method": "email", "after": "1m"},
                                   {"method": "sms", "after": "2m"}, {"method": "voice", "after": "4m"}]}
    w = build_world(store, tmp_path, people_edit=edit)
    yield w
    w.close()


def test_a_keypad_press_on_the_call_acknowledges(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=5)  # SMS at 10:02, the call at 10:05
    call = world.calls_to(PHONES["anna"])[0]
    answer = world.twilio.press(call.sid, "1")
    assert answer.status == 200 and "acknowledged" in said(answer.body)
    assert _page_status(world, page_id) == "acked"
    # 10:05 was also anna's ack timeout: the deputy was paged in Slack; the ack stops the deputy's SMS and call
    world.advance(minutes=20)
    assert world.sms_to(PHONES["bruno"]) == [] and world.calls_to(PHONES["bruno"]) == []
    with world.store.session() as s:
        deputy = s.exec(select(Page).where(Page.person_id == "bruno")).one()
    assert {(r.method, r.state) for r in world.rows(deputy.id)} == {("sms", "cancelled"), ("voice", "cancelled")}


def test_a_keypad_press_other_than_1_or_2_changes_nothing(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=5)
    call = world.calls_to(PHONES["anna"])[0]
    answer = world.twilio.press(call.sid, "9")
    assert answer.status == 200 and "Press 1" in said(answer.body)
    assert _page_status(world, page_id) == "escalated"  # 10:05 is also the ack timeout; not acked
    assert _events(world, "page.acked") == []


def test_the_email_link_acknowledges_and_stops_the_sms_and_the_call(email_first):
    world = email_first
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=1)  # the email goes out at 10:01
    mails = world.mails_to(EMAILS["anna"])
    assert len(mails) == 1
    link = re.search(r"Acknowledge: (\S+)", mails[0].get_content()).group(1)
    assert link.startswith(f"{world.url}/page/ack?t=")
    status, body = _http(link)  # a mail scanner opening the link changes nothing
    assert status == 200 and "<form" in body and _page_status(world, page_id) == "sent"
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]
    status, body = _http(f"{world.url}/page/ack", {"t": token})
    assert status == 200 and "acknowledged" in body
    assert _page_status(world, page_id) == "acked"
    world.advance(minutes=10)
    assert world.sms_to(PHONES["anna"]) == [] and world.calls_to(PHONES["anna"]) == []
    states = {r.method: (r.state, r.outcome) for r in world.rows(page_id)}
    assert states == {"email": ("sent", None), "sms": ("cancelled", "acknowledged"),
                      "voice": ("cancelled", "acknowledged")}
    # the same link again: answered, nothing changed
    status, body = _http(f"{world.url}/page/ack", {"t": token})
    assert status == 200 and "Nothing changed" in body
    assert len(_events(world, "page.acked")) == 1


def test_an_altered_email_link_is_refused(email_first):
    world = email_first
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=1)
    link = re.search(r"Acknowledge: (\S+)", world.mails_to(EMAILS["anna"])[0].get_content()).group(1)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    status, body = _http(f"{world.url}/page/ack", {"t": forged})
    assert status == 401 and "not one the bot signed" in body
    assert _page_status(world, page_id) == "sent"


def test_sms_decline_with_a_reason_pages_the_deputy_and_stops_the_call(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=2)
    answer = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"],
                                    body=f"decline {page_id} driving, 30 min away")
    assert answer.status == 200 and "driving, 30 min away" in said(answer.body)
    assert _page_status(world, page_id) == "declined"
    world.advance(minutes=10)
    assert world.calls_to(PHONES["anna"]) == []


def test_help_and_unknown_codes_get_a_clear_answer_and_change_nothing(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=2)
    help_answer = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body="help")
    assert "Reply 'ack <page>'" in said(help_answer.body)
    unknown = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body="ack 99999")
    assert unknown.status == 200 and "no page 99999 for you" in said(unknown.body)
    stranger = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_="+4917700000000", body=f"ack {page_id}")
    assert "not on any rota" in said(stranger.body)
    bruno = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["bruno"], body=f"ack {page_id}")
    assert f"no page {page_id} for you" in said(bruno.body)  # someone else's page
    assert _page_status(world, page_id) == "sent"


def test_ack_without_a_number_takes_the_only_open_page(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=2)
    answer = world.twilio.sms_reply(f"{world.url}/twilio/sms", from_=PHONES["anna"], body="  ACK ")
    assert answer.status == 200 and "acknowledged" in said(answer.body)
    assert _page_status(world, page_id) == "acked"
