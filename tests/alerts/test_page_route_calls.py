"""A page route's call decides what it says when picked up, like an incident's (tests/notify/test_call_answer.py).

From tests/alerts/test_page_routes.py's world: a critical alert on Tuesday 2026-12-22 10:00 UTC pages anna
(platform's on-call person that week, phone +447700900001) through ``platform-escalation`` with high urgency.
While her phone rings the source may say the alert is over; the call must then not ask her to acknowledge.
"""

from __future__ import annotations

from bot.notify.inbound import Inbound
from bot.oncall.tables import Page
from tests.alerts.test_page_routes import day, page_config  # noqa: F401 - the fixtures

ANNAS_PHONE = "+447700900001"


def _inbound(world):
    return Inbound(world.incidents, lambda: world.config, alert_pages=world.answers)


def test_answered_while_the_alert_is_firing_it_names_the_alert_group_and_offers_the_keypad(day):  # noqa: F811
    [paged] = day.alert(severity="critical")
    [anna] = day.rows(Page)
    script = _inbound(day).call_answered(page_id=anna.id, to_phone=ANNAS_PHONE)
    assert script.ask
    assert script.text.startswith(f"Alert page for Alert group {paged.group}, alert, high urgency: ")
    assert script.text.endswith("Press 1 to acknowledge, 2 if you cannot take it.")


def test_resolved_by_the_source_while_the_phone_rang_the_call_asks_nothing(day):  # noqa: F811
    day.alert(severity="critical")
    [anna] = day.rows(Page)
    day.resolve(severity="critical")
    script = _inbound(day).call_answered(page_id=anna.id, to_phone=ANNAS_PHONE)
    assert not script.ask
    assert script.text.startswith(f"Page {anna.id} no longer needs you: ")


def test_acknowledged_by_sms_while_the_phone_rang_the_call_asks_nothing(day):  # noqa: F811
    day.alert(severity="critical")
    [anna] = day.rows(Page)
    inbound = _inbound(day)
    assert inbound.sms(from_phone=ANNAS_PHONE, body=f"ack {anna.id}", message_id="SM-while-ringing").changed
    script = inbound.call_answered(page_id=anna.id, to_phone=ANNAS_PHONE)
    assert not script.ask and script.text == f"Page {anna.id} no longer needs you: acknowledged. Nothing to do. Goodbye."
