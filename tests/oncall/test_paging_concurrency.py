"""Two transactions changing one page at the same time: an acknowledgement is never overwritten.

The scheduler records a page as sent (``mark_sent``) or escalates it in its own transaction; the
person can press Acknowledge in between. On PostgreSQL (READ COMMITTED) a transaction that read the page
before the acknowledgement committed would write its stale status back and undo the ack: escalation
would then page the deputy of someone who took the incident. SQLite serialises writers, PostgreSQL must
lock the page row; the test runs on both.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.oncall.paging import acknowledge, escalate, mark_sent, record_plan
from bot.oncall.planner import plan_pages
from bot.oncall.tables import Page
from tests.oncall.helpers import local, team_config
from tests.oncall.test_paging import incident


@pytest.mark.parametrize("meanwhile", ["recorded as sent", "escalated on timeout"])
def test_a_page_changed_while_it_is_acknowledged_stays_acknowledged(store, write_config, meanwhile):
    config = team_config(write_config, [])
    at = local("2026-03-04 10:00")
    with store.session() as s:
        inc = incident(s, at)
        [page] = record_plan(s, incident_id=inc, plan=plan_pages(config, "ops", at, "sev2"), actor="system", at=at)
        page_id = page.id
    errors: list[BaseException] = []

    def record_sent_meanwhile() -> None:
        try:
            with store.session() as s:
                if meanwhile == "recorded as sent":
                    mark_sent(s, page_id, at=at + timedelta(seconds=1))
                else:
                    escalate(s, config, page_id, at=at + timedelta(minutes=5))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with store.session() as s:
        acknowledge(s, page_id, by="U0ANNA001", at=at + timedelta(seconds=2))  # flushed, not yet committed
        other = threading.Thread(target=record_sent_meanwhile)
        other.start()
        time.sleep(0.5)  # the other transaction reads the page now, while the acknowledgement is uncommitted
    other.join(timeout=30)
    assert not other.is_alive() and not errors, errors
    with store.session() as s:
        stored = s.get(Page, page_id)
        assert (stored.status, stored.acked_at is not None) == ("acked", True)
        # anna took it: her deputy bea must not be woken by an escalation that read the page too early
        assert [p.person_id for p in s.exec(select(Page).order_by(Page.id))] == ["anna"]
