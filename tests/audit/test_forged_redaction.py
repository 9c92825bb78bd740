"""A purge keeps, for each text it redacts, the text's salted hash in the event's ``redaction`` map, and the
digest uses that hash instead of the text. An insider with the database (no key) must not be able to use that
map to change a kept value: swap any text for another, put the original's hash in the map, and the digest,
the hash, the signed checkpoint and the table comparison would all still agree."""

from __future__ import annotations

import json

from sqlalchemy import text

from bot.audit.checkpoints import anchor_problems, read_anchors
from bot.audit.digest import leaf_hash
from bot.audit.evidence import verify_incident
from bot.audit.export import evidence_pack
from bot.audit.offline import verify_pack
from bot.audit.trail import verify_chain
from bot.purge.retention import purge
from tests.audit.test_evidence_chain import _id, clock, key, world  # noqa: F401  (fixtures)
from tests.audit.test_purge import _closed_incident
from tests.incidents.conftest import ALICE, MALLORY

LATE = "2027-01-30T00:00:00+00:00"  # after the GDPR deadline (2026-12-28 01:00 UTC): "met" becomes "missed"


def _forge(store, chain, pick, new_value):
    """Replace the text ``pick(data)`` chooses in the newest event holding it by ``new_value``, and put the
    original's salted hash in the event's redaction map. Returns the event's sequence number."""
    with store.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, seq, data, redaction FROM timeline_event WHERE chain = :c ORDER BY seq DESC"),
                            {"c": chain}).all()
        for rid, seq, data, kept in rows:
            data = data if isinstance(data, dict) else json.loads(data)
            kept = (kept if isinstance(kept, dict) else json.loads(kept or "null")) or {}
            found = pick(data)
            if found is None:
                continue
            path, holder, key_ = found
            marks = {**kept, path: leaf_hash(chain, seq, path, holder[key_])}  # beside the purge's own
            holder[key_] = new_value
            conn.execute(text("UPDATE timeline_event SET data = :d, redaction = :r WHERE id = :id"),
                         {"d": json.dumps(data), "r": json.dumps(marks), "id": rid})
            return seq
    raise AssertionError("nothing to forge")


def _gdpr(column):
    """Picks the GDPR authority obligation's ``column`` in an event's chained evidence rows."""
    def pick(data):
        for i, entry in enumerate(data.get("evidence", [])):
            row = entry.get("row") or {}
            if entry["table"] == "obligation" and row.get("obligation_id") == "gdpr.authority" and row.get(column):
                return f"/data/evidence/{i}/row/{column}", row, column
        return None
    return pick


def _problems(store, clock, key, anchor, number):
    iid = _id(store, number)
    with store.session() as s:
        database = verify_incident(s, iid).problems
        signed = anchor_problems(s, read_anchors(anchor)[0], key.public_key())
        pack = json.loads(json.dumps(evidence_pack(s, number, now=clock.now())))
    offline = verify_pack({**pack, "audit": {**pack["audit"], "problems": []}}, key.public_key()).problems
    return database, signed, offline, pack


def test_a_kept_value_changed_behind_a_forged_redaction_hash_is_detected(store, clock, world, key):
    _svc, anchor = world
    iid = _id(store, 2)
    seq = _forge(store, f"incident:{iid}", _gdpr("notified_at"), LATE)
    with store.engine.begin() as conn:  # and the table, so that it agrees with the chain
        conn.execute(text("UPDATE obligation SET notified_at = '2027-01-30 00:00:00' "
                          "WHERE obligation_id = 'gdpr.authority'"))
    database, signed, offline, pack = _problems(store, clock, key, anchor, 2)
    gdpr = next(o for o in pack["obligations"] if o["obligation"] == "gdpr.authority")
    assert gdpr["outcome"] == "missed" and signed == []  # what the forgery achieves, and the anchor cannot see it
    where = f"incident:{iid} event #{seq}"
    assert any(where in p and "/data/evidence/0/row/notified_at" in p for p in database), database
    assert any(where in p and "/data/evidence/0/row/notified_at" in p for p in offline), offline
    assert not pack["audit"]["verified"]


def test_a_summary_rewritten_behind_a_forged_redaction_hash_is_detected(store, clock, world, key):
    """Not only kept evidence: a summary swapped for another text ("the DPO approved") with the original's hash."""
    _svc, anchor = world
    iid = _id(store, 2)
    with store.engine.begin() as conn:
        seq, summary = conn.execute(text("SELECT seq, summary FROM timeline_event WHERE chain = :c AND summary != '' "
                                         "ORDER BY seq LIMIT 1"), {"c": f"incident:{iid}"}).one()
        conn.execute(text("UPDATE timeline_event SET summary = 'the DPO approved not notifying', redaction = :r "
                          "WHERE chain = :c AND seq = :s"),
                     {"r": json.dumps({"/summary": leaf_hash(f"incident:{iid}", seq, "/summary", summary)}),
                      "c": f"incident:{iid}", "s": seq})
    database, _signed, offline, _pack = _problems(store, clock, key, anchor, 2)
    assert any(f"event #{seq}" in p and "/summary" in p for p in database), database
    assert any(f"event #{seq}" in p and "/summary" in p for p in offline), offline


def test_a_text_hidden_without_a_purge_is_detected(store, clock, world, key):
    """Replacing a text by the redaction marker keeps the digest (the hash is the original's) but no purge
    recorded it: the event must not pass as a purged one just because its flag was left alone."""
    _svc, anchor = world
    iid = _id(store, 2)
    seq = _forge(store, f"incident:{iid}", _gdpr("reference"), "[redacted]")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE obligation SET reference = '[redacted]' WHERE obligation_id = 'gdpr.authority'"))
    database, _signed, offline, _pack = _problems(store, clock, key, anchor, 2)
    assert any(f"event #{seq}" in p and "no purge event records it" in p for p in database), database
    assert any(f"event #{seq}" in p and "no purge event records it" in p for p in offline), offline


def test_a_kept_value_of_a_purged_event_changed_behind_a_forged_redaction_hash_is_detected(store, tmp_path):
    """After a purge every event is marked redacted and listed by the purge: the hash map must still not let an
    insider name someone else as the legal role holder (a kept value: who did what)."""
    from datetime import datetime, timezone

    from bot.clock import ManualClock

    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    _closed_incident(store, clock, tmp_path)
    clock.advance(days=31)
    with store.session() as s:
        purge(s, retention_days=30, now=clock.now())
        s.commit()

    def legal_holder(data):
        if data.get("role") == "legal" and data.get("after") == ALICE:
            return "/data/after", data, "after"
        return None

    seq = _forge(store, "incident:1", legal_holder, MALLORY)
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT redacted FROM timeline_event WHERE chain = 'incident:1' AND seq = :s"),
                            {"s": seq}).scalar_one()  # purged, and listed by the purge
    with store.session() as s:
        problems = verify_chain(s, 1).problems
    assert any(f"event #{seq}" in p and "/data/after" in p for p in problems), problems
