"""A page's message loses its buttons once they no longer apply (issue: "a declined page keeps its buttons").

Same world as tests/scheduling/test_outbox.py: the shipped sev2 playbook pages anna (platform, Tuesday
2026-12-22 10:00 UTC) in a direct message with Acknowledge / Can't take it buttons.
"""

from __future__ import annotations

from tests.scheduling.test_outbox import ANNA, _declare, config, world  # noqa: F401  (fixtures)


def test_a_declined_page_loses_its_buttons_and_says_why(store, world):  # noqa: F811
    _, chat, service, dispatcher = world
    result = _declare(service)
    dispatcher.run_due()
    page = result.pages[0]
    sent = next(m for m in chat.sent if m.key == f"page:{page.id}:send")
    assert {b.action for b in sent.notice.buttons} >= {"page.ack", "page.decline"}  # what she could press
    service.decline_page(page.id, "at the dentist", actor=ANNA, key="decline-1")
    dispatcher.run_due()
    [(to, ts, notice)] = [u for u in chat.updates if u[1] == sent.ts]
    assert (to, notice.buttons) == (ANNA, ())  # the same message, no buttons left to press
    assert notice.lines == ("You said you can't take it: at the dentist",)
    dispatcher.run_due()
    assert len([u for u in chat.updates if u[1] == sent.ts]) == 1  # updated once, not on every run
