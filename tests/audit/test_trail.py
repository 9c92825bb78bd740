"""The hash chain detects edited, inserted and deleted events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import append_event, verify_chain
from bot.incidents.tables import Incident

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)


def _incident_with_events(store, n=4) -> int:
    with store.session() as s:
        inc = Incident(number=7, title="db down", severity="sev1", playbook="sev1", reporter="U1", declared_at=T0)
        s.add(inc)
        s.flush()
        for i in range(n):
            append_event(s, incident_id=inc.id, actor="U1", kind="note", at=T0 + timedelta(minutes=i),
                         summary=f"note {i}", data={"i": i, "before": None, "after": "x"})
        return inc.id


def test_untouched_chain_verifies(store):
    iid = _incident_with_events(store)
    with store.session() as s:
        result = verify_chain(s, iid)
    assert result.ok, result.problems
    assert result.events == 4


def test_edited_event_is_detected(store):
    iid = _incident_with_events(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE timeline_event SET summary = 'nothing happened' WHERE seq = 2"))
    with store.session() as s:
        result = verify_chain(s, iid)
    assert not result.ok
    assert any("#2" in p and "edited" in p for p in result.problems)


def test_edited_actor_is_detected_even_with_fresh_digest(store):
    iid = _incident_with_events(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE timeline_event SET actor = 'U999' WHERE seq = 3"))
    with store.session() as s:
        result = verify_chain(s, iid)
    assert any("#3" in p and "hash does not match" in p for p in result.problems)


def test_deleted_event_is_detected(store):
    iid = _incident_with_events(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM timeline_event WHERE seq = 2"))
    with store.session() as s:
        result = verify_chain(s, iid)
    assert any("#3" in p and "expected sequence number 2" in p for p in result.problems)


def test_inserted_event_is_detected(store):
    iid = _incident_with_events(store)
    # A forger shifts later events up and slips a fabricated one in at seq 3,
    # copying the real prev_hash of event 2 so that its own link looks right.
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE timeline_event SET seq = seq + 100 WHERE seq >= 3"))
        conn.execute(text("UPDATE timeline_event SET seq = seq - 99 WHERE seq >= 103"))
    with store.session() as s:
        real_second = s.exec(select(TimelineEvent).where(TimelineEvent.seq == 2)).one()
        s.add(TimelineEvent(chain=f"incident:{iid}", seq=3, incident_id=iid, at=T0 + timedelta(minutes=1, seconds=30),
                            actor="U1", kind="note", summary="forged", data={}, content_digest="0" * 64,
                            prev_hash=real_second.hash, hash="f" * 64))
    with store.session() as s:
        result = verify_chain(s, iid)
    assert not result.ok
    assert any("#4" in p and "prev_hash" in p for p in result.problems)
