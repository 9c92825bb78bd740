"""Two transactions appending to the global chain at once: the second waits for the first, and both land."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timezone

import pytest

from bot.audit.trail import append_event, verify_chain

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="concurrent writers exist only on PostgreSQL; SQLite has one writer at a time")


def test_concurrent_global_appends_are_serialised_not_refused(store):
    first_appended, outcome = threading.Event(), {}

    def second() -> None:
        first_appended.wait(10)
        try:
            with store.session() as s:
                append_event(s, incident_id=None, actor="U2", kind="web.link_issued", at=T0, summary="second")
            outcome["second"] = "committed"
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            outcome["second"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=second)
    thread.start()
    with store.session() as s:
        append_event(s, incident_id=None, actor="U1", kind="web.link_issued", at=T0, summary="first")
        s.flush()  # the first event is written (not yet committed) when the second transaction starts
        first_appended.set()
        thread.join(1.0)  # the second must be waiting for this transaction, not done or failed
        assert thread.is_alive(), outcome
    thread.join(10)
    # before the lock, both read head 0 and the second failed on the unique (chain, seq) at commit
    assert outcome == {"second": "committed"}
    with store.session() as s:
        result = verify_chain(s, None)
    assert result.ok and result.events == 2, result.problems
