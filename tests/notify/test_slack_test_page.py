"""``/oncall test-page`` in Slack (through the real Bolt app, signed requests, the Slack double): anna,
who has a phone and an email in the shipped people.yaml, is told what is queued on each method."""

from __future__ import annotations

from sqlmodel import select

from bot.notify.tables import Notification
from tests.slack.conftest import world as slack_world  # noqa: F401 - the fixture
from tests.slack.test_listeners import command, replies


def test_oncall_test_page_queues_every_method_and_says_so(slack_world, store):  # noqa: F811
    _, _, double = slack_world
    assert command(slack_world, "test-page", user="U0ANNA001", name="/oncall") == 200
    text = double.wait_for(lambda: replies(double), what="the test-page reply")[0]
    assert text.startswith("Test page for anna:")
    assert "SMS to +44770****001: queued" in text and "email to a***@example.org: queued" in text
    with store.session() as s:
        rows = s.exec(select(Notification).where(Notification.person_id == "anna")).all()
    assert sorted(r.method for r in rows) == ["email", "sms", "voice"]
    assert all(r.page_id is None and r.state == "pending" for r in rows)
