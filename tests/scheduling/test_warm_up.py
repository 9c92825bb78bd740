"""The outbox worker builds its claim's statements when it starts, not at the first claim of a burst; and building
them claims, changes and locks nothing (SQLite, or TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT
from sqlmodel import select

from bot.clock import ManualClock
from bot.outbox.tables import Reminder
from bot.scheduling import queries
from bot.scheduling.delivery import Dispatcher
from bot.store.database import Store, make_engine
from tests.scheduling.fakes import FakeChat

NOW = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)


def _first_claim_query_was_cached(store: Store) -> bool:
    hits: list[object] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM reminder" in statement:  # not SQLite's write-turn statements
            hits.append(context.cache_hit)

    event.listen(store.engine, "after_cursor_execute", seen)
    try:
        with store.session() as s:
            s.execute(queries.due_rows(store.dialect == "postgresql"), {"now": NOW, "limit": 5}).all()
    finally:
        event.remove(store.engine, "after_cursor_execute", seen)
    assert len(hits) == 1, hits
    return hits[0] == CACHE_HIT


def _fresh_engine(database_url: str) -> Store:
    return Store(make_engine(database_url))  # its own statement cache, as a newly started worker has


def test_after_the_warm_up_the_first_claim_finds_its_statement_built(store, database_url):
    cold = _fresh_engine(database_url)
    warm = _fresh_engine(database_url)
    try:
        Dispatcher(warm, lambda: None, FakeChat(), ManualClock(NOW)).warm_up()
        assert not _first_claim_query_was_cached(cold)  # without it, the first claim builds the statement
        assert _first_claim_query_was_cached(warm)
    finally:
        cold.dispose()
        warm.dispose()


def test_the_warm_up_claims_nothing(store):
    with store.session() as s:
        s.add(Reminder(key="due:1", kind="post", recipient="#incidents", due_at=NOW - timedelta(minutes=1),
                       next_attempt_at=NOW - timedelta(minutes=1), created_at=NOW, updated_at=NOW))
    Dispatcher(store, lambda: None, FakeChat(), ManualClock(NOW)).warm_up()
    with store.session() as s:
        row = s.exec(select(Reminder).where(Reminder.key == "due:1")).one()
    assert (row.state, row.attempts, row.claimed_by) == ("pending", 0, None)
