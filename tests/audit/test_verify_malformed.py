"""`audit verify` on rows an insider wrote by hand: every malformed event is reported with its chain and number and
the exit status is 1; the other chains are still checked (a crash would say neither what nor where)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.cli import main
from tests.audit.test_cli import two_incidents  # noqa: F401  (fixture)

MALFORMED = [
    ("data = '{\"evidence\": [{\"id\": 1}]}'", "an evidence entry without its table"),
    ("data = '{\"evidence\": 7}'", "evidence that is not a list"),
    ("kind = 'audit.purged', data = '{\"redacted_seqs\": [\"two\"]}'", "a purge record naming no number"),
    ("data = '[1, 2]'", "data that is not an object"),
]


@pytest.mark.parametrize("assignment, what", MALFORMED, ids=[m[1] for m in MALFORMED])
def test_a_malformed_event_is_reported_where_it_is(two_incidents, store, capsys, assignment, what):
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE timeline_event SET {assignment} WHERE chain = 'incident:1' AND seq = 2"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "INC-1: BROKEN" in out and "incident:1 event #2" in out and "INC-2: ok" in out and "global: ok" in out, out


def test_verify_pack_reports_a_malformed_purge_record_where_it_is(two_incidents, store, clock):
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bot.audit.export import evidence_pack
    from bot.audit.offline import verify_pack

    with store.session() as s:
        pack = json.loads(json.dumps(evidence_pack(s, 1, now=clock.now())))
    pack["timeline"][1].update(kind="audit.purged", data=[1, 2])
    report = verify_pack(pack, Ed25519PrivateKey.generate().public_key())
    assert any("incident:1 event #2" in p and "malformed" in p for p in report.problems), report.problems
