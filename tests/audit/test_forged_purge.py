"""A purge cannot be forged to erase kept evidence. Anyone with the database can append an event to a chain (appending
needs no key: the hash arithmetic is public), so an ``audit.purged`` event listing any event is easy to add at the
tail, after the newest checkpoint. What it must not buy: replacing a value the purge keeps (an obligation's reference,
the evidence that a deadline was met) by ``[redacted]`` with the original's hash in the redaction map, in an event
signed long before. Only the texts a purge redacts may be redacted: the summary, the free-text values of the data and
the typed-text columns of evidence rows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bot.audit.checkpoints import anchor_problems, read_anchors
from bot.audit.digest import leaf_hash
from bot.audit.evidence import verify_incident
from bot.audit.export import evidence_pack
from bot.audit.offline import verify_pack
from bot.audit.trail import REDACTED, content_digest, event_hash, events
from tests.audit.test_evidence_chain import _id, clock, key, world  # noqa: F401  (fixtures)


def _forge(store, iid, table, column, original):
    """Redact ``table.column`` (holding ``original``; None: the newest text it holds) on the chain and in the table,
    with a purge event appended."""
    chain = f"incident:{iid}"
    with store.session() as s:
        rows = events(s, iid)
        if original is None:
            original = next(e["row"][column] for ev in reversed(rows) for e in (ev.data or {}).get("evidence", [])
                            if e.get("table") == table and isinstance((e.get("row") or {}).get(column), str))
        target = next(ev for ev in reversed(rows) for e in (ev.data or {}).get("evidence", [])
                      if e.get("table") == table and (e.get("row") or {}).get(column) == original)
        data = json.loads(json.dumps(target.data))
        index = next(i for i, e in enumerate(data["evidence"])
                     if e.get("table") == table and (e.get("row") or {}).get(column) == original)
        path = f"/data/evidence/{index}/row/{column}"
        data["evidence"][index]["row"][column] = REDACTED
        head = rows[-1]
        purge_data = {"redacted_seqs": [target.seq]}
        at = head.at
        digest = content_digest("purged", purge_data, chain=chain, seq=head.seq + 1)
        forged_hash = event_hash(chain=chain, seq=head.seq + 1, at=at, actor="system", kind="audit.purged",
                                 digest=digest, prev_hash=head.hash)
        target_seq, target_id, row_id = target.seq, target.id, data["evidence"][index]["id"]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE timeline_event SET data = :d, redaction = :r, redacted = :t WHERE id = :i"),
                     {"d": json.dumps(data), "r": json.dumps({path: leaf_hash(chain, target_seq, path, original)}),
                      "t": True, "i": target_id})
        conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :i"), {"v": REDACTED, "i": row_id})
        conn.execute(text("INSERT INTO timeline_event (chain, seq, incident_id, at, actor, kind, summary, data, "
                          "content_digest, prev_hash, hash, redacted, digest_version) VALUES (:c, :s, :i, :at, "
                          "'system', 'audit.purged', 'purged', :d, :cd, :p, :h, :f, 3)"),
                     {"c": chain, "s": head.seq + 1, "i": iid, "at": at, "d": json.dumps(purge_data),
                      "cd": digest, "p": head.hash, "h": forged_hash, "f": False})
    return target_seq, path


@pytest.mark.parametrize("number, table, column, original", [
    (2, "obligation", "reference", "BayLDA-4411"),
    (2, "obligation", "status", "notified"),
    (1, "page", "reason", None),  # why the bot paged her, with the rule and its citation: a purge keeps it
])
def test_a_kept_value_redacted_under_a_forged_purge_is_reported(store, clock, world, key, number, table, column,
                                                                original):
    _svc, anchor = world
    iid = _id(store, number)
    seq, path = _forge(store, iid, table, column, original)
    with store.session() as s:
        problems = verify_incident(s, iid).problems
        anchors, unreadable = read_anchors(anchor)
        assert not unreadable and not anchor_problems(s, anchors, key.public_key())  # the signed heads still hold
        pack = json.loads(json.dumps(evidence_pack(s, number, now=clock.now())))
    words = f"incident:{iid} event #{seq}"
    assert any(words in p and path in p and "kept" in p for p in problems), problems
    report = verify_pack(pack, key.public_key())
    assert not report.ok and any(path in p and "kept" in p for p in report.problems), report.problems
