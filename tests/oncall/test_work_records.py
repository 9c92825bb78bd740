"""Work done outside the bot: parsing the span, recording it on the audit trail, and the rest checks seeing it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.audit.trail import events, verify_chain
from bot.oncall.history import load_history
from bot.oncall.planner import plan_pages
from bot.oncall.tables import Engagement
from bot.oncall.team import team_of
from bot.oncall.work_records import WorkRecordError, parse_span, record_work
from tests.oncall.helpers import local, team_config

BERLIN = "Europe/Berlin"
REST = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "ArbZG §5(1)"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def test_span_forms_in_the_persons_zone():
    now = local("2026-03-04 10:00")
    # "02:00-03:30": the latest such span that has ended by WE 10:00 is WE 02:00-03:30 Berlin (CET, UTC+1).
    assert parse_span("02:00-03:30", BERLIN, now) == (utc("2026-03-04 01:00"), utc("2026-03-04 02:30"))
    # "22:30-01:15" crosses midnight: TU 22:30 to WE 01:15.
    assert parse_span("22:30-01:15", BERLIN, now) == (utc("2026-03-03 21:30"), utc("2026-03-04 00:15"))
    # "09:00-11:00" has not ended at 10:00 today: it is yesterday's.
    assert parse_span("09:00-11:00", BERLIN, now) == (utc("2026-03-03 08:00"), utc("2026-03-03 10:00"))
    assert parse_span("2026-03-01 23:00-02:00", BERLIN, now) == (utc("2026-03-01 22:00"), utc("2026-03-02 01:00"))
    assert parse_span("2026-03-01T23:00-2026-03-02T02:00", BERLIN, now) == (utc("2026-03-01 22:00"), utc("2026-03-02 01:00"))


def test_span_across_spring_forward_counts_real_hours():
    # SU 2026-03-29 in Berlin the clocks jump from 02:00 CET to 03:00 CEST. "01:30-03:30" is 01:30 CET (00:30 UTC)
    # to 03:30 CEST (01:30 UTC): one hour of work, not two.
    start, end = parse_span("2026-03-29 01:30-03:30", BERLIN, local("2026-03-30 10:00"))
    assert (start, end) == (utc("2026-03-29 00:30"), utc("2026-03-29 01:30"))


def test_span_errors_name_the_forms():
    with pytest.raises(WorkRecordError, match='expected a span of local time like "22:30-01:15"'):
        parse_span("last night", BERLIN, local("2026-03-04 10:00"))
    with pytest.raises(WorkRecordError, match='expected a time like "22:30", got "25:00"'):
        parse_span("25:00-26:00", BERLIN, local("2026-03-04 10:00"))


def test_record_is_on_the_audit_trail_and_refuses_double_counting(store, write_config):
    TEAM = team_of(team_config(write_config, []))
    now = local("2026-03-04 10:00")
    with store.session() as s:
        rec = record_work(s, TEAM, person_id="anna", start=local("2026-03-04 02:00"),
                          end=local("2026-03-04 03:30"), now=now, recorded_by="anna", note="DB failover, phoned by NOC")
        assert (rec.engagement.source, rec.engagement.kind, rec.engagement.recorded_by) == ("record", "callout", "anna")
        [event] = events(s, None)
        assert (event.kind, event.actor) == ("oncall.work_recorded", "anna")
        assert event.data["hours"] == 1.5 and event.data["note"] == "DB failover, phoned by NOC"
        assert "2026-03-04 02:00 Europe/Berlin to 2026-03-04 03:30 (1.5 h)" in event.summary
        assert verify_chain(s, None).ok
        # overlapping work is refused, naming what it overlaps: nothing is counted twice
        with pytest.raises(WorkRecordError, match=r"already has a recorded work period from 2026-03-04 02:00 "
                                                  r"Europe/Berlin to 2026-03-04 03:30 Europe/Berlin \(#1\)"):
            record_work(s, TEAM, person_id="anna", start=local("2026-03-04 03:00"),
                        end=local("2026-03-04 04:00"), now=now, recorded_by="anna")
        with pytest.raises(WorkRecordError, match="expected work that has ended"):
            record_work(s, TEAM, person_id="anna", start=local("2026-03-04 09:00"),
                        end=local("2026-03-04 11:00"), now=now, recorded_by="anna")
        with pytest.raises(WorkRecordError, match="expected at most 24 h in one record, got 25 h"):
            record_work(s, TEAM, person_id="anna", start=local("2026-03-02 08:00"),
                        end=local("2026-03-03 09:00"), now=now, recorded_by="katrin")
        with pytest.raises(WorkRecordError, match='unknown person "zoe"'):
            record_work(s, TEAM, person_id="zoe", start=local("2026-03-04 05:00"),
                        end=local("2026-03-04 06:00"), now=now, recorded_by="anna")
        with pytest.raises(WorkRecordError, match="expected a kind of work"):
            record_work(s, TEAM, person_id="anna", start=local("2026-03-04 05:00"),
                        end=local("2026-03-04 06:00"), now=now, recorded_by="anna", kind="nap")
        assert len(s.exec(select(Engagement)).all()) == 1  # the refused records left nothing behind


def test_a_recorded_call_out_shortens_availability_like_a_page(store, write_config):
    # ArbZG §5(1), on_interrupt restart: anna (MO-FR 09:00-17:00) was phoned TU 02:00-03:00 outside the bot. Her rest
    # since MO 17:00 was 9 h, incomplete, so the 11 h restart at 03:00 and run to 14:00. The rest check reads the
    # record: at 10:00 she is skipped until 14:00 and her deputy bea is paged.
    config = team_config(write_config, [REST])
    with store.session() as s:
        record_work(s, team_of(config), person_id="anna", start=local("2026-03-03 02:00"), end=local("2026-03-03 03:00"),
                    now=local("2026-03-03 08:00"), recorded_by="anna")
    with store.session() as s:
        history = load_history(s, ["anna", "bea"], local("2026-03-03 10:00"))
    plan = plan_pages(config, "ops", local("2026-03-03 10:00"), "sev2", history=history)
    assert (plan.skipped[0].person, plan.skipped[0].until) == ("anna", local("2026-03-03 14:00"))
    assert plan.plan[0].person == "bea"
    assert plan_pages(config, "ops", local("2026-03-03 14:00"), "sev2", history=history).plan[0].person == "anna"


def test_record_for_an_incident_goes_on_its_chain(store, write_config):
    from bot.incidents.tables import Incident

    TEAM = team_of(team_config(write_config, []))
    at = local("2026-03-04 10:00")
    with store.session() as s:
        inc = Incident(number=7, title="disk full", severity="sev2", playbook="sev2", reporter="U0BOSS001", declared_at=at)
        s.add(inc)
        s.flush()
        record_work(s, TEAM, person_id="anna", start=at - timedelta(hours=3), end=at - timedelta(hours=2),
                    now=at, recorded_by="katrin", kind="work", incident_id=inc.id)
        [event] = events(s, inc.id)
        assert event.kind == "oncall.work_recorded" and event.summary.endswith("by katrin")
        assert events(s, None) == []
