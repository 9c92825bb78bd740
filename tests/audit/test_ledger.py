"""Signed checkpoints published outside the database: truncation, deleted incidents and re-chaining are detected;
what an attacker holding the signing key can do is exactly what docs/audit.md says."""

from __future__ import annotations

import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import inspect, text
from sqlmodel import select

from bot.audit.checkpoints import anchor_problems, make_checkpoint, read_anchors, write_checkpoint
from bot.audit.tables import AuditCheckpoint, TimelineEvent
from bot.audit.trail import GENESIS, seal, verify_chain
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, REPORTER, load, write_config


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def trail(store, clock, tmp_path, key):
    """Three incidents (INC-1 closed), a checkpoint after each step; the anchor file under tmp."""
    config = load(write_config(tmp_path / "cfg"))
    svc = IncidentService(store, lambda: config, clock)
    anchor = tmp_path / "shipped" / "anchors.jsonl"
    svc.declare("major", "Checkout is down", actor=REPORTER, key="d1")
    svc.add_note(1, "rolled back", actor=REPORTER, key="n1")
    svc.declare("minor", "Search slow", actor=REPORTER, key="d2")
    write_checkpoint(store, clock.now(), key=key, path=anchor)
    svc.add_note(2, "index rebuilt", actor=REPORTER, key="n2")
    svc.assign_role(1, "legal", ALICE, actor=REPORTER, key="r1")
    svc.close(1, "bad deploy", actor=REPORTER, key="c1")
    svc.declare("minor", "Emails late", actor=REPORTER, key="d3")
    write_checkpoint(store, clock.now(), key=key, path=anchor)
    return svc, anchor


def _problems(store, anchor, key):
    anchors, unreadable = read_anchors(anchor)
    with store.session() as s:
        return unreadable + anchor_problems(s, anchors, key.public_key())


def _incident_id(store, number):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM incident WHERE number = :n"), {"n": number}).scalar_one()


def test_untouched_trail_matches_every_checkpoint(store, trail, key):
    _, anchor = trail
    anchors, _ = read_anchors(anchor)
    assert [a.seq for a in anchors] == [1, 2]
    assert anchors[0].body["prev"] == GENESIS and anchors[1].body["prev"] == anchors[0].line_hash
    assert _problems(store, anchor, key) == []


def test_nothing_changed_writes_no_new_checkpoint_and_the_file_is_owner_only(store, clock, trail, key):
    _, anchor = trail
    assert write_checkpoint(store, clock.now(), key=key, path=anchor) is None
    assert len(read_anchors(anchor)[0]) == 2
    assert anchor.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("deleted", [1, 3])
def test_deleting_the_newest_events_is_detected(store, trail, key, deleted):
    _, anchor = trail
    iid = _incident_id(store, 1)
    with store.engine.begin() as conn:
        head = conn.execute(text("SELECT max(seq) FROM timeline_event WHERE chain = :c"), {"c": f"incident:{iid}"}).scalar()
        conn.execute(text("DELETE FROM timeline_event WHERE chain = :c AND seq > :s"),
                     {"c": f"incident:{iid}", "s": head - deleted})
    with store.session() as s:
        assert verify_chain(s, iid).ok  # the shortened chain is consistent in itself: only the anchor shows it
    problems = _problems(store, anchor, key)
    assert any(p.startswith("INC-1 ") and f"signed event #{head}" in p and "newest events were deleted" in p
               for p in problems), problems


def _delete_incident(store, number):
    iid = _incident_id(store, number)
    schema = inspect(store.engine)
    tables = [t for t in schema.get_table_names() if t not in ("page", "timeline_event")
              and "incident_id" in {c["name"] for c in schema.get_columns(t)}]
    with store.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}" WHERE incident_id = :i'), {"i": iid})
        conn.execute(text("DELETE FROM page WHERE incident_id = :i"), {"i": iid})
        conn.execute(text("DELETE FROM timeline_event WHERE incident_id = :i"), {"i": iid})
        conn.execute(text("DELETE FROM incident WHERE id = :i"), {"i": iid})


def test_deleting_a_whole_incident_is_detected(store, trail, key):
    _, anchor = trail
    _delete_incident(store, 2)
    problems = _problems(store, anchor, key)
    assert any(p.startswith("INC-2 ") and "whole incident was deleted" in p for p in problems), problems


