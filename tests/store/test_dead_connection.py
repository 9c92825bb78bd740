"""A pooled connection the server killed does not fail the next unit of work (PostgreSQL): a connection idle for
``IDLE_PING_SECONDS`` is pinged when it is checked out and replaced if dead; one used moments ago is not pinged."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, text

from bot.store import database
from bot.store.database import Store, make_engine
from tests.conftest import test_database_url as _url

pytestmark = pytest.mark.skipif(_url() is None, reason="PostgreSQL only (TEST_DATABASE_URL)")


@pytest.fixture
def own_store(store):  # noqa: ARG001 (the store fixture prepares the database)
    s = Store(make_engine(_url()))
    yield s
    s.dispose()


def _backend(store: Store) -> int:
    with store.session() as s:
        return s.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _kill(store: Store, pid: int) -> None:
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as killer:
        assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        for _ in range(100):  # the backend is gone once it no longer shows in pg_stat_activity
            if not killer.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                return
            time.sleep(0.02)


def test_a_killed_idle_connection_does_not_fail_the_next_unit_of_work(own_store, monkeypatch):
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.2)
    killed = _backend(own_store)
    killer = Store(make_engine(_url()))
    _kill(killer, killed)
    killer.dispose()
    time.sleep(0.3)
    with own_store.session() as s:  # the pool's only connection is dead: pinged, replaced
        assert s.execute(text("SELECT pg_backend_pid()")).scalar_one() != killed
    assert _backend(own_store) != killed


def test_a_connection_used_moments_ago_is_not_pinged(own_store):
    _backend(own_store)  # the connection exists and was returned just now
    statements: list[str] = []
    event.listen(own_store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    pinged: list[bool] = []
    real = own_store.engine.dialect.do_ping
    own_store.engine.dialect.do_ping = lambda conn: pinged.append(True) or real(conn)  # type: ignore[method-assign]
    try:
        _backend(own_store)
        assert not pinged
        own_store.engine.pool._pool.queue[0].info[database._IDLE_SINCE] -= database.IDLE_PING_SECONDS  # type: ignore[attr-defined]
        _backend(own_store)
        assert pinged == [True]
    finally:
        del own_store.engine.dialect.do_ping
