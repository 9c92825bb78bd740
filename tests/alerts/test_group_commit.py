"""Group commit of receipts: requests waiting together share one transaction, each answered only after it
committed, each with its own id; a bad row fails only its own request."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.alerts.group_commit import GroupCommit
from bot.alerts.tables import AlertReceipt

AT = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)


class Gate:
    """A write lock that holds the first transaction until the test opens it, and counts transactions."""

    def __init__(self) -> None:
        self.first_in, self.open = threading.Event(), threading.Event()
        self.transactions = 0

    def __enter__(self):
        self.transactions += 1
        if self.transactions == 1:
            self.first_in.set()
            assert self.open.wait(10)
        return self

    def __exit__(self, *_exc):
        return None


def row(source: str, **changes):
    return {"source": source, "format": "generic", "received_at": AT, "events": [{"key": source}], "done": 0,
            "state": "accepted", "triaged_at": None, **changes}


def stored(store) -> dict[int, str]:
    with store.session() as s:
        return {r.id: r.source for r in s.exec(select(AlertReceipt)).all()}


def queued(commit: GroupCommit, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(commit._queue) < n:
        assert time.monotonic() < deadline, "the requests never queued"
        time.sleep(0.005)


def run_behind_a_slow_transaction(store, rows):
    """The first row's transaction is held open while the other rows' requests arrive; returns what each
    request got (its id or its exception), what was stored when each returned, and the commit."""
    gate, committed = Gate(), threading.Event()
    commit = GroupCommit(store.engine, AlertReceipt.__table__, write_lock=gate, committed=committed.set)
    results: dict[str, object] = {}
    seen_on_return: dict[str, dict[int, str]] = {}

    def request(r):
        try:
            results[r["source"]] = commit.store(r)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each request got
            results[r["source"]] = exc
        seen_on_return[r["source"]] = stored(store)

    first = threading.Thread(target=request, args=(rows[0],))
    first.start()
    assert gate.first_in.wait(10)
    others = [threading.Thread(target=request, args=(r,)) for r in rows[1:]]
    for t in others:
        t.start()
    queued(commit, len(rows) - 1)
    gate.open.set()
    for t in [first, *others]:
        t.join(10)
    assert committed.is_set()
    return results, seen_on_return, gate


def test_waiting_requests_share_one_transaction_and_each_gets_its_own_committed_row(store):
    rows = [row(f"src-{i}") for i in range(8)]
    results, seen_on_return, gate = run_behind_a_slow_transaction(store, rows)
    assert gate.transactions == 2  # the first alone, then the seven that waited behind it together
    ids = {source: rid for source, rid in results.items()}
    assert sorted(ids) == sorted(r["source"] for r in rows) and len(set(ids.values())) == 8
    assert stored(store) == {rid: source for source, rid in ids.items()}
    for source, rid in ids.items():  # each request returned only once its own row was committed
        assert seen_on_return[source].get(rid) == source


def test_a_bad_row_fails_only_its_own_request(store):
    rows = [row("first"), row("good-1"), row("bad", received_at=None), row("good-2")]
    results, _seen, _gate = run_behind_a_slow_transaction(store, rows)
    assert isinstance(results["bad"], Exception)
    good = {s: results[s] for s in ("first", "good-1", "good-2")}
    assert all(isinstance(rid, int) for rid in good.values())
    assert stored(store) == {rid: s for s, rid in good.items()}


def test_a_request_alone_writes_at_once(store):
    commit = GroupCommit(store.engine, AlertReceipt.__table__)
    first, second = commit.store(row("a")), commit.store(row("b"))
    assert stored(store) == {first: "a", second: "b"}
    with pytest.raises(Exception):
        commit.store(row("broken", received_at=None))
    assert stored(store) == {first: "a", second: "b"}
