"""The rest ledger: compensatory rest owed after call-outs and exceptions, scheduled, taken or interrupted,
and the manager nudged when it stays unscheduled. Expected values are worked out by hand in the comments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.audit.trail import events
from bot.incidents.tables import Incident
from bot.oncall.history import load_history
from bot.oncall.paging import acknowledge, record_callout_end, record_plan
from bot.oncall.planner import ExceptionRequest, plan_pages
from bot.oncall.rest_ledger import LedgerError, ledger, manager_of, mark_nudged, nudge_notice, nudges_due, schedule
from bot.oncall.tables import RestDebt
from bot.oncall.team import team_of
from bot.oncall.work_records import record_work
from tests.oncall.conftest import one_rotation, person, site
from tests.oncall.helpers import local, team_config

LONDON = "Europe/London"


def uk_team(write_config):
    # uk-wtr as shipped: min_daily_rest 11 h, a call-out during an incomplete rest owes equivalent compensatory rest
    # (reg 21, 24); compensatory_rest: schedule_within_hours 0 (the rest immediately follows the work, Jaeger).
    people = [person("anna", "U0ANNA001", site="london", manager="katrin"), person("bea", "U0BEA0001", site="london"),
              person("katrin", "U0KATRIN1", site="london")]
    config = write_config(people={"sites": [site("london", LONDON, "uk-wtr")], "people": people},
                          rotas=one_rotation(["anna", "bea"], zone=LONDON, fallback="katrin"), labor=[], shipped_labor=True)
    return config, team_of(config)


def at(text):
    return local(text, LONDON)


def test_a_call_out_that_interrupted_the_rest_owes_equivalent_rest_and_nudges_the_manager_at_once(store, write_config):
    config, team = uk_team(write_config)
    with store.session() as s:
        # anna works MO-FR 09:00-17:00. Phoned TU 02:00-03:00: 9 h after MO 17:00, an incomplete 11 h rest (reg 10):
        # 11 h compensatory rest owed from 03:00 (reg 24). schedule_within_hours 0: the manager is due a nudge at 03:00.
        rec = record_work(s, team, person_id="anna", start=at("2026-03-03 02:00"), end=at("2026-03-03 03:00"),
                          now=at("2026-03-03 07:00"), recorded_by="anna", note="phoned by the NOC")
        [debt] = rec.debts
        assert (debt.hours, debt.owed_since, debt.schedule_by) == (11, at("2026-03-03 03:00"), at("2026-03-03 03:00"))
        assert debt.citation == "WTR 1998 reg 10, 21, 24" and "during an incomplete rest after 9 h of rest" in debt.reason
        # during working time (WE 10:00-11:00) and after a complete rest (TH 04:00-05:00, 11 h after WE 17:00) no rest
        # was interrupted: nothing owed
        for start, end in (("2026-03-04 10:00", "2026-03-04 11:00"), ("2026-03-05 04:00", "2026-03-05 05:00")):
            assert record_work(s, team, person_id="anna", start=at(start), end=at(end), now=at("2026-03-05 12:00"),
                               recorded_by="anna").debts == ()
        [view] = ledger(s, now=at("2026-03-03 07:00"))
        assert view.status == "owed"
        assert [d.id for d in nudges_due(s, at("2026-03-03 07:00"))] == [debt.id]
        assert manager_of(team, "anna") == "katrin"
        notice = nudge_notice(team, debt, now=at("2026-03-03 07:00"))
        assert notice.title == "Compensatory rest to schedule for anna" and notice.buttons[0].value == f"rest:{debt.id}"
        assert notice.lines[0] == ("anna is owed 11 h of compensatory rest since 2026-03-03 03:00 Europe/London: "
                                   "call-out during an incomplete rest after 9 h of rest interrupted the 11 h daily rest.")
        # the button takes the rest from now: 07:00 to 18:00
        assert "from 2026-03-03 07:00 Europe/London to 2026-03-03 18:00 Europe/London" in notice.lines[2]
        mark_nudged(s, debt, manager="katrin", now=at("2026-03-03 07:00"))
        assert nudges_due(s, at("2026-03-03 08:00")) == []  # once
        kinds = [e.kind for e in events(s, None)]
        assert kinds.count("oncall.rest_owed") == 1 and kinds[-1] == "oncall.rest_nudged"


def test_schedule_taken_interrupted_and_scheduled_rest_blocks_paging(store, write_config):
    config, team = uk_team(write_config)
    with store.session() as s:
        [debt] = record_work(s, team, person_id="anna", start=at("2026-03-03 02:00"), end=at("2026-03-03 03:00"),
                             now=at("2026-03-03 07:00"), recorded_by="anna").debts
        with pytest.raises(LedgerError, match="expected one consecutive span of at least 11 h, got 10 h"):
            schedule(s, team, debt.id, start=at("2026-03-03 08:00"), end=at("2026-03-03 18:00"), by="katrin",
                     now=at("2026-03-03 07:00"))
        with pytest.raises(LedgerError, match="expected a span that starts now or later"):
            schedule(s, team, debt.id, start=at("2026-03-03 04:00"), end=at("2026-03-03 15:00"), by="katrin",
                     now=at("2026-03-03 07:00"))
        schedule(s, team, debt.id, start=at("2026-03-03 08:00"), end=at("2026-03-03 19:00"), by="katrin",
                 now=at("2026-03-03 07:00"))
        assert [v.status for v in ledger(s, now=at("2026-03-03 12:00"))] == ["scheduled"]
        assert [v.status for v in ledger(s, now=at("2026-03-03 19:00"))] == ["taken"]  # passed without work in it
        assert nudges_due(s, at("2026-03-03 19:00")) == []
    with store.session() as s:
        # scheduled rest is time off: at 10:00 anna is skipped until 19:00 and bea takes the page
        history = load_history(s, ["anna", "bea"], at("2026-03-03 10:00"))
    plan = plan_pages(config, "ops", at("2026-03-03 10:00"), "sev2", history=history)
    assert (plan.skipped[0].person, plan.skipped[0].reason_code, plan.skipped[0].until) == (
        "anna", "scheduled_rest", at("2026-03-03 19:00"))
    assert plan.plan[0].person == "bea"
    with store.session() as s:
        # work recorded inside the scheduled span: the rest was not taken, it is interrupted (schedule it again)
        record_work(s, team, person_id="anna", start=at("2026-03-03 12:00"), end=at("2026-03-03 12:30"),
                    now=at("2026-03-03 20:00"), recorded_by="katrin", kind="work")
        views = ledger(s, now=at("2026-03-03 20:00"))
        assert [v.status for v in views] == ["interrupted"] and len(views[0].interrupted_by) == 1


def incident(s, at_, number=1, severity="sev1") -> int:
    row = Incident(number=number, title="checkout down", severity=severity, playbook=severity, reporter="U0BOSS001",
                   declared_at=at_)
    s.add(row)
    s.flush()
    return row.id


def test_exception_use_owes_its_rest_once_when_the_call_out_ends(store, write_config):
    # A profile with compensate (Directive art. 17(2)) and an emergency exception that waives the daily rest with
    # 11 h compensatory rest (art. 17(3)). anna's earlier call-out TU 00:00-01:00 started her 11 h rest (until 12:00);
    # at 02:00 sev1 she may be paged only under the exception. Her second call-out 02:00-04:00 then owes the
    # exception's 11 h, once: not a second 11 h for the same interrupted rest under compensate.
    rules = [{"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "TEST art. 3"},
             {"kind": "compensatory_rest", "schedule_within_hours": 24, "cite": "TEST art. 17(2)"}]
    exc = [{"id": "emergency", "severities": ["sev1"], "waives": ["min_daily_rest"], "compensatory_rest_hours": 11,
            "cite": "TEST art. 17(3)"}]
    config = team_config(write_config, rules, exceptions=exc)
    with store.session() as s:
        record_work(s, team_of(config), person_id="anna", start=local("2026-03-03 00:00"), end=local("2026-03-03 01:00"),
                    now=local("2026-03-03 01:30"), recorded_by="anna")
        inc = incident(s, local("2026-03-03 02:00"))
        history = load_history(s, ["anna", "bea"], local("2026-03-03 02:00"))
        plan = plan_pages(config, "ops", local("2026-03-03 02:00"), "sev1", history=history,
                          exception=ExceptionRequest("U0BOSS001", "payments down"))
        [page] = record_plan(s, incident_id=inc, plan=plan, actor="U0BOSS001", at=local("2026-03-03 02:00"))
        acknowledge(s, page.id, by="U0ANNA001", at=local("2026-03-03 02:00"))
        record_callout_end(s, "anna", inc, local("2026-03-03 04:00"), config=config)
        record_callout_end(s, "anna", inc, local("2026-03-03 04:00"), config=config)  # a replay owes nothing twice
        debts = s.exec(select(RestDebt)).all()
        assert [(d.hours, d.citation, d.owed_since, d.schedule_by) for d in debts] == [
            (11, "TEST art. 17(3)", local("2026-03-03 04:00"), local("2026-03-04 04:00"))]
        assert any(e.kind == "oncall.rest_owed" for e in events(s, inc))


def test_no_compensatory_rest_rule_means_owed_but_never_nudged(store, write_config):
    config = team_config(write_config, [{"kind": "min_daily_rest", "hours": 11, "on_interrupt": "compensate",
                                         "cite": "TEST art. 3"}])
    with store.session() as s:
        [debt] = record_work(s, team_of(config), person_id="anna", start=local("2026-03-03 02:00"),
                             end=local("2026-03-03 03:00"), now=local("2026-03-03 08:00"), recorded_by="anna").debts
        assert debt.schedule_by is None and nudges_due(s, local("2026-03-10 08:00")) == []
        assert manager_of(team_of(config), "anna") == "boss"  # no manager in people.yaml: the rotation's fallback
        assert timedelta(hours=debt.hours) == timedelta(hours=11)


def _cli_callout(write_config):
    """The CLI's arguments and a call-out of anna (from, to; ISO 8601). anna works every day 09:00-17:00 Berlin (no
    holidays), compensate with 11 h, nudge after 24 h. The CLI uses the real clock, so the call-out is two days
    ago, 00:30-01:30 local (clear of the 02:00-03:00 DST changes): 7.5 h after 17:00 the day before, an incomplete
    rest: 11 h owed from 01:30."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    rules = [{"kind": "min_daily_rest", "hours": 11, "on_interrupt": "compensate", "cite": "TEST art. 3"},
             {"kind": "compensatory_rest", "schedule_within_hours": 24, "cite": "TEST art. 17(2)"}]
    config = team_config(write_config, rules, people_extra={"anna": {"working_hours": {"MO-SU": ["09:00-17:00"]}}})
    args = ["--config-dir", str(config.paths.config_dir), "--playbooks-dir", str(config.paths.playbooks_dir)]
    day = (datetime.now(timezone.utc) - timedelta(days=2)).astimezone(ZoneInfo("Europe/Berlin")).date()
    return args, local(f"{day} 00:30").isoformat(), local(f"{day} 01:30").isoformat()


