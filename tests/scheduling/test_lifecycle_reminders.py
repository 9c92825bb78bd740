"""Reminders driven by the real lifecycle and the shipped configuration, with a ManualClock.

The repository's ``config/`` and ``playbooks/`` are the example organisation:
the ``platform`` rotation starts Monday 2026-12-21 09:00 Europe/Berlin with
anna, then bruno (``deputies: next_in_rotation``), and the
``platform-escalation`` policy pages level 1 (the rotation) with a 5 minute
ack timeout, then the deputies with 10 minutes.  Tuesday 2026-12-22 10:00 UTC
(11:00 in Berlin) is therefore anna's week, inside working hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.oncall.tables import Page
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
ANNA, BRUNO, KATRIN, CAMILLE, NADIA = "U0ANNA001", "U0BRUNO01", "U0KATRIN1", "U0CAMILLE", "U0NADIA01"


@pytest.fixture(scope="module")
def config():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


@pytest.fixture
def world(store, config):
    clock = ManualClock(TUESDAY)
    chat = FakeChat()
    service = IncidentService(store, lambda: config, clock)
    dispatcher = Dispatcher(store, lambda: config, chat, clock)
    return clock, chat, service, dispatcher


def _declare(service, severity="sev2", title="Checkout is down"):
    result = service.declare(severity, title, actor=KATRIN, key=f"declare-{title}")
    service.record_channel(result.incident.id, "CINC0001", "inc-1-checkout", key=f"channel-{title}")
    return result


def _rows(store, prefix=""):
    with store.session() as s:
        return {r.key: r for r in s.exec(select(Reminder).where(Reminder.key.like(f"{prefix}%"))).all()}


def test_the_page_goes_out_at_once_with_ack_and_decline_buttons(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    page_id = result.pages[0].id
    dispatcher.run_due()
    page = [m for m in chat.sent if m.key == f"page:{page_id}:send"]
    assert len(page) == 1 and page[0].to == ANNA and page[0].direct
    assert {(b.action, b.value) for b in page[0].notice.buttons} == {("page.ack", f"page:{page_id}"),
                                                                     ("page.decline", f"page:{page_id}")}
    assert "INC-1" in page[0].notice.title
    with store.session() as s:
        assert s.get(Page, page_id).status == "sent"


def test_escalation_reaches_the_deputy_after_the_ack_timeout(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    dispatcher.run_due()  # 10:00 page to anna
    clock.advance(minutes=4, seconds=59)
    dispatcher.run_due()
    assert not any(m.key.endswith(":escalate") for m in chat.sent)  # 5 minute timeout not reached
    clock.advance(seconds=1)  # 10:05:00
    dispatcher.run_due()
    escalation = [m for m in chat.sent if m.key == f"page:{result.pages[0].id}:escalate"]
    assert len(escalation) == 1 and escalation[0].to == "CINC0001"
    deputy_pages = [m for m in chat.sent if m.direct and m.to == BRUNO]
    assert len(deputy_pages) == 1  # bruno is next in the rotation: the deputy
    assert deputy_pages[0].notice.buttons[0].action == "page.ack"
    assert BRUNO in escalation[0].notice.as_text()


def test_acknowledging_the_page_cancels_the_escalation(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    page_id = result.pages[0].id
    dispatcher.run_due()
    clock.advance(minutes=2)
    service.acknowledge_page(page_id, actor=ANNA, key="ack-1")
    assert _rows(store, f"page:{page_id}:escalate")[f"page:{page_id}:escalate"].state == "cancelled"
    clock.advance(minutes=30)
    dispatcher.run_due()
    assert not any(m.to == BRUNO for m in chat.sent)


def test_resolving_cancels_cadence_and_response_checklist_nudges(store, world):
    clock, chat, service, dispatcher = world
    _declare(service)
    assert _rows(store, "incident:1:cadence:1")["incident:1:cadence:1"].state == "pending"
    with store.session() as s:
        from bot.incidents.tables import ChecklistTask

        phase = {t.id: t.phase for t in s.exec(select(ChecklistTask)).all()}
    declared_nudges = {f"task:{i}:nudge" for i, p in phase.items() if p == "declared"}
    assert declared_nudges <= set(_rows(store, "task:"))
    clock.advance(minutes=20)
    service.resolve(1, actor=KATRIN, key="resolve-1")
    rows = _rows(store)
    assert rows["incident:1:cadence:1"].state == "cancelled"
    assert {rows[k].state for k in declared_nudges} == {"cancelled"}
    clock.advance(hours=6)
    dispatcher.run_due()
    assert not any(m.key.startswith("incident:1:cadence") or m.key in declared_nudges for m in chat.sent)


def test_gdpr_deadline_nudges_are_planned_from_awareness_and_cancelled_when_notified(store, world):
    clock, chat, service, dispatcher = world
    _declare(service, "security", "Customer data exposed")
    service.assign_role(1, "comms_lead", CAMILLE, actor=KATRIN, key="role-1")
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="role-2")
    service.set_trigger(1, "aware", datetime(2026, 12, 22, 9, 30, tzinfo=timezone.utc), actor=CAMILLE, key="aware-1")
    with store.session() as s:
        from bot.deadlines.tables import Obligation

        gdpr = s.exec(select(Obligation).where(Obligation.obligation_id == "gdpr.authority")).one()
    prefix = f"obligation:{gdpr.id}:"
    rows = _rows(store, prefix)
    # GDPR Art. 33(1): within 72 h of awareness (Tue 09:30 UTC) -> due Fri 2026-12-25 09:30 UTC. The default
    # policy nudges at half the window (36 h: Wed 21:30), 24 h before (Thu 09:30), 4 h and 1 h before, at the
    # deadline, then every 4 h while overdue.
    assert rows[prefix + "50pct"].due_at == datetime(2026, 12, 23, 21, 30, tzinfo=timezone.utc)
    assert rows[prefix + "24h"].due_at == datetime(2026, 12, 24, 9, 30, tzinfo=timezone.utc)
    assert rows[prefix + "due"].due_at == datetime(2026, 12, 25, 9, 30, tzinfo=timezone.utc)

    # Wednesday 21:30 is outside everyone's working hours: a legal nudge goes out anyway, to the legal role.
    clock.set(datetime(2026, 12, 23, 21, 30, tzinfo=timezone.utc))
    dispatcher.run_due()
    nudge = [m for m in chat.sent if m.key == prefix + "50pct"]
    # The security playbook: legal files with the authority (authority_owner), the comms lead owns external
    # communication (external_owner); both are @-mentioned in the incident channel.
    assert len(nudge) == 1 and nudge[0].to == "CINC0001" and nudge[0].notice.mention_users == (NADIA, CAMILLE)
    assert "due in 1 d 12 h" in nudge[0].notice.title

    service.mark_notified(gdpr.id, actor=NADIA, key="notified-1", reference="DPA-2026-001",
                          submitted_at=clock.now())
    rows = _rows(store, prefix)
    assert rows[prefix + "50pct"].state == "sent"
    assert {r.state for k, r in rows.items() if k != prefix + "50pct" and r.kind == "deadline"} == {"cancelled"}
    # The nudge already sent loses its buttons: the duty is settled.
    assert rows[prefix + "50pct:update:1"].kind == "button_update"
    clock.set(datetime(2026, 12, 27, tzinfo=timezone.utc))
    dispatcher.run_due()
    assert [m.key for m in chat.sent if m.key.startswith(prefix)] == [prefix + "50pct"]


def test_a_cadence_nudge_outside_working_hours_is_held_until_the_owner_works(store, world):
    clock, chat, service, dispatcher = world
    # Declared Tue 19:00 UTC (20:00 Berlin) by katrin, who becomes commander. sev2 asks for an update every
    # 60 min, so the nudge is due 20:00 UTC = 21:00 Berlin. katrin (Munich) works MO-FR 08:30-17:30 Berlin:
    # held and re-checked every 15 min; the first check at or after Wed 08:30 Berlin = 07:30 UTC sends it.
    clock.set(datetime(2026, 12, 22, 19, 0, tzinfo=timezone.utc))
    _declare(service)
    key = "incident:1:cadence:1"
    assert _rows(store, key)[key].due_at == datetime(2026, 12, 22, 20, 0, tzinfo=timezone.utc)
    dispatcher.run_due()  # 20:00: held, next check 20:15
    assert not any(m.key == key for m in chat.sent)
    clock.set(datetime(2026, 12, 23, 7, 15, tzinfo=timezone.utc))  # checks in between change nothing
    sent_at = None
    while clock.now() < datetime(2026, 12, 23, 9, 0, tzinfo=timezone.utc) and sent_at is None:
        dispatcher.run_due()
        if any(m.key == key for m in chat.sent):
            sent_at = clock.now()
        clock.advance(minutes=15)
    assert sent_at == datetime(2026, 12, 23, 7, 30, tzinfo=timezone.utc)
    assert [m.notice.mention_users for m in chat.sent if m.key == key] == [(KATRIN,)]
    held = _rows(store, key)[key]
    assert held.late_by_seconds == 0  # held on purpose, not late: no "scheduler was not running" note
    assert "late" not in [m for m in chat.sent if m.key == key][0].notice.footer


def test_a_low_urgency_page_at_night_is_held_until_the_on_call_persons_working_hours(store, world):
    clock, chat, service, dispatcher = world
    # sev3 pages the platform rotation with low urgency. Tue 21:00 UTC is 22:00 in Munich, outside anna's
    # hours (MO-FR 09:00-12:30, 13:15-17:30 Berlin); Wed 2026-12-23 is a normal working day (the company
    # closure is the 24th), so the page waits for Wed 09:00 Berlin = 08:00 UTC (CET, UTC+1).
    clock.set(datetime(2026, 12, 22, 21, 0, tzinfo=timezone.utc))
    result = _declare(service, "sev3", "Slow search")
    key = f"page:{result.pages[0].id}:send"
    row = _rows(store, key)[key]
    assert (row.kind, row.recipient) == ("held_page", ANNA)
    assert row.due_at == datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc)
    clock.set(datetime(2026, 12, 23, 7, 59, 59, tzinfo=timezone.utc))
    dispatcher.run_due()
    assert not any(m.key == key for m in chat.sent)
    clock.set(datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc))
    dispatcher.run_due()
    sent = [m for m in chat.sent if m.key == key]
    assert len(sent) == 1 and sent[0].to == ANNA and sent[0].notice.kind == "held_page"
    assert "held until your working hours" in sent[0].notice.as_text()


def test_a_page_that_cannot_be_delivered_escalates_at_once(store, world):
    clock, chat, service, dispatcher = world
    from bot.ports import ChatError

    result = _declare(service)
    chat.fail_next.append(ChatError("Slack refused posting a page message: user_not_found", code="user_not_found"))
    dispatcher.run_due()  # 10:00: anna's DM fails for good; no use waiting 5 minutes for her ack
    key = f"page:{result.pages[0].id}:send"
    assert _rows(store, key)[key].state == "failed"
    assert [m.to for m in chat.sent if m.direct and m.notice.kind == "page"] == [BRUNO]


def _security_incident_aware_at(service, aware):
    _declare(service, "security", "Customer data exposed")
    service.assign_role(1, "comms_lead", CAMILLE, actor=KATRIN, key="role-1")
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="role-2")
    service.set_trigger(1, "aware", aware, actor=CAMILLE, key="aware-1")


def _gdpr_prefix(store):
    from bot.deadlines.tables import Obligation

    with store.session() as s:
        gdpr = s.exec(select(Obligation).where(Obligation.obligation_id == "gdpr.authority")).one()
    return gdpr.id, f"obligation:{gdpr.id}:"


def test_an_awareness_time_entered_late_sends_one_catch_up_nudge_not_a_burst(store, world):
    clock, chat, service, dispatcher = world
    # Aware Sun 2026-12-20 10:00 UTC, recorded Tue 10:00: GDPR due Wed 2026-12-23 10:00 (72 h). Half the
    # window (Mon 22:00) and 24 h before (Tue 10:00, now) have passed: only the latest of them is sent.
    _security_incident_aware_at(service, datetime(2026, 12, 20, 10, 0, tzinfo=timezone.utc))
    _, prefix = _gdpr_prefix(store)
    rows = _rows(store, prefix)
    assert prefix + "50pct" not in rows
    assert rows[prefix + "24h"].due_at == TUESDAY
    assert rows[prefix + "4h"].due_at == datetime(2026, 12, 23, 6, 0, tzinfo=timezone.utc)
    dispatcher.run_due()
    sent = [m for m in chat.sent if m.key.startswith(prefix)]
    assert [m.key for m in sent] == [prefix + "24h"]
    assert "late" not in sent[0].notice.footer  # created already due: not the scheduler's lateness


def test_a_snooze_drops_the_nudges_before_its_end_and_nudges_when_it_ends(store, world):
    clock, chat, service, dispatcher = world
    _security_incident_aware_at(service, datetime(2026, 12, 22, 9, 30, tzinfo=timezone.utc))
    obligation_id, prefix = _gdpr_prefix(store)
    # Due Fri 09:30 UTC. Snoozed on Wed 22:00 until Thu 12:00: the "24 h before" nudge (Thu 09:30) falls
    # inside the snooze and is dropped; one nudge comes when the snooze ends; "4 h before" (Fri 05:30) stays.
    clock.set(datetime(2026, 12, 23, 22, 0, tzinfo=timezone.utc))
    service.snooze_obligation(obligation_id, datetime(2026, 12, 24, 12, 0, tzinfo=timezone.utc), actor=NADIA,
                              key="snooze-1")
    rows = _rows(store, prefix)
    assert rows[prefix + "24h"].state == "cancelled"
    ends = [r for k, r in rows.items() if k.startswith(prefix + "snooze-")]
    assert [(r.state, r.due_at) for r in ends] == [("pending", datetime(2026, 12, 24, 12, 0, tzinfo=timezone.utc))]
    assert rows[prefix + "4h"].state == "pending"
