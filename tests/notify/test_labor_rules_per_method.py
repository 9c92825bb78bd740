"""Labor rules apply to every method.

Contact ban: bruno works in Lisbon, where CT art. 199.º-A (Lei 83/2021), config/labor/pt-ct.yaml
(``contact_window``, ``mode: forbid``, ``during: rest_periods``) forbids any employer contact during rest.
His working hours end at 18:00 (Lisbon = UTC in December) and he is not rostered in anna's week, so
from 18:00 UTC on he is at rest and may not be contacted by any means.  anna is on call (platform, night
coverage from 18:00 Munich = 17:00 UTC); declared at 17:50 UTC, her page times out at 17:55 and bruno
(the deputy) is paged in Slack at 17:55, while he still works.  His own rule puts SMS at 5 minutes and
a call and an email at 6: 18:00 and 18:01, inside his rest: none may go out.

Held page: sev3 pages platform with low urgency, held until the person's working hours
(``hold_until_working_hours``).  Declared Tuesday 2026-12-22 20:00 UTC (21:00 Munich), anna's page is
held until her next working hours: Wednesday 23 December 09:00 Munich = 08:00 UTC (people.yaml:
MO-FR 09:00-12:30).  Her own low-urgency rule: Slack, SMS and email at once, so all three go at 08:00.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.oncall.tables import Page
from tests.notify.world import ANNA, EMAILS, PHONES, build_world


def _bruno_rule(doc):
    bruno = next(p for p in doc["people"] if p["id"] == "bruno")
    bruno["notify"] = {"high": [{"method": "slack", "after": "0m"}, {"method": "sms", "after": "5m"},
                                {"method": "voice", "after": "6m"}, {"method": "email", "after": "6m"}]}


def test_a_contact_ban_suppresses_sms_calls_and_email(store, tmp_path):
    world = build_world(store, tmp_path, people_edit=_bruno_rule,
                        start=datetime(2026, 12, 22, 17, 50, tzinfo=timezone.utc))
    try:
        world.declare()
        world.run()
        world.advance(minutes=5)  # 17:55: anna's ack timeout, bruno paged in Slack (working until 18:00)
        with store.session() as s:
            deputy = s.exec(select(Page).where(Page.person_id == "bruno")).one()
        assert any(m.to == "U0BRUNO01" and m.key == f"page:{deputy.id}:send" for m in world.chat.sent)
        world.advance(minutes=10)  # 18:05: his SMS (18:00), call and email (18:01) were due
        assert world.sms_to(PHONES["bruno"]) == [] and world.calls_to(PHONES["bruno"]) == []
        assert world.mails_to(EMAILS["bruno"]) == []
        rows = world.rows(deputy.id)
        assert {r.method for r in rows} == {"sms", "voice", "email"}
        assert all(r.state == "suppressed" and "CT art. 199.º-A" in r.outcome for r in rows)
        with store.session() as s:
            events = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "page.method_suppressed")).all()
        assert len(events) == 3
        # anna is rostered on call: the ban does not cover her, her SMS went out at 17:52
        assert len(world.sms_to(PHONES["anna"])) == 1
    finally:
        world.close()


def test_a_person_skipped_by_the_plan_gets_nothing_on_any_method(store, tmp_path):
    """At 18:30 UTC bruno is at rest: the plan skips him (contact_forbidden), so he has no page and no
    notification on any method."""
    world = build_world(store, tmp_path, people_edit=_bruno_rule,
                        start=datetime(2026, 12, 22, 18, 20, tzinfo=timezone.utc))
    try:
        world.declare()
        world.run()
        world.advance(minutes=30)
        with store.session() as s:
            assert s.exec(select(Page).where(Page.person_id == "bruno")).all() == []
        assert world.sms_to(PHONES["bruno"]) == [] and world.mails_to(EMAILS["bruno"]) == []
    finally:
        world.close()


def _anna_low(doc):
    anna = next(p for p in doc["people"] if p["id"] == "anna")
    anna["notify"] = {"low": [{"method": "slack", "after": "0m"}, {"method": "sms", "after": "0m"},
                              {"method": "email", "after": "0m"}]}


def test_a_held_low_urgency_page_is_released_on_every_method_at_working_time(store, tmp_path):
    world = build_world(store, tmp_path, people_edit=_anna_low,
                        start=datetime(2026, 12, 22, 20, 0, tzinfo=timezone.utc))
    try:
        result = world.declare("sev3", "Slow reports")
        page = result.pages[0]
        assert (page.person_id, page.status) == ("anna", "held")
        assert page.page_at == datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc)
        world.run()
        world.clock.set(datetime(2026, 12, 23, 7, 59, 59, tzinfo=timezone.utc))
        world.run()
        assert not any(m.to == ANNA for m in world.chat.sent)
        assert world.sms_to(PHONES["anna"]) == [] and world.mails_to(EMAILS["anna"]) == []
        world.advance(seconds=1)  # 08:00 UTC = 09:00 Munich
        assert any(m.to == ANNA and m.key == f"page:{page.id}:send" for m in world.chat.sent)
        assert len(world.sms_to(PHONES["anna"])) == 1 and len(world.mails_to(EMAILS["anna"])) == 1
        rows = world.rows(page.id)
        assert {(r.method, r.state) for r in rows} == {("sms", "sent"), ("email", "sent")}
        assert all(r.due_at == datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc) for r in rows)
    finally:
        world.close()
