"""docs/audit.md, "With the signing key": a checkpoint already shipped cannot be taken back. An attacker with the
key who re-writes a chain and signs the next checkpoint the ordinary way (linked to the genuine ones, appended to
the same file and shipped with it) must still be exposed by the earlier checkpoint that signed the original event,
also when the re-written chain is exactly as long as before (the same event number signed twice)."""

from __future__ import annotations

import json

from bot.audit.checkpoints import read_anchors, write_checkpoint
from bot.audit.export import evidence_pack
from bot.audit.offline import verify_pack
from tests.audit.test_ledger import _incident_id, _problems, _rechain, key, trail  # noqa: F401  (fixtures)


def test_a_chain_re_signed_at_the_same_length_is_still_exposed_by_the_earlier_checkpoint(store, clock, trail, key):
    _svc, anchor = trail
    iid = _incident_id(store, 1)
    chain = f"incident:{iid}"
    first, second = read_anchors(anchor)[0]
    head = second.body["chains"][chain]["seq"]
    assert first.body["chains"][chain]["seq"] < head  # the edit below is after the first checkpoint's position
    _rechain(store, chain, head, "INC-1 closed: nothing to notify, the DPO agreed")
    assert write_checkpoint(store, clock.now(), key=key, path=anchor) is not None  # linked to #2, signed, appended
    problems = _problems(store, anchor, key)
    assert any(p.startswith("INC-1 ") and f"event #{head} " in p and "checkpoint #2" in p and "re-chained" in p
               for p in problems), problems
    with store.session() as s:
        pack = json.loads(json.dumps(evidence_pack(s, 1, now=clock.now())))
    report = verify_pack(pack, key.public_key(), anchors=read_anchors(anchor)[0])
    assert any(f"event #{head} " in p and "checkpoint #2" in p for p in report.problems), report.problems