def test_cli_record_then_ledger_then_schedule(store, database_url, write_config, monkeypatch, capsys):
    import json
    from datetime import datetime, timezone

    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end = _cli_callout(write_config)
    assert main(["oncall", "record", "anna", "--from", start, "--to", end, "--note", "phoned", *args]) == 0
    out = capsys.readouterr().out
    assert "call-out of anna recorded" in out and "(1 h): phoned" in out and "rest owed #1: 11 h (TEST art. 3)" in out
    assert main(["rest", "--json", *args]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["person"], entry["hours"], entry["status"]) == ("anna", 11, "owed")
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    too_short = [(later).isoformat(), (later + timedelta(hours=10)).isoformat()]
    assert main(["rest", "schedule", "1", "--from", too_short[0], "--to", too_short[1], "--by", "boss", *args]) == 2
    assert "expected one consecutive span of at least 11 h, got 10 h" in capsys.readouterr().err
    ok = [later.isoformat(), (later + timedelta(hours=11)).isoformat()]
    assert main(["rest", "schedule", "1", "--from", ok[0], "--to", ok[1], "--by", "boss", *args]) == 0
    capsys.readouterr()
    assert main(["rest", *args]) == 0
    assert capsys.readouterr().out.startswith("SCHEDULED   #1 anna: 11 h compensatory rest owed since")
    # a refused record exits 2 with the reason
    assert main(["oncall", "record", "anna", "--from", start, "--to", end, *args]) == 2
    assert "overlaps; work is counted once" in capsys.readouterr().err


