"""Tampering with a chain written by the lifecycle is detected, including deleting the newest events
(caught by the head hash that closing the incident posted)."""

from __future__ import annotations

from sqlalchemy import text

from bot.audit.trail import verify_chain
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, REPORTER, load, write_config


def _closed(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg"))
    svc = IncidentService(store, lambda: config, clock)
    svc.declare("major", "Checkout is down", actor=REPORTER, key="d")
    svc.assign_role(1, "scribe", ALICE, actor=REPORTER, key="r")
    svc.post_status(1, "rolled back", actor=REPORTER, key="s")
    closed = svc.close(1, "bad release", actor=REPORTER, key="c")
    return svc, closed


def _problems(store):
    with store.session() as s:
        return verify_chain(s, 1)


def test_untouched_lifecycle_chain_verifies_and_head_was_posted(store, clock, tmp_path):
    svc, closed = _closed(store, clock, tmp_path)
    check = _problems(store)
    assert check.ok and check.head_hash == svc.timeline(1)[-1].hash
    assert check.head_hash in closed.posts[0].notice.footer


def test_edited_before_after_values_are_detected(store, clock, tmp_path):
    _closed(store, clock, tmp_path)
    with store.engine.begin() as conn:
        seq = conn.execute(text("SELECT seq FROM timeline_event WHERE kind = 'role.assigned' AND actor = :a "
                                "ORDER BY seq DESC LIMIT 1"), {"a": REPORTER}).scalar_one()
        conn.execute(text("UPDATE timeline_event SET data = :d WHERE chain = 'incident:1' AND seq = :s"),
                     {"d": '{"role": "scribe", "before": null, "after": "UMALLORY1", "note": ""}', "s": seq})
    assert any(f"#{seq}" in p and "edited" in p for p in _problems(store).problems)


def test_deleted_middle_event_is_detected(store, clock, tmp_path):
    _closed(store, clock, tmp_path)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM timeline_event WHERE chain = 'incident:1' AND kind = 'status.posted'"))
    problems = _problems(store).problems
    assert any("expected sequence number" in p for p in problems)
    assert any("prev_hash" in p for p in problems)


def test_deleting_the_newest_events_changes_the_head(store, clock, tmp_path):
    _, closed = _closed(store, clock, tmp_path)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM timeline_event WHERE chain = 'incident:1' AND seq = "
                          "(SELECT MAX(seq) FROM timeline_event WHERE chain = 'incident:1')"))
    check = _problems(store)
    assert check.ok  # a truncated chain is internally consistent ...
    assert check.head_hash not in closed.posts[0].notice.footer  # ... but no longer ends at the posted head