def _rechain(store, chain, seq, new_summary):
    """What someone with database access but without the key does: edit an event, then recompute every
    digest and hash from there on with the published algorithm, so the chain is consistent again."""
    with store.session() as s:
        rows = list(s.exec(select(TimelineEvent).where(TimelineEvent.chain == chain).order_by(TimelineEvent.seq)).all())
        prev = None
        for ev in rows:
            if ev.seq == seq:
                ev.summary = new_summary
            if prev is not None:
                ev.prev_hash = prev
            if ev.seq >= seq:
                seal(ev)
            prev = ev.hash
            s.add(ev)


def test_rechaining_without_the_key_is_detected(store, trail, key):
    _, anchor = trail
    iid = _incident_id(store, 1)
    _rechain(store, f"incident:{iid}", 2, "DPO approved not notifying")
    with store.session() as s:
        assert verify_chain(s, iid).ok  # the forgery is consistent inside the database
    problems = _problems(store, anchor, key)
    assert any(p.startswith("INC-1 ") and "re-chained" in p for p in problems), problems


def test_a_checkpoint_signed_with_another_key_is_refused(store, clock, trail, key):
    _, anchor = trail
    iid = _incident_id(store, 1)
    _rechain(store, f"incident:{iid}", 2, "forged")
    forger = Ed25519PrivateKey.generate()
    with store.session() as s:
        make_checkpoint(s, forger, clock.now(), force=True)
    write_checkpoint(store, clock.now(), key=forger, path=anchor)  # publishes the forged one
    problems = _problems(store, anchor, key)
    assert any("signature does not verify" in p for p in problems), problems
    assert any("re-chained" in p for p in problems), problems  # the genuine checkpoints still contradict it


def _resign_file(store, anchor, stolen_key, clock):
    """With the key and write access to the bot's anchor file: throw the old checkpoints away and sign new ones."""
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoint"))
    anchor.unlink()
    write_checkpoint(store, clock.now(), key=stolen_key, path=anchor, force=True)


def test_what_an_attacker_with_the_key_can_and_cannot_do(store, clock, trail, key, tmp_path):
    """docs/audit.md, "With the signing key": such an attacker can re-write the database and re-sign the local
    anchor file so that it verifies; every copy of a checkpoint published before the forgery still exposes it."""
    _, anchor = trail
    shipped_copy = tmp_path / "auditor-copy.jsonl"
    shutil.copyfile(anchor, shipped_copy)  # what the operator shipped elsewhere before the attack
    iid = _incident_id(store, 1)
    _rechain(store, f"incident:{iid}", 2, "DPO approved not notifying")
    _resign_file(store, anchor, key, clock)
    assert _problems(store, anchor, key) == []  # undetected against the re-signed local file, as documented
    shipped = _problems(store, shipped_copy, key)
    assert any(p.startswith("INC-1 ") and "re-chained" in p for p in shipped), shipped
    # Only appending a re-signed checkpoint (not rewriting the file) is caught by the older lines in it.
    with_appended = tmp_path / "appended.jsonl"
    shutil.copyfile(shipped_copy, with_appended)
    with with_appended.open("a") as out:
        out.write(read_anchors(anchor)[0][0].line + "\n")
    problems = _problems(store, with_appended, key)
    assert any("two different signed checkpoints with the same number" in p for p in problems), problems


def test_a_removed_line_in_the_anchor_file_is_reported(store, clock, trail, key):
    svc, anchor = trail
    svc.add_note(2, "more", actor=REPORTER, key="n9")
    write_checkpoint(store, clock.now(), key=key, path=anchor)
    lines = anchor.read_text().splitlines()
    anchor.write_text(lines[0] + "\n" + lines[2] + "\n")
    problems = _problems(store, anchor, key)
    assert problems == ["checkpoints #2..#2 are missing between #1 and #3 (lines removed from the anchor file)"]


def test_close_writes_a_checkpoint_with_the_key_from_the_environment(store, clock, tmp_path, key, monkeypatch):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    anchor = tmp_path / "a.jsonl"
    monkeypatch.setenv("AUDIT_SIGNING_KEY", pem)
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(anchor))
    config = load(write_config(tmp_path / "cfg"))
    svc = IncidentService(store, lambda: config, clock)
    svc.declare("minor", "x", actor=REPORTER, key="d")
    assert not anchor.exists()
    svc.close(1, "done", actor=REPORTER, key="c")
    (only,) = read_anchors(anchor)[0]
    head = svc.timeline(1)[-1]
    assert only.body["chains"][f"incident:{head_id(store)}"] == {"incident": 1, "seq": head.seq, "hash": head.hash}
    with store.session() as s:
        assert s.exec(select(AuditCheckpoint)).one().published_at is not None


def head_id(store):
    return _incident_id(store, 1)
