"""The on-call report's figures on a hand-built rota: a Bavarian holiday and the autumn DST change inside."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

from bot.audit.unit_time import happens_at
from bot.cli import main
from bot.oncall.tables import Engagement, ExceptionUse, Page
from bot.reports.oncall_report import build_report
from bot.reports.report_format import to_csv, to_markdown
from tests.reports.autumn_config import LABOR, PEOPLE, ROTAS
from tests.reports.conftest import load

UTC = timezone.utc

FIRST, LAST = date(2026, 10, 25), date(2026, 11, 1)  # SU 25 Oct (clocks go back 03:00 CEST -> 02:00 CET) .. SU 1 Nov
NOW = datetime(2026, 10, 28, 0, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def page(person: str, status: str, sent: str | None, *, target: str = "ops", planned: str = "2026-10-20T00:00") -> Page:
    return Page(target=target, level=1, person_id=person, slack_user="U0X", status=status,
                page_at=at(sent or planned), sent_at=at(sent) if sent else None, created_at=at(planned))


@pytest.fixture
def config(make_config):
    return load(make_config("report", people=PEOPLE, rotas=ROTAS, labor=LABOR))


@pytest.fixture
def filled_store(store):
    with store.session() as s:
        happens_at(s, at("2026-11-02T08:00"))  # written without an event: the unit of work says when
        s.add_all([
            page("anna", "sent", "2026-10-24T21:30"),      # 23:30 CEST on SA 24 Oct: the day before the range
            page("anna", "escalated", "2026-10-27T21:50"),  # counted
            page("bea", "acked", "2026-10-31T01:10"),       # counted
            page("bea", "declined", "2026-11-01T12:00"),    # counted
            page("bea", "sent", "2026-10-30T10:00", target="other"),  # counted unless --rota ops
            page("bea", "cancelled", None, planned="2026-10-31T02:00"),  # never went out
            page("bea", "planned", None, planned="2026-10-31T03:00"),    # never went out
        ])
        s.add_all([
            Engagement(person_id="bea", start=at("2026-10-31T01:15"), end=at("2026-10-31T03:15")),
            Engagement(person_id="bea", start=at("2026-11-01T22:30"), end=at("2026-11-02T00:30")),
            Engagement(person_id="anna", start=at("2026-10-27T22:00"), end=None),  # still working at NOW
        ])
        s.add(ExceptionUse(person_id="bea", exception_id="notfall", rules_waived=["min_daily_rest"],
                           justification="checkout down", declared_by="boss", at=at("2026-11-01T10:00"),
                           compensatory_rest_hours=11, citation="ArbZG §14"))
    return store


def test_hours_per_person_counted_on_absolute_time(config, filled_store):
    with filled_store.session() as s:
        report = build_report(config, s, FIRST, LAST, now=NOW)
    rows = {r.person: r for r in report.rows}
    assert sorted(rows) == ["anna", "bea"]  # boss: neither participant nor on call nor paged
    anna, bea = rows["anna"], rows["bea"]
    # anna: range start SU 25 Oct 00:00 CEST (SA 22:00 UTC) -> her handoff WE 28 Oct 09:00 CET (08:00 UTC)
    # = 3 days 10 h = 82 h (81 h of wall clock + the repeated hour 02:00-03:00).
    assert anna.oncall_hours == pytest.approx(82)
    # weekend: only SU 25 Oct, which is 25 h long.
    assert anna.weekend_hours == pytest.approx(25)
    # night window 22:00-06:00 from her profile: SU 00:00 CEST -> 06:00 CET = 7 h (the repeated hour inside),
    # then the nights of SU, MO, TU 22:00 -> 06:00 = 3 x 8 h; total 31 h.
    assert anna.night_hours == pytest.approx(31)
    assert anna.holiday_hours == 0 and anna.night_window == "22:00-06:00" and anna.calendar == "DE-BE"
    # bea: WE 28 Oct 09:00 CET -> range end MO 2 Nov 00:00 CET = 4 days 15 h = 111 h.
    assert bea.oncall_hours == pytest.approx(111)
    # weekend: SA 31 Oct + SU 1 Nov = 48 h.  Holiday: SU 1 Nov is All Saints' Day in Bavaria: 24 h
    # (SA 31 Oct, Reformation Day, is a holiday in other states but not in BY).
    assert bea.weekend_hours == pytest.approx(48) and bea.holiday_hours == pytest.approx(24)
    assert len(bea.holidays) == 1 and bea.holidays[0].startswith("2026-11-01")
    # default night 23:00-06:00: the nights of WE, TH, FR, SA = 4 x 7 h, and SU 23:00 -> range end 00:00 = 1 h.
    assert bea.night_hours == pytest.approx(29) and bea.night_window == "23:00-06:00"
    # totals and the fairness spread (max - min on-call hours of the participants): 111 - 82 = 29 h.
    assert report.total("oncall_hours") == pytest.approx(193) and report.total("night_hours") == pytest.approx(60)
    assert report.total("weekend_hours") == pytest.approx(73) and report.total("holiday_hours") == pytest.approx(24)
    assert report.fairness_spread == pytest.approx(29)


def test_pages_callouts_and_rest_owed_from_the_store(config, filled_store):
    with filled_store.session() as s:
        report = build_report(config, s, FIRST, LAST, now=NOW)
    rows = {r.person: r for r in report.rows}
    anna, bea = rows["anna"], rows["bea"]
    # anna: the 21:30 UTC page of 24 Oct is 23:30 CEST on the day before the range; the escalated one counts.
    assert anna.pages == 1
    # her call-out from TU 27 Oct 22:00 UTC is still open at NOW (28 Oct 00:30 UTC): 2.5 h so far.
    assert anna.callouts == 1 and anna.callout_hours == pytest.approx(2.5)
    # bea: acked + declined + the page of the other rota; cancelled and planned pages never went out.
    assert bea.pages == 3
    # two call-outs started in the range: 2 h, and 23:30 CET SU -> range end 00:00 = 0.5 h of the second.
    assert bea.callouts == 2 and bea.callout_hours == pytest.approx(2.5)
    assert bea.compensatory_rest_hours == 11 and bea.exceptions == ["notfall"]
    assert bea.unconfirmed == 1  # nobody confirmed the Notfall use: the report says so beside it
    with filled_store.session() as s:
        only_ops = build_report(config, s, FIRST, LAST, now=NOW, rota="ops")
    # with --rota ops the page to "other" is left out, and the engagements (no page id) too.
    bea_ops = next(r for r in only_ops.rows if r.person == "bea")
    assert bea_ops.pages == 2 and bea_ops.callouts == 0 and bea_ops.exceptions == []
    with filled_store.session() as s:  # a manager confirms the use: nothing is left unconfirmed
        happens_at(s, NOW)
        for use in s.exec(select(ExceptionUse)).all():
            use.confirmed_by, use.confirmed_at, use.confirmation = "U0KATRIN1", NOW, "only bea knew the system"
            s.add(use)
    with filled_store.session() as s:
        confirmed = next(r for r in build_report(config, s, FIRST, LAST, now=NOW).rows if r.person == "bea")
    assert confirmed.exceptions == ["notfall"] and confirmed.unconfirmed == 0


def test_csv_and_markdown(config, filled_store):
    with filled_store.session() as s:
        report = build_report(config, s, FIRST, LAST, now=NOW)
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [r["person"] for r in rows] == ["anna", "bea", "TOTAL"]
    assert rows[1]["holiday_hours"] == "24" and rows[1]["exceptions_used"] == "notfall"
    assert rows[1]["exceptions_unconfirmed"] == "1" and rows[2]["exceptions_unconfirmed"] == "1"
    assert rows[2]["oncall_hours"] == "193" and rows[2]["pages"] == "4" and rows[2]["callout_hours"] == "5"
    text = to_markdown(report)
    assert "Basis for on-call pay, fairness and working-time records" in text
    assert "Fairness spread: 29 h" in text and "All Saints" in text


def test_cli_reads_the_database_url(config, filled_store, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    code = main(["report", "--config-dir", str(config.paths.config_dir), "--playbooks-dir", str(config.paths.playbooks_dir),
                 "--from", "2026-10-25", "--to", "2026-11-01", "--format", "csv", "--rota", "ops"])
    out = capsys.readouterr().out
    rows = {r["person"]: r for r in csv.DictReader(io.StringIO(out))}
    assert code == 0 and rows["bea"]["pages"] == "2" and rows["anna"]["weekend_hours"] == "25"
    code = main(["report", "--config-dir", str(config.paths.config_dir), "--from", "2026-10-25", "--to", "2026-11-01",
                 "--rota", "nosuch"])
    assert code == 2 and 'unknown rota "nosuch"' in capsys.readouterr().err


def test_recorded_work_and_the_rest_ledger_in_the_report(config, store):
    from bot.oncall.tables import RestDebt

    with store.session() as s:
        happens_at(s, at("2026-10-29T02:00"))
        s.add_all([
            # a recorded night migration (kind work) MO 26 Oct 21:00-01:00 UTC: 4 h, not a call-out
            Engagement(person_id="anna", start=at("2026-10-26T21:00"), end=at("2026-10-27T01:00"), kind="work",
                       source="record", recorded_by="anna"),
            # a recorded call-out TH 29 Oct 01:00-02:00 UTC
            Engagement(person_id="bea", start=at("2026-10-29T01:00"), end=at("2026-10-29T02:00"), source="record",
                       recorded_by="bea"),
        ])
        s.add_all([
            # 11 h owed to bea from 02:00, scheduled 08:00-19:00 UTC on 29 Oct: passed by NOW2 without work -> taken
            RestDebt(person_id="bea", hours=11, owed_since=at("2026-10-29T02:00"), source="engagement:2",
                     scheduled_start=at("2026-10-29T08:00"), scheduled_end=at("2026-10-29T19:00"), scheduled_by="boss",
                     created_at=at("2026-10-29T02:00")),
            # 11 h owed to anna from 01:00 on 27 Oct, never scheduled -> unscheduled
            RestDebt(person_id="anna", hours=11, owed_since=at("2026-10-27T01:00"), source="engagement:1",
                     created_at=at("2026-10-27T01:00")),
            # 24 h owed to anna from 30 Oct, scheduled for 2 Nov (after NOW2) -> scheduled
            RestDebt(person_id="anna", kind="replacement_rest_day", hours=24, owed_since=at("2026-10-30T00:00"),
                     source="engagement:9", scheduled_start=at("2026-11-02T00:00"), scheduled_end=at("2026-11-03T00:00"),
                     scheduled_by="boss", created_at=at("2026-10-30T00:00")),
        ])
    now2 = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    with store.session() as s:
        report = build_report(config, s, FIRST, LAST, now=now2)
    rows = {r.person: r for r in report.rows}
    anna, bea = rows["anna"], rows["bea"]
    assert (anna.work_hours, anna.callouts, anna.callout_hours) == (4, 0, 0)  # the migration is work, not a call-out
    assert (bea.callouts, bea.callout_hours, bea.work_hours) == (1, 1, 0)
    assert (anna.rest_owed_hours, anna.rest_scheduled_hours, anna.rest_taken_hours) == (11, 24, 0)
    assert (bea.rest_owed_hours, bea.rest_scheduled_hours, bea.rest_taken_hours) == (0, 0, 11)
    out = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert out[-1]["rest_taken_hours"] == "11" and out[-1]["rest_owed_hours"] == "11" and out[-1]["work_hours"] == "4"
