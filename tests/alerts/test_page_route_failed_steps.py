"""A page route's SMS, call or email step that fails for good is told to a person, not only recorded.

An incident's failed step is told in the incident channel; an alert group paged without an incident has
no channel, so the paged person is told in Slack (their number may be wrong), once, and the page still
escalates on its ack timeout. From tests/alerts/test_page_routes.py's world: a critical alert on Tuesday
2026-12-22 10:00 UTC pages anna (Slack now, SMS after 2 minutes, a call after 5: the shipped default rule).
"""

from __future__ import annotations

from datetime import timedelta

from bot.notify.delivery import NotificationDispatcher
from bot.notify.ports import NotifyError
from bot.notify.tables import Notification
from bot.oncall.tables import Page
from tests.alerts.test_page_routes import ANNA, day, page_config  # noqa: F401 - the fixtures


class RefusingPhone:
    """The notifier port of a provider that refuses the number for good."""

    def __init__(self):
        self.tried = []

    def send(self, message):
        self.tried.append(message)
        raise NotifyError("provider answered 400 (code 21211): The 'To' number is not a valid phone number.",
                          transient=False, code="21211")

    def find_sent(self, message, since):
        return None


def test_a_failed_sms_of_a_page_route_is_told_to_the_paged_person_once(day):  # noqa: F811
    [paged] = day.alert(severity="critical")
    day.worker.run_due()  # 10:00: the Slack page
    assert len(day.chat.sent) == 1
    phone = RefusingPhone()
    notify = NotificationDispatcher(day.store, lambda: day.config, {"sms": phone, "voice": phone}, day.clock)
    day.clock.advance(timedelta(minutes=2))
    notify.run_due()  # 10:02: the SMS is refused for good; the call (10:05) becomes due now
    assert [m.method for m in phone.tried] == ["sms", "voice"]
    assert [n.state for n in day.rows(Notification)] == ["failed", "failed"]
    day.worker.run_due()
    told = [m for m in day.chat.sent if m.notice.kind == "page_method_failed"]
    assert [(m.to, m.notice.title) for m in told] == [
        (ANNA, f"Alert group {paged.group}: could not reach you by SMS"),
        (ANNA, f"Alert group {paged.group}: could not reach you by a call")]
    assert "not a valid phone number" in told[0].notice.lines[0]
    # What comes next is said as it stands when the message goes: by then the call had failed too.
    assert [m.notice.lines[1] for m in told] == ["No further method: the page escalates on its ack timeout."] * 2
    day.clock.advance(timedelta(minutes=1))
    day.worker.run_due()
    assert len([m for m in day.chat.sent if m.notice.kind == "page_method_failed"]) == 2  # once each
    [anna] = day.rows(Page)
    assert anna.status == "sent"  # still open: it escalates on its ack timeout
