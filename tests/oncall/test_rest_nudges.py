"""Rest nudges from the scheduler: owed compensatory rest still unscheduled when the profile's period is over is told
to the person's manager, once, with the button that takes it from now. Expected values are worked out by hand."""

from __future__ import annotations

from sqlmodel import select

from bot.audit.trail import events
from bot.incidents.tables import Incident
from bot.oncall.history import load_history
from bot.oncall.paging import acknowledge, record_callout_end, record_plan
from bot.oncall.planner import ExceptionRequest, plan_pages
from bot.oncall.rest_ledger import schedule
from bot.oncall.tables import RestDebt
from bot.oncall.team import team_of
from bot.outbox.tables import Reminder
from bot.scheduling.kinds import rest_nudges
from bot.scheduling.sync import sync_incident
from bot.scheduling.wanted import Drop, Send
from tests.oncall.helpers import local, team_config

# Directive 2003/88/EC art. 17(2)-(3) as a test profile: an emergency exception waives the 11 h daily rest and owes
# 11 h of compensatory rest; the agreement gives 24 h to schedule it before the manager is nudged.
RULES = [{"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "TEST art. 3"},
         {"kind": "compensatory_rest", "schedule_within_hours": 24, "cite": "TEST art. 17(2)"}]
EXCEPTIONS = [{"id": "emergency", "severities": ["sev1"], "waives": ["min_daily_rest"], "compensatory_rest_hours": 11,
               "cite": "TEST art. 17(3)"}]


def _owed(s, config) -> tuple[int, int]:
    """anna, paged under the exception at TU 02:00 (an earlier call-out 00:00-01:00 restarted her rest), works until
    04:00: 11 h owed from 04:00, to be scheduled by WE 04:00. Returns (incident id, debt id)."""
    from bot.oncall.work_records import record_work

    record_work(s, team_of(config), person_id="anna", start=local("2026-03-03 00:00"), end=local("2026-03-03 01:00"),
                now=local("2026-03-03 01:30"), recorded_by="anna")
    row = Incident(number=1, title="checkout down", severity="sev1", playbook="sev1", reporter="U0BOSS001",
                   declared_at=local("2026-03-03 02:00"))
    s.add(row)
    s.flush()
    history = load_history(s, ["anna", "bea"], local("2026-03-03 02:00"))
    plan = plan_pages(config, "ops", local("2026-03-03 02:00"), "sev1", history=history,
                      exception=ExceptionRequest("U0BOSS001", "payments down"))
    [page] = record_plan(s, incident_id=row.id, plan=plan, actor="U0BOSS001", at=local("2026-03-03 02:00"))
    acknowledge(s, page.id, by="U0ANNA001", at=local("2026-03-03 02:00"))
    record_callout_end(s, "anna", row.id, local("2026-03-03 04:00"), config=config)
    [debt] = s.exec(select(RestDebt)).all()
    return row.id, debt.id


def test_the_manager_is_nudged_once_when_owed_rest_stays_unscheduled(store, write_config):
    config = team_config(write_config, RULES, exceptions=EXCEPTIONS)
    with store.session() as s:
        inc, debt_id = _owed(s, config)
        sync_incident(s, config, inc, local("2026-03-03 04:00"), kinds=(rest_nudges,))
        [reminder] = s.exec(select(Reminder).where(Reminder.kind == "rest_nudge")).all()
        # due WE 04:00 (owed at TU 04:00 + 24 h), to boss: no manager in people.yaml, so the rotation's fallback
        assert (reminder.key, reminder.state, reminder.recipient) == (f"rest:{debt_id}:nudge", "pending", "U0BOSS001")
        assert reminder.next_attempt_at == local("2026-03-04 04:00")
        outcome = rest_nudges.prepare(s, config, reminder, local("2026-03-04 04:00"))
        assert isinstance(outcome, Send) and outcome.direct and outcome.address == "U0BOSS001"
        assert outcome.notice.title == "Compensatory rest to schedule for anna"
        assert outcome.notice.buttons[0].action == "rest.schedule_now" and outcome.notice.buttons[0].value == f"rest:{debt_id}"
        assert s.get(RestDebt, debt_id).nudged_at == local("2026-03-04 04:00")
        assert [e.kind for e in events(s, inc)].count("oncall.rest_nudged") == 1
        # once: a second firing (a retry after a crash) is dropped, and nothing more is wanted
        assert isinstance(rest_nudges.prepare(s, config, reminder, local("2026-03-04 04:05")), Drop)
        assert rest_nudges.wanted(s, config, s.get(Incident, inc), local("2026-03-04 04:05")) == []


def test_rest_scheduled_in_time_cancels_the_nudge(store, write_config):
    config = team_config(write_config, RULES, exceptions=EXCEPTIONS)
    with store.session() as s:
        inc, debt_id = _owed(s, config)
        sync_incident(s, config, inc, local("2026-03-03 04:00"), kinds=(rest_nudges,))
        # scheduled TU 06:00 .. 17:00 (11 h) before WE 04:00: the pending nudge is cancelled, never sent
        schedule(s, team_of(config), debt_id, start=local("2026-03-03 06:00"), end=local("2026-03-03 17:00"),
                 by="boss", now=local("2026-03-03 05:00"))
        sync_incident(s, config, inc, local("2026-03-03 05:00"), kinds=(rest_nudges,))
        [reminder] = s.exec(select(Reminder).where(Reminder.kind == "rest_nudge")).all()
        assert reminder.state == "cancelled"
        assert isinstance(rest_nudges.prepare(s, config, reminder, local("2026-03-04 04:00")), Drop)


def test_a_nudge_slack_refuses_for_good_leaves_the_nudge_due(store, write_config):
    """The manager's DM is refused for good (their account is gone): the ledger must not say they were nudged.
    The commander is told of the failure; ``incident-bot rest`` shows the nudge as due again."""
    from bot.clock import ManualClock
    from bot.oncall.rest_ledger import nudges_due
    from bot.ports import ChatError
    from bot.scheduling.delivery import Dispatcher
    from tests.scheduling.fakes import FakeChat

    config = team_config(write_config, RULES, exceptions=EXCEPTIONS)
    with store.session() as s:
        inc, debt_id = _owed(s, config)
        sync_incident(s, config, inc, local("2026-03-03 04:00"), kinds=(rest_nudges,))
    chat = FakeChat()
    chat.fail_keys[f"rest:{debt_id}:nudge"] = [ChatError("Slack refused posting: user_not_found", code="user_not_found")]
    clock = ManualClock(local("2026-03-04 04:00"))
    Dispatcher(store, lambda: config, chat, clock, kinds=(rest_nudges,)).run_due()
    with store.session() as s:
        [reminder] = s.exec(select(Reminder).where(Reminder.kind == "rest_nudge")).all()
        assert reminder.state == "failed"
        assert s.get(RestDebt, debt_id).nudged_at is None
        assert [d.id for d in nudges_due(s, clock.now())] == [debt_id]
        kinds = [e.kind for e in events(s, inc)]
        assert "reminder.failed" in kinds or "side_effect.failed" in kinds
        [failed] = [e for e in events(s, inc) if e.kind == "oncall.rest_nudge_failed"]
        assert "user_not_found" in failed.summary and failed.data["debt_id"] == debt_id
