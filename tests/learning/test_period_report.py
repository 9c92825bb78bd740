"""The period evidence report: built from the chains, tamper-evident, with the controls table as a help."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.learning.followups import Proposal
from bot.learning.period_report import build
from bot.learning.period_report_md import render
from tests.conftest import REPO_ROOT
from tests.learning.conftest import ANNA, BRUNO, KATRIN, OLIVIA, UTC

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)
START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def period(world_at):
    w = world_at(TUESDAY)
    w.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="d1")
    w.incidents.record_channel(1, "CINC0001", "inc-1", key="c1")
    w.dispatcher.run_due()
    w.incidents.acknowledge_page(w.incidents.pages(1)[0].id, actor=ANNA, key="a1")
    w.clock.set(TUESDAY + timedelta(hours=1))
    w.incidents.resolve(1, actor=KATRIN, key="r1")
    w.learning.add_followup(1, Proposal(title="Alert on p99 latency", owner=BRUNO, due=date(2027, 1, 15),
                                        cost="1 day", impact="slow checkouts go unnoticed", likelihood="likely"),
                            actor=KATRIN, key="f1")
    w.learning.defer_followup(1, date(2027, 3, 1), "after the peak season", actor=OLIVIA, key="defer")
    w.learning.complete_review(1, actor=KATRIN, key="done", link="https://wiki.example/inc-1")
    return w


def test_the_report_lists_each_incident_from_its_chain(period):
    with period.store.session() as s:
        report = build(s, START, END, TUESDAY + timedelta(hours=2))
    assert [i["incident"]["label"] for i in report["incidents"]] == ["INC-1"]
    item = report["incidents"][0]
    assert item["audit"]["verified"] and report["chains"]["all_verified"]
    assert item["review"]["state"] == "done" and item["review"]["on_time"] is True
    followup = item["followups"][0]
    # Deferred by the product owner (Olivia), who did not propose it (Katrin did), with the reason.
    assert (followup["state"], followup["decided_by"], followup["proposed_by"]) == ("deferred", OLIVIA, KATRIN)
    assert followup["decision_reason"] == "after the peak season"
    # Every decision of a request records the configuration version; the global chain names its files.
    assert item["config_versions"] and report["config_versions"]
    assert item["config_versions"][0]["hash"] == report["config_versions"][0]["hash"]
    assert report["alerts"]["received"] == []  # the incident was declared by a person
    md = render(report)
    assert "### INC-1 Checkout latency" in md and "after the peak season" in md
    assert "not a claim of compliance" in md and "| Reviews and whether on time | CC7.4, CC7.5 | A.5.27 |" in md


def test_a_follow_up_edited_by_sql_shows_as_not_verified_and_the_chain_state_is_reported(period):
    with period.store.engine.begin() as conn:  # someone closes the deferred follow-up behind the bot's back
        conn.execute(text("UPDATE followup SET state = 'done' WHERE id = 1"))
    with period.store.session() as s:
        report = build(s, START, END, TUESDAY + timedelta(hours=2))
    item = report["incidents"][0]
    assert not item["audit"]["verified"] and not report["chains"]["all_verified"]
    assert any("followup row 1" in p and "state" in p for p in item["audit"]["problems"])
    assert item["followups"][0]["state"] == "deferred"  # what the chain says, not the edited table


def test_evidence_command_writes_markdown_and_json(period, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    prefix = tmp_path / "out" / "q4"
    args = ["evidence", "--from", "2026-12-01", "--to", "2027-01-01", "-o", str(prefix),
            "--config-dir", str(REPO_ROOT / "config")]
    assert main(args) == 0
    assert "1 incident(s); chains verified" in capsys.readouterr().out
    data = json.loads((tmp_path / "out" / "q4.json").read_text())
    assert data["incidents"][0]["incident"]["label"] == "INC-1"
    assert (tmp_path / "out" / "q4.md").stat().st_mode & 0o777 == 0o600
    assert main(["evidence", "--from", "2027-01-01", "--to", "2026-12-01", "-o", str(prefix),
                 "--config-dir", str(REPO_ROOT / "config")]) == 2


def test_an_incident_moved_out_of_the_period_by_sql_is_still_reported_as_not_verified(period):
    """Which incidents belong to the period is chained evidence too: editing ``incident.declared_at`` must not take
    an incident out of the report while the report says every chain verified."""
    with period.store.engine.begin() as conn:
        conn.execute(text("UPDATE incident SET declared_at = '2026-11-02 10:00:00' WHERE number = 1"))
    with period.store.session() as s:
        report = build(s, START, END, TUESDAY + timedelta(hours=2))
    assert [i["incident"]["label"] for i in report["incidents"]] == ["INC-1"]
    item = report["incidents"][0]
    assert item["incident"]["declared_at"] == TUESDAY.isoformat()  # what the chain says
    assert not item["audit"]["verified"] and not report["chains"]["all_verified"]
    assert any("incident row" in p and "declared_at" in p for p in item["audit"]["problems"])
