"""The purge reaches what people typed outside incidents: a cover request's reason (often health or family) goes
once the cover ended longer ago than the retention period, on the global chain and in its row; a cover not over
yet keeps its words; the global chain still verifies, and editing a redacted event is still detected."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.purge.retention import purge
from bot.audit.trail import REDACTED, events, verify_chain
from bot.oncall.covers import accept, propose
from bot.oncall.history import EngagementHistory
from bot.oncall.tables import CoverRequest
from bot.oncall.team import team_of
from tests.oncall.helpers import local, team_config

REST = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "ArbZG §5(1)"}
NOW = "2026-03-02 12:00"  # MO; anna is on call for ops from MO 2026-03-02 09:00 to MO 03-09 09:00
OLD_REASON = "oncology appointment for my son"
LONG_REASON = "parental leave handover for Hal"


def _covers(store, write_config):
    team = team_of(team_config(write_config, [REST]))
    # each chat action is a unit of work of its own, as in the bot: each carries its cover's row as evidence
    with store.session() as s:
        ended = propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 18:00"),
                        end=local("2026-03-04 08:00"), proposed_by="anna", now=local(NOW), reason=OLD_REASON).id
    with store.session() as s:
        accept(s, team, EngagementHistory(), ended, by="bea", now=local(NOW))
    with store.session() as s:
        # proposed the same day for next year: still needed when the other one's words go
        running = propose(s, team, rotation="ops", taker="bea", start=local("2027-03-01 18:00"),
                          end=local("2027-03-20 08:00"), proposed_by="anna", now=local(NOW), reason=LONG_REASON).id
    return ended, running


def _everything(store) -> str:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT summary, data FROM timeline_event")).all()
        rows += conn.execute(text("SELECT reason, refusal FROM cover_request")).all()
    return json.dumps([[str(c) for c in r] for r in rows])


def test_a_cover_reason_goes_after_retention_and_the_global_chain_still_verifies(store, write_config):
    ended, running = _covers(store, write_config)
    assert OLD_REASON in _everything(store)  # the scan below can fail
    # Retention 365 days, purged on 2027-03-10: the cutoff is 2026-03-10, after the first cover ended
    # (2026-03-04 08:00 Berlin) and before the second one ends (2027-03-20).
    with store.session() as s:
        report = purge(s, retention_days=365, now=local("2027-03-10 12:00"))
    left = _everything(store)
    assert OLD_REASON not in left
    assert LONG_REASON in left
    with store.session() as s:
        chain = events(s, None)
        assert verify_chain(s, None).ok
        rows = {c.id: c for c in s.exec(select(CoverRequest)).all()}
    assert rows[ended].reason == REDACTED and rows[running].reason == LONG_REASON
    redacted = [e for e in chain if e.redacted]
    # the ended cover's proposal and acceptance; the running cover's proposal keeps its words
    assert sorted(e.seq for e in redacted) == sorted(report.global_events) and len(redacted) == 2
    assert {e.kind for e in redacted} == {"oncall.cover_proposed", "oncall.cover_accepted"}
    assert all(e.data["rotation"] == "ops" and e.data["taker"] == "bea" for e in redacted)  # who and what stay
    assert chain[-1].kind == "audit.purged" and chain[-1].data["redacted_seqs"] == report.global_events
    with store.session() as s:
        again = purge(s, retention_days=365, now=local("2027-03-10 12:00"))
    assert again.global_events == []  # once


def test_a_redacted_global_event_edited_afterwards_is_detected(store, write_config):
    _covers(store, write_config)
    with store.session() as s:
        purge(s, retention_days=365, now=local("2027-03-10 12:00"))
    with store.session() as s:  # someone changes who took the cover, behind the bot's back
        ev = next(e for e in events(s, None) if e.redacted)
        ev.data = {**ev.data, "taker": "carl"}
        s.add(ev)
    with store.session() as s:
        assert not verify_chain(s, None).ok


def test_a_dry_run_changes_nothing(store, write_config):
    _covers(store, write_config)
    before = _everything(store)
    with store.session() as s:
        report = purge(s, retention_days=365, now=local("2027-03-10 12:00"), dry_run=True)
        s.rollback()
    assert len(report.global_events) == 2
    assert _everything(store) == before


def test_nothing_goes_within_retention(store, write_config):
    _covers(store, write_config)
    with store.session() as s:
        report = purge(s, retention_days=365, now=local(NOW) + timedelta(days=300))
    assert report.global_events == [] and OLD_REASON in _everything(store)
