"""Purge and the learning phase: open follow-ups keep their incident; finished ones lose their free text."""

from __future__ import annotations

from datetime import date, timedelta

from bot.purge.retention import purge
from bot.audit.trail import REDACTED, verify_chain
from bot.incidents.service import IncidentService
from bot.learning.followups import Proposal
from bot.learning.service import LearningService
from bot.learning.tables import FollowUp
from tests.incidents.conftest import BOB, REPORTER, load, write_config

SECRET = "jane.doe@example.org's card data in the debug log"


def test_open_follow_ups_hold_the_purge_and_finished_ones_are_redacted(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg"))  # retention 30 days
    incidents = IncidentService(store, lambda: config, clock)
    learning = LearningService(store, lambda: config, clock)
    incidents.declare("major", "Card data in logs", actor=REPORTER, key="declare")
    learning.add_followup(1, Proposal(title=f"Scrub {SECRET}", owner=BOB, due=date(2026, 3, 20), cost="1 day",
                                      impact=f"auditors find {SECRET}", likelihood="possible"),
                          actor=REPORTER, key="add")
    incidents.close(1, "log scrubbed", actor=REPORTER, key="close")
    clock.advance(days=31)
    with store.session() as s:
        report = purge(s, retention_days=30, now=clock.now())
    assert report.incidents == [] and report.held_for_followups == [1]
    assert learning.followups()[0].title == f"Scrub {SECRET}"  # the owner still needs to know what to do
    learning.finish_followup(1, actor=BOB, key="done")
    with store.session() as s:
        report = purge(s, retention_days=30, now=clock.now())
    assert [i.number for i in report.incidents] == [1]
    with store.session() as s:
        row = s.get(FollowUp, 1)
        assert (row.title, row.impact, row.cost) == (REDACTED, REDACTED, REDACTED)
        assert verify_chain(s, 1).ok
    timeline = incidents.timeline(1)
    added = next(e for e in timeline if e.kind == "followup.added")
    assert SECRET not in str(added.data) and SECRET not in added.summary
    assert added.data["risk_score"] == 15 and added.data["owner"] == BOB  # structured facts stay as evidence
