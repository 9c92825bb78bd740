"""The learning commands on the command line: review drafts to a file, follow-ups ranked by risk, metrics."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest

from bot.cli import main
from bot.learning.followups import Proposal
from tests.conftest import REPO_ROOT
from tests.learning.conftest import ANNA, BRUNO, KATRIN, OLIVIA, UTC

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)
CONFIG = ["--config-dir", str(REPO_ROOT / "config")]


@pytest.fixture
def resolved(world_at, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    w = world_at(TUESDAY)
    w.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="d1")
    w.incidents.record_channel(1, "CINC0001", "inc-1", key="c1")
    w.dispatcher.run_due()
    w.incidents.acknowledge_page(w.incidents.pages(1)[0].id, actor=ANNA, key="a1")
    w.clock.set(TUESDAY + timedelta(hours=1))
    w.incidents.resolve(1, actor=KATRIN, key="r1")
    cheap = Proposal(title="Alert on p99 latency", owner=BRUNO, due=date(2027, 3, 1), cost="1 day",
                     impact="a slow checkout goes unnoticed for an hour", likelihood="likely", impact_level="minor")
    costly = Proposal(title="Move checkout to two regions", owner=ANNA, due=date(2027, 6, 1), cost="3 months",
                      impact="a region outage stops every sale", likelihood="unlikely", impact_level="severe")
    w.learning.add_followup(1, cheap, actor=KATRIN, key="f1")
    w.learning.add_followup(1, costly, actor=KATRIN, key="f2")
    w.learning.defer_followup(2, date(2027, 9, 1), "after the peak season", actor=OLIVIA, key="defer")
    return w


def test_review_is_drafted_to_an_owner_only_file_and_marked_done(resolved, tmp_path, capsys):
    out = tmp_path / "review.md"
    assert main(["review", "1", "--as", "katrin", "-o", str(out), *CONFIG]) == 0
    assert "written to" in capsys.readouterr().out
    text = out.read_text()
    assert "Checkout latency" in text and "Alert on p99 latency" in text
    assert out.stat().st_mode & 0o777 == 0o600
    assert main(["review", "1", "--as", "bruno", *CONFIG]) == 2  # not the owner, commander or scribe
    assert "the review's owner" in capsys.readouterr().err  # the refusal says who may
    assert main(["review", "1", "--as", "katrin", "--done", "--link", "https://wiki.example/inc-1", *CONFIG]) == 0
    assert "marked done (on time)" in capsys.readouterr().out
    assert resolved.learning.review(1).state == "done"


def test_followups_rank_by_risk_and_show_the_deferral(resolved, capsys):
    assert main(["followups", "--format", "json", *CONFIG]) == 0
    rows = json.loads(capsys.readouterr().out)
    # Risk score = impact level x likelihood: minor (2) x likely (4) = 8; severe (5) x unlikely (2) = 10.
    assert [(r["id"], r["risk_score"]) for r in rows] == [("F-2", 10), ("F-1", 8)]
    assert rows[0]["state"] == "deferred" and rows[0]["decided_by"] == "olivia" and rows[0]["owner"] == "anna"
    assert main(["followups", "--open", "--format", "csv", *CONFIG]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in table] == ["F-2", "F-1"] and table[1]["cost"] == "1 day"
    resolved.learning.finish_followup(1, actor=BRUNO, key="done")
    assert main(["followups", "--open", *CONFIG]) == 0
    text = capsys.readouterr().out
    assert "F-2" in text and "F-1" not in text


def test_metrics_command_and_its_errors(resolved, capsys):
    assert main(["metrics", "--from", "2026-12-21", "--to", "2027-01-01", "--format", "json", *CONFIG]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["severities"]["sev2"]["incidents"] == 1
    # Resolved one hour after the declaration (the only sev2 incident): MTTR 3600 s.
    assert data["severities"]["sev2"]["mttr_seconds"] == 3600
    assert main(["metrics", "--from", "last week", "--to", "2027-01-01", *CONFIG]) == 2
    assert 'expected a day like "2027-03-01"' in capsys.readouterr().err
