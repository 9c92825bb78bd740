"""iCalendar feeds parsed back with icalendar: events, UTC times, stable UIDs, calendar name and zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar

from bot.cli import main
from bot.clock import ManualClock
from bot.reports.calendar_feed import FeedRange, default_range, person_feed, rota_feed
from tests.reports.conftest import load
from tests.reports.autumn_config import LABOR, PEOPLE, ROTAS

UTC = timezone.utc
NOW = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)


def events(data: bytes) -> list:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_person_feed_events_in_utc_with_stable_uids(make_config):
    config = load(make_config("cal", people=PEOPLE, rotas=ROTAS, labor=LABOR))
    data = person_feed(config, "anna", FeedRange(date(2026, 10, 25), date(2026, 11, 10)), now=NOW)
    cal = Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "On call: anna" and str(cal["X-WR-TIMEZONE"]) == "Europe/Berlin"
    evs = events(data)
    # anna's weeks (handoff WE 09:00 Berlin): WE 21 Oct 09:00 CEST (07:00 UTC) -> WE 28 Oct 09:00 CET (08:00 UTC),
    # which overlaps the range and keeps its real start; then WE 4 Nov 09:00 CET -> WE 11 Nov 09:00 CET.
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in evs] == [
        (datetime(2026, 10, 21, 7, tzinfo=UTC), datetime(2026, 10, 28, 8, tzinfo=UTC)),
        (datetime(2026, 11, 4, 8, tzinfo=UTC), datetime(2026, 11, 11, 8, tzinfo=UTC))]
    # the week with the autumn change is 169 h long
    assert evs[0].decoded("DTEND") - evs[0].decoded("DTSTART") == timedelta(hours=169)
    assert [str(e["UID"]) for e in evs] == ["ops-anna-20261021T070000Z@incident-bot",
                                            "ops-anna-20261104T080000Z@incident-bot"]
    assert all(str(e["SUMMARY"]) == "On call: ops" for e in evs)
    description = str(evs[0]["DESCRIPTION"])
    assert "Deputies: bea; fallback manager: boss." in description
    assert "takes over from bea" in description and "hands over to bea" in description
    # a narrower export later gives the same UID for the same shift: calendar apps update, never duplicate
    again = events(person_feed(config, "anna", FeedRange(date(2026, 10, 27), date(2026, 10, 27)), now=NOW))
    assert [str(e["UID"]) for e in again] == ["ops-anna-20261021T070000Z@incident-bot"]


def test_rota_feed_names_the_person_and_default_range_comes_from_the_clock(make_config):
    config = load(make_config("cal", people=PEOPLE, rotas=ROTAS, labor=LABOR))
    # 23:30 UTC on 24 Oct is already 25 Oct 01:30 in Berlin: the feed starts on the local day.
    feed = default_range(ManualClock(NOW), "Europe/Berlin")
    assert feed == FeedRange(date(2026, 10, 25), date(2027, 1, 23))
    evs = events(rota_feed(config, "ops", FeedRange(date(2026, 10, 25), date(2026, 11, 1)), now=NOW))
    assert [(str(e["SUMMARY"]), str(e["UID"])) for e in evs] == [
        ("On call: ops (anna)", "ops-anna-20261021T070000Z@incident-bot"),
        ("On call: ops (bea)", "ops-bea-20261028T080000Z@incident-bot")]


def test_cli_writes_the_file(make_config, tmp_path, capsys):
    cfg = make_config("cal", people=PEOPLE, rotas=ROTAS, labor=LABOR)
    out = tmp_path / "feeds" / "ops.ics"
    code = main(["calendar", "--config-dir", str(cfg), "--rota", "ops", "--from", "2026-10-25", "--to", "2026-11-01",
                 "--out", str(out)])
    assert code == 0 and "2 shifts" in capsys.readouterr().err
    cal = Calendar.from_ical(out.read_bytes())
    assert str(cal["X-WR-CALNAME"]) == "On call: ops" and len(list(cal.walk("VEVENT"))) == 2
    code = main(["calendar", "--config-dir", str(cfg), "--person", "zoe"])
    assert code == 2 and 'unknown person "zoe"' in capsys.readouterr().err