def test_cli_record_and_schedule_print_nothing_when_the_commit_fails(store, database_url, write_config, monkeypatch,
                                                                    capsys):
    """`oncall record` printed "recorded #1 ... rest owed #1" and `rest schedule` "scheduled #1" inside the unit of
    work, before its commit: a commit the database refused left the manager reading of records it did not keep."""
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session as OrmSession

    from bot.cli import main

    def refused(self):
        raise RuntimeError("the database refused the commit")

    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end = _cli_callout(write_config)  # owes 11 h, as in test_cli_record_then_ledger_then_schedule
    record = ["oncall", "record", "anna", "--from", start, "--to", end, *args]
    with monkeypatch.context() as patch:
        patch.setattr(OrmSession, "commit", refused)
        with pytest.raises(RuntimeError, match="refused the commit"):
            main(record)
    assert "recorded" not in capsys.readouterr().out
    assert main(record) == 0  # kept this time (rest owed #2 on PostgreSQL, whose sequence kept the refused #1)
    debt = capsys.readouterr().out.split("rest owed #")[1].split(":")[0]
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    schedule_args = ["rest", "schedule", debt, "--from", later.isoformat(),
                     "--to", (later + timedelta(hours=11)).isoformat(), "--by", "boss", *args]
    with monkeypatch.context() as patch:
        patch.setattr(OrmSession, "commit", refused)
        with pytest.raises(RuntimeError, match="refused the commit"):
            main(schedule_args)
    assert "scheduled" not in capsys.readouterr().out
