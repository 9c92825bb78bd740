"""An event's digest version says how its content is checked, and a redacted event of version 1 (written before
the leaf-committed digests) cannot be checked at all. An insider with the database must not be able to relabel a
purged event as version 1 and then change its kept evidence: the version has to be covered by the hash."""

from __future__ import annotations

import json

from sqlalchemy import text

from bot.audit.evidence import verify_incident
from bot.audit.export import evidence_pack
from bot.audit.offline import verify_pack
from tests.audit.test_evidence_chain import clock, key  # noqa: F401  (fixtures)
from tests.audit.test_purge_everywhere import _id, purged  # noqa: F401  (fixture)
from tests.incidents.conftest import MALLORY


def _relabel_and_edit(store, iid):
    """The newest purged event holding the legal role's row: version 1, and someone else named as holding it."""
    with store.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, seq, data FROM timeline_event WHERE incident_id = :i AND redacted "
                                 "ORDER BY seq DESC"), {"i": iid}).all()
        for rid, seq, data in rows:
            data = data if isinstance(data, dict) else json.loads(data)
            roles = [e for e in data.get("evidence", []) if e["table"] == "incident_role" and (e.get("row") or {}).get(
                "role") == "legal"]
            if roles:
                for entry in roles:
                    entry["row"]["user"] = MALLORY
                conn.execute(text("UPDATE timeline_event SET data = :d, digest_version = 1 WHERE id = :id"),
                             {"d": json.dumps(data), "id": rid})
                conn.execute(text("UPDATE incident_role SET \"user\" = :u WHERE incident_id = :i AND role = 'legal'"),
                             {"u": MALLORY, "i": iid})
                return seq
    raise AssertionError("no purged event holds the legal role")


def test_a_purged_event_relabelled_as_version_1_and_edited_is_detected(store, clock, purged, key):
    iid = _id(store, 1)
    seq = _relabel_and_edit(store, iid)
    with store.session() as s:
        problems = verify_incident(s, iid).problems
        pack = json.loads(json.dumps(evidence_pack(s, 1, now=clock.now())))
    assert any(f"event #{seq} " in p for p in problems), problems
    assert [r["user"] for r in pack["roles"] if r["role"] == "legal"] == [MALLORY]  # what the edit achieves
    offline = verify_pack({**pack, "audit": {**pack["audit"], "problems": []}}, key.public_key()).problems
    assert any(f"event #{seq} " in p for p in offline), offline
