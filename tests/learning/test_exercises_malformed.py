"""`exercise list` and `evidence` on an ``exercise.recorded`` event written by hand in a shape the bot never writes
(bot/audit/malformed.py): neither crashes; each names the event (chain, number, what is wrong), leaves it out while
saying so, lists or reports the good exercises, and exits 1 (as export does)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from bot.cli import main
from tests.learning.test_exercises import APRIL_10, _record
from tests.conftest import REPO_ROOT

CONFIG = ["--config-dir", str(REPO_ROOT / "config")]
GOOD = '"date": "2027-02-01", "starts_at": "2027-01-31T23:00:00+00:00", "scenario": "Lost laptop"'
CASES = [
    ('{"date": "2027-02-01", "scenario": "Lost laptop"}', "its starts_at is not an ISO 8601 time"),
    ('{"date": "2027-02-01", "starts_at": "the first of February", "scenario": "x"}',
     "its starts_at is not an ISO 8601 time"),
    ('{"date": "1 Feb", "starts_at": "2027-01-31T23:00:00+00:00", "scenario": "x"}', "its date is not an ISO day"),
    ('{' + GOOD + ', "participants": 5}', "its participants is not a list of person ids"),
    ('{' + GOOD + ', "drill": "yes"}', "its drill is not an object"),
]


@pytest.fixture
def damaged(world_at, store, database_url, monkeypatch, request):
    """Three exercises of the first quarter of 2027; the middle one's data then rewritten by hand."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    w = world_at(APRIL_10)
    made = [_record(w, day, f"Exercise of {day.isoformat()}") for day in
            (date(2027, 1, 15), date(2027, 2, 1), date(2027, 3, 1))]
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE timeline_event SET data = '{request.param}' "
                          f"WHERE chain = 'global' AND seq = {made[1].id}"))
    return made


def _named(seq: int, what: str) -> str:
    return f"global event #{seq} (exercise.recorded): {what}"


@pytest.mark.parametrize("fmt", ["md", "json"])
@pytest.mark.parametrize("damaged, what", CASES, ids=[c[1] for c in CASES], indirect=["damaged"])
def test_exercise_list_names_the_event_it_leaves_out(damaged, capsys, what, fmt):
    first, bad, last = damaged
    assert main(["exercise", "list", "--format", fmt, *CONFIG]) == 1
    captured = capsys.readouterr()
    assert "left out" in captured.err and _named(bad.id, what) in captured.err, captured.err
    if fmt == "json":
        assert [x["id"] for x in json.loads(captured.out)] == [first.label, last.label]
    else:
        assert _named(bad.id, what) in captured.out and "left out" in captured.out, captured.out
        assert f"| {first.label} | 2027-01-15 |" in captured.out and f"| {last.label} | 2027-03-01 |" in captured.out


@pytest.mark.parametrize("damaged, what", CASES, ids=[c[1] for c in CASES], indirect=["damaged"])
def test_the_period_report_names_the_event_it_leaves_out(damaged, capsys, tmp_path, what):
    first, bad, last = damaged
    prefix = tmp_path / "q1"
    assert main(["evidence", "--from", "2027-01-01", "--to", "2027-04-01", "-o", str(prefix), *CONFIG]) == 1
    err = capsys.readouterr().err
    assert "left out" in err and _named(bad.id, what) in err, err
    drills = json.loads((tmp_path / "q1.json").read_text())["drills"]
    assert [x["id"] for x in drills["recorded"]] == [first.label, last.label]
    assert [p for p in drills["left_out"] if _named(bad.id, what) in p], drills["left_out"]
    md = (tmp_path / "q1.md").read_text()
    assert _named(bad.id, what) in md and "left out" in md
    assert f"| {first.label} | 2027-01-15 |" in md and f"| {last.label} | 2027-03-01 |" in md
