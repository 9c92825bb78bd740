"""Importing PagerDuty, Opsgenie and iCalendar schedules: the draft, what is not mapped and why, the review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.reports.conftest import write_config_dir

FIXTURES = Path(__file__).parent / "fixtures"

PEOPLE = """\
    sites:
      - {id: munich, timezone: Europe/Berlin, holidays: {country: DE, subdivision: BY}, labor_profile: base}
    people:
      - {id: anna, name: Anna Berger, slack: U0ANNA001, site: munich, contract: {oncall_agreement: true}}
      - id: bea
        name: Bea Brandt
        slack: U0BEA0001
        site: munich
        contract: {oncall_agreement: true}
        leave: [{from: "2027-01-11", to: "2027-01-12", kind: vacation}]
      - {id: boss, name: The Boss, slack: U0BOSS001, site: munich, contract: {oncall_agreement: true}}
    """
LABOR = {"base": """\
    id: base
    rules: [{kind: leave, cite: "TEST leave §1"}]
    """}
ROTAS = """\
    rotations:
      - {id: existing, timezone: Europe/Berlin, participants: [boss], start: "2027-01-04", fallback: boss}
    """


@pytest.fixture
def current(tmp_path):
    return write_config_dir(tmp_path / "config", people=PEOPLE, rotas=ROTAS, labor=LABOR)


def run_import(capsys, current, tmp_path, vendor, *files, extra=()):
    out = tmp_path / "out"
    code = main(["import", vendor, *[str(FIXTURES / f) for f in files], "--config-dir", str(current),
                 "--playbooks-dir", str(tmp_path / "none"), "--out", str(out), "--from", "2027-01-04",
                 "--to", "2027-01-17", *extra])
    captured = capsys.readouterr()
    return code, captured.out, out


def fragment(out: Path, name: str) -> dict:
    return yaml.safe_load((out / f"{name}.fragment.yaml").read_text(encoding="utf-8"))


def test_pagerduty_layers_become_rotations_and_the_twelve_hour_layer_is_reported(capsys, current, tmp_path):
    code, text, out = run_import(capsys, current, tmp_path, "pagerduty", "pagerduty_schedule.json")
    rotas = {r["id"]: r for r in fragment(out, "rotas")["rotations"]}
    # Weekly: turns of 604800 s = 7 days from 2027-01-04 09:00 Berlin (a Monday): anna, bea, then Zoë (new).
    assert rotas["platform-primary-weekly"] == {
        "id": "platform-primary-weekly", "name": "Platform primary: Weekly", "timezone": "Europe/Berlin",
        "participants": ["anna", "bea", "zoe-new"], "start": "2027-01-04", "handoff": "MO 09:00", "cadence": "weekly",
        "deputies": "next_in_rotation", "fallback": "anna"}
    # Weekend nights: daily turns from Saturday 2 January 20:00; the weekly restriction starts on ISO day 6
    # (Saturday) at 20:00 and lasts 129600 s = 36 h: Saturday 20:00-24:00, all Sunday, Monday 00:00-08:00.
    nights = rotas["platform-primary-weekend-nights"]
    assert (nights["start"], nights["handoff"], nights["cadence"]) == ("2027-01-02", "20:00", "daily")
    assert nights["coverage"] == [{"days": "SA", "window": "20:00-24:00"}, {"days": "SU", "window": "00:00-24:00"},
                                  {"days": "MO", "window": "00:00-08:00"}]
    assert set(rotas) == {"platform-primary-weekly", "platform-primary-weekend-nights"}
    # Zoë matches nobody: drafted at the first site with a placeholder Slack id that is reported
    assert fragment(out, "people")["people"] == [{"id": "zoe-new", "name": "Zoë New", "slack": "UIMPORT001",
                                                  "site": "munich", "contract": {"oncall_agreement": True}}]
    # the 12-hour layer and the ended layer are reported with the reason, in the output and in the fragment
    header = (out / "rotas.fragment.yaml").read_text(encoding="utf-8")
    for name in ("rotas.fragment.yaml", "people.fragment.yaml", "config/people.yaml"):
        assert (out / name).stat().st_mode & 0o777 == 0o600  # personal data: owner only
    for shown in (text, header):
        assert 'layer "Twelve-hour turns" (PHALF01) of schedule "Platform primary": turns of 12 h' in shown
        assert 'layer "Old layer" (POLD001)' in shown and "ended 2026-01-05T09:00:00+01:00" in shown
        assert "replace the placeholder UIMPORT001" in shown and "set fallback" in shown
    assert "layers of \"Platform primary\" stack" in text
    # the review: bea's imported week starts Monday 11 January 09:00 while she is on leave 11-12 January
    assert "New violations: 1" in text and "bea is rostered on platform-primary-weekly on 2027-01-11" in text
    assert code == 1  # something was not mapped and a blocking violation is new


def test_pagerduty_overrides_of_a_one_layer_schedule(capsys, current, tmp_path):
    schedule = json.loads((FIXTURES / "pagerduty_schedule.json").read_text(encoding="utf-8"))
    schedule["schedule"]["schedule_layers"] = schedule["schedule"]["schedule_layers"][:1]
    (tmp_path / "one.json").write_text(json.dumps(schedule), encoding="utf-8")
    code = main(["import", "pagerduty", str(tmp_path / "one.json"), str(FIXTURES / "pagerduty_overrides.json"),
                 "--config-dir", str(current), "--playbooks-dir", str(tmp_path / "none"), "--out", str(tmp_path / "out"),
                 "--from", "2027-01-04", "--to", "2027-01-17", "--fallback", "boss", "--person", "PZOE001=boss", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert fragment(tmp_path / "out", "rotas")["overrides"] == [{
        "rotation": "platform-primary-weekly", "person": "anna", "from": "2027-01-12T09:00:00+01:00",
        "to": "2027-01-13T09:00:00+01:00", "reason": "imported PagerDuty override PQ47DCP"}]
    # Zoë mapped to boss, fallback given: nothing unmapped; bea's leave on 11 January (12th covered by anna)
    assert data["unmapped"] == [] and data["people"] == []
    assert [(v["person"], v["rule"], v["at"]) for v in data["review"]["new_violations"]] == [
        ("bea", "leave", "2027-01-11T08:00:00Z")]
    assert code == 1


def test_opsgenie_rotations_hourly_and_empty_turns_are_reported(capsys, current, tmp_path):
    code, text, out = run_import(capsys, current, tmp_path, "opsgenie", "opsgenie_schedule.json",
                                 extra=("--fallback", "boss"))
    [days] = fragment(out, "rotas")["rotations"]
    # startDate 08:00Z = 09:00 CET on Monday 4 January; usernames anna@ / bea@ are the person ids.
    # Restriction Monday 09:00 -> Friday 17:00 is one span of 4 days 8 h.
    assert days == {"id": "payments-days", "name": "Payments: Days", "timezone": "Europe/Berlin",
                    "participants": ["anna", "bea"], "start": "2027-01-04", "handoff": "MO 09:00", "cadence": "weekly",
                    "deputies": "next_in_rotation", "fallback": "boss",
                    "coverage": [{"days": "MO", "window": "09:00-24:00"}, {"days": "TU,WE,TH", "window": "00:00-24:00"},
                                 {"days": "FR", "window": "00:00-17:00"}]}
    assert 'rotation "Six-hour turns" (c9e0f7aa-2d3b-4f5e-9a8b-7c6d5e4f3a21) of schedule "Payments": turns of 6 x hourly' in text
    assert 'rotation "Nights with a gap"' in text and 'participant 2 is a "none"' in text
    # bea's week from 11 January: Monday 09:00 is inside her leave
    assert "bea is rostered on payments-days on 2027-01-11" in text and code == 1


def test_ical_feed_becomes_a_rotation_with_overrides_and_a_missing_turn(capsys, current, tmp_path):
    code = main(["import", "ical", str(FIXTURES / "oncall.ics"), "--config-dir", str(current), "--playbooks-dir",
                 str(tmp_path / "none"), "--out", str(tmp_path / "out"), "--from", "2027-01-04", "--to", "2027-02-14",
                 "--fallback", "boss"])
    text = capsys.readouterr().out
    rotas = fragment(tmp_path / "out", "rotas")
    # weekly shifts from Monday 4 January 09:00 Berlin: anna, bea, anna -> the order is anna, bea
    assert rotas["rotations"] == [{"id": "support-weekly", "name": "Support weekly", "timezone": "Europe/Berlin",
                                   "participants": ["anna", "bea"], "start": "2027-01-04", "handoff": "MO 09:00",
                                   "cadence": "weekly", "deputies": "next_in_rotation", "fallback": "boss"}]
    # bea covers one day of anna's week; anna takes the week of 25 January that would be bea's
    assert rotas["overrides"] == [
        {"rotation": "support-weekly", "person": "bea", "from": "2027-01-20T09:00:00+01:00",
         "to": "2027-01-21T09:00:00+01:00", "replaces": "anna", "reason": "imported from Support weekly"},
        {"rotation": "support-weekly", "person": "anna", "from": "2027-01-25T09:00:00+01:00",
         "to": "2027-02-01T09:00:00+01:00", "replaces": "bea", "reason": "imported from Support weekly"}]
    assert "turn 2027-02-01 09:00: no shift in the feed; the drafted rotation puts anna on call" in text
    assert "a recurring event (RRULE)" in text and code == 1


def test_unreadable_input_is_a_clear_error(capsys, current, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code = main(["import", "pagerduty", str(bad), "--config-dir", str(current), "--out", str(tmp_path / "out")])
    assert code == 2 and "is not JSON" in capsys.readouterr().err
