"""Tabletop exercises and drills on the global chain: the period report lists them and flags a plan not exercised.

The shipped configuration: the workspace zone is Europe/Berlin, ``record_exercise`` is allowed to the
incident-managers group (Katrin, Camille) and admins (none shipped), Anna and Bruno are engineers.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from bot.purge.retention import purge
from bot.audit.trail import REDACTED, events, verify_chain
from bot.cli import main
from bot.incidents.errors import InvalidRequest, PermissionDenied
from bot.learning.exercises import Entry
from bot.learning.period_report import build
from bot.learning.period_report_md import render
from tests.conftest import REPO_ROOT
from tests.learning.conftest import ANNA, KATRIN, UTC

APRIL_10 = datetime(2027, 4, 10, 8, 0, tzinfo=UTC)
# The first quarter of 2027 as `--from 2027-01-01 --to 2027-04-01` reads it: midnights in Europe/Berlin,
# CET (+01:00) on 1 January, CEST (+02:00) on 1 April (summer time began on 28 March 2027).
Q1_START = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
Q1_END = datetime(2027, 3, 31, 22, 0, tzinfo=UTC)
FINDINGS = "Jane Doe (jane.doe@example.org) could not reach the DPO deputy for 40 minutes"


def _record(w, day: date, scenario: str = "Ransomware on the billing database", **extra):
    return w.learning.record_exercise(Entry(day=day, scenario=scenario, **extra), actor=KATRIN, key=w.key()).exercise


def _report(w, start=Q1_START, end=Q1_END):
    with w.store.session() as s:
        return build(s, start, end, w.clock.now())


def test_exercises_in_the_period_by_its_bounds(world_at):
    w = world_at(APRIL_10)
    # Each day counts from its midnight in Berlin: 31 Dec 2026 starts 2026-12-30T23:00Z, before the period;
    # 1 Jan 2027 starts exactly at --from (included); 31 Mar starts 2027-03-30T22:00Z (inside); 1 Apr starts
    # exactly at --to (excluded).
    made = [_record(w, day, f"Exercise of {day.isoformat()}", participants=("anna", "bruno"),
                    findings="runbook outdated")
            for day in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 3, 31), date(2027, 4, 1))]
    report = _report(w)
    assert [x["date"] for x in report["drills"]["recorded"]] == ["2027-01-01", "2027-03-31"]
    first = report["drills"]["recorded"][0]
    assert (first["scenario"], first["participants"], first["findings"], first["facilitator"]) == (
        "Exercise of 2027-01-01", ["anna", "bruno"], "runbook outdated", None)
    md = render(report)
    assert first["id"] == made[1].label
    assert f"| {made[1].label} | 2027-01-01 | Exercise of 2027-01-01 | - | anna, bruno | runbook outdated | - |" in md
    assert "Exercise of 2026-12-31" not in md and "Exercise of 2027-04-01" not in md
    assert "| Drills (tabletop exercises) | CC7.5, A1.3 | A.5.24, A.5.29 |" in md  # the control map stays
    json.dumps(report)  # the JSON file is written from the same dict


def test_a_plan_not_exercised_in_the_twelve_months_before_the_period_end_is_flagged(world_at):
    w = world_at(APRIL_10)
    # The period ends 2027-04-01 00:00 Berlin = 2027-03-31T22:00Z; twelve months earlier is 2026-03-31T22:00Z,
    # i.e. 2026-04-01 00:00 in Berlin (summer time since 29 March 2026). An exercise on 31 March 2026 started
    # 2026-03-30T22:00Z: a day too early.
    _record(w, date(2026, 3, 31))
    twelve = _report(w)["drills"]["twelve_months"]
    assert (twelve["from"], twelve["to"]) == ("2026-03-31T22:00:00+00:00", "2027-03-31T22:00:00+00:00")
    assert twelve["finding"] == "plan not exercised in 12 months" and twelve["latest"] is None
    assert "**Finding: plan not exercised in 12 months**" in render(_report(w))
    # One on 1 April 2026 starts exactly twelve months before the end: it counts, although it is not in the period.
    on_the_edge = _record(w, date(2026, 4, 1))
    report = _report(w)
    assert report["drills"]["recorded"] == []
    assert report["drills"]["twelve_months"]["finding"] is None
    assert report["drills"]["twelve_months"]["latest"]["id"] == on_the_edge.label
    assert f"Latest exercise in the 12 months before the period end: {on_the_edge.label} on 2026-04-01." in render(report)


def test_purge_redacts_old_findings_and_the_global_chain_still_verifies(world_at):
    w = world_at(APRIL_10)
    old = _record(w, date(2026, 1, 15), participants=("anna",), findings=FINDINGS)
    recent = _record(w, date(2027, 3, 1), findings="the status page template was missing")
    with w.store.session() as s:
        # shipped retention: 365 days; the cutoff 2026-04-10T08:00Z lies between the two exercises
        report = purge(s, retention_days=365, now=w.clock.now())
        s.commit()
    assert report.exercises == [old.id]
    listed = {x.id: x for x in w.learning.exercises()}
    assert listed[old.id].findings == REDACTED and listed[old.id].redacted
    assert (listed[old.id].scenario, listed[old.id].participants) == ("Ransomware on the billing database", ("anna",))
    assert listed[recent.id].findings == "the status page template was missing"
    with w.store.session() as s:
        assert verify_chain(s, None).ok
        assert FINDINGS not in json.dumps([e.data for e in events(s, None)])
        assert [e.kind for e in events(s, None)][-1] == "audit.purged"
        again = purge(s, retention_days=365, now=w.clock.now())
    assert again.exercises == []  # once


def test_an_exercise_edited_behind_the_bots_back_breaks_the_chain(world_at):
    w = world_at(APRIL_10)
    ex = _record(w, date(2026, 1, 15), findings=FINDINGS)
    from bot.audit.tables import TimelineEvent
    from sqlmodel import select

    with w.store.session() as s:  # someone moves the date behind the bot's back (the hash is not recomputed)
        row = s.exec(select(TimelineEvent).where(TimelineEvent.chain == "global", TimelineEvent.seq == ex.id)).one()
        row.data = {**row.data, "date": "2026-06-15"}
        s.add(row)
        s.commit()
    with w.store.session() as s:
        assert not verify_chain(s, None).ok


def test_only_those_allowed_record_an_exercise_and_nothing_is_written_otherwise(world_at):
    w = world_at(APRIL_10)
    with pytest.raises(PermissionDenied) as refused:
        w.learning.record_exercise(Entry(day=date(2027, 3, 1), scenario="tabletop"), actor=ANNA, key="anna")
    assert "may not record exercise" in str(refused.value) and "group incident-managers" in str(refused.value)
    assert w.learning.exercises() == []


@pytest.mark.parametrize("entry, problem", [
    (Entry(day=date(2027, 4, 11), scenario="tabletop"), "2027-04-11 is in the future"),
    (Entry(day=date(2027, 3, 1), scenario="tabletop", participants=("anna", "bruna")),
     'unknown participant "bruna": did you mean bruno?'),
    (Entry(day=date(2027, 3, 1), scenario="tabletop", facilitator="nobody"), 'unknown facilitator "nobody"'),
    (Entry(day=date(2027, 3, 1), scenario="  "), "expected the scenario that was exercised"),
])
def test_bad_input_is_refused_with_what_to_fix(world_at, entry, problem):
    w = world_at(APRIL_10)
    with pytest.raises(InvalidRequest) as refused:
        w.learning.record_exercise(entry, actor=KATRIN, key=w.key())
    assert problem in str(refused.value)
    if "participant" in problem:
        assert "config/people.yaml" in str(refused.value)
    assert w.learning.exercises() == []


CONFIG = ["--config-dir", str(REPO_ROOT / "config")]


def test_the_command_line_records_and_lists_exercises(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["exercise", "record", "--date", "2025-06-03", "--scenario", "Laptop with customer data stolen",
                 "--participants", "anna,nadia", "--findings", "legal was reached in 5 minutes", "--as", "katrin",
                 *CONFIG]) == 0
    assert "EX-" in capsys.readouterr().out
    assert main(["exercise", "record", "--date", "3 June", "--scenario", "x", "--as", "katrin", *CONFIG]) == 2
    assert 'expected the exercise date as YYYY-MM-DD (e.g. 2027-03-10), got "3 June"' in capsys.readouterr().err
    assert main(["exercise", "record", "--date", "2025-06-03", "--scenario", "x", "--as", "anna", *CONFIG]) == 2
    assert "may not record exercise" in capsys.readouterr().err
    assert main(["exercise", "list", "--from", "2025-06-01", "--to", "2025-07-01", "--format", "json", *CONFIG]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["date"], listed["facilitator"], listed["participants"], listed["recorded_by"]) == (
        "2025-06-03", "katrin", ["anna", "nadia"], KATRIN)
    assert main(["exercise", "list", "--from", "2025-06-04", *CONFIG]) == 0
    assert capsys.readouterr().out.strip() == "No exercise is recorded."
