"""A row of no incident that fails for good is told to the operators, once; a failed notice is not told again.

A row with an incident tells its commander (tests/scheduling/test_outbox.py); a row without one (an alert
group's page, a failed SMS told to the paged person) has nobody to tell but the people who run the bot.
"""

from __future__ import annotations

import types

import pytest
from sqlmodel import select

from bot.audit.trail import events, verify_chain
from bot.outbox import effects
from bot.outbox.tables import Reminder
from bot.ports import ChatError, Notice
from bot.scheduling.delivery import MAX_ATTEMPTS, Dispatcher
from bot.scheduling.failures import shown_recipient
from bot.scheduling.kinds import posts
from bot.scheduling.wanted import Send
from tests.scheduling.fakes import FakeChat, make_config

KEY = "page:7:send"
PERSON = "U0ANNA001"


def _prepare(session, config, reminder, now):
    return Send(reminder.recipient, Notice(kind="page", title="Page: disk full"), True)


# A row kind of no incident, as an alert group's page is: a direct message to the paged person. Like a page it has
# a fallback (``on_failed``: the real kind pages the next level), so transient failures fail it after MAX_ATTEMPTS
# instead of being ridden out (bot/scheduling/recording.py).
group_page = types.SimpleNamespace(name="group_page", prepare=_prepare, after_sent=lambda *a: None,
                                   on_failed=lambda *a: None,
                                   wanted=lambda *a: [], describe=lambda row: f"send the page #{row.target} of an alert group")
KINDS = (group_page, posts)


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def world(store, clock, config):
    with store.session() as s:
        effects.add(s, key=KEY, kind="group_page", incident_id=None, at=clock.now(), recipient=PERSON, target=7)
    chat = FakeChat()
    return chat, Dispatcher(store, lambda: config, chat, clock, kinds=KINDS)


def _rows(store):
    with store.session() as s:
        return {r.key: r for r in s.exec(select(Reminder)).all()}


def test_a_permanent_failure_of_a_row_without_incident_is_told_to_the_operators_once(store, world):
    chat, dispatcher = world
    chat.fail_keys[KEY] = [ChatError("Slack refused posting a page message: user_not_found", code="user_not_found")]
    counts = dispatcher.run_due()  # the page fails, the notice about it is written and delivered
    assert counts == {"failed": 1, "sent": 1}
    rows = _rows(store)
    notice_row = rows["operators:failed:1"]
    assert (notice_row.kind, notice_row.incident_id, notice_row.recipient, notice_row.state) == \
        ("post", None, "#incidents", "sent")
    [sent] = chat.sent
    assert sent.to == chat.channel_id("#incidents") and not sent.direct
    text = sent.notice.as_text()
    assert "could not send the page #7 of an alert group" in text and "user_not_found" in text
    assert f"Recipient: {PERSON}" in text and "Kind: group_page" in text and f"Row: {KEY}" in text
    assert dispatcher.run_due() == {}  # nothing more: one notice per failed row
    with store.session() as s:
        assert [e.kind for e in events(s, None)] == ["reminder.failed", "effect.done"]  # the notice: a post
        assert verify_chain(s, None).ok


def test_transient_failures_until_the_limit_are_told_once_too(store, clock, world):
    chat, dispatcher = world
    for _ in range(MAX_ATTEMPTS):
        chat.fail_keys[KEY] = [ChatError("Slack is down", code="http_503", transient=True)]
        dispatcher.run_due()
        clock.advance(minutes=10)
    assert [k for k in _rows(store) if k.startswith("operators:")] == ["operators:failed:1"]
    assert [s.key for s in chat.sent] == ["operators:failed:1"]


def test_a_notice_that_fails_for_good_is_not_told_again(store, world):
    chat, dispatcher = world
    chat.fail_keys[KEY] = [ChatError("Slack refused posting a page message: user_not_found", code="user_not_found")]
    chat.fail_keys["operators:failed:1"] = [ChatError("Slack refused posting: channel_not_found",
                                                      code="channel_not_found")]
    assert dispatcher.run_due() == {"failed": 2}
    rows = _rows(store)
    assert sorted(rows) == ["operators:failed:1", KEY]
    assert rows["operators:failed:1"].state == "failed"
    assert chat.sent == []
    with store.session() as s:  # both failures are on the global chain
        assert [e.data["key"] for e in events(s, None)] == [KEY, "operators:failed:1"]


def test_an_address_is_shown_masked_a_slack_id_as_it_is():
    assert shown_recipient("U0ANNA001") == "U0ANNA001" and shown_recipient("#incidents") == "#incidents"
    assert shown_recipient("+4915112345678") == "+49151****678"
    assert shown_recipient("anna@example.org") == "a***@example.org"
