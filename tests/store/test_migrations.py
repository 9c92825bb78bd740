"""The schema comes from Alembic migrations, on SQLite and on PostgreSQL (CI runs both)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.incidents.tables import Incident
from bot.store import migrate
from bot.store.database import make_engine
from bot.store.schema import metadata


def test_migrations_reach_head_and_create_every_table(store):
    assert migrate.current_revision(store.engine) == migrate.head_revision(store.engine)
    tables = set(inspect(store.engine).get_table_names())
    expected = {t.name for t in metadata().sorted_tables}
    assert expected <= tables, f"missing tables: {expected - tables}"


def test_models_and_migrations_do_not_drift(store):
    """A table module changed without regenerating the migration (`make migration`) fails here."""
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, metadata())
    assert diff == [], f"schema differs from the migrations: {diff}"


def test_instants_round_trip_as_aware_utc(store):
    berlin_evening = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    with store.session() as s:
        s.add(Incident(number=1, title="t", severity="sev1", playbook="sev1", reporter="U1", declared_at=berlin_evening))
    with store.session() as s:
        row = s.get(Incident, 1)
        assert row.declared_at.tzinfo is not None
        assert row.declared_at == datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)


def test_naive_datetimes_are_refused(store):
    with pytest.raises(Exception, match="naive"):
        with store.session() as s:
            s.add(Incident(number=2, title="t", severity="sev1", playbook="sev1", reporter="U1",
                           declared_at=datetime(2026, 1, 1, 12, 0)))


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    # Always checked on an embedded database, whatever TEST_DATABASE_URL says.
    engine = make_engine(f"sqlite:///{tmp_path / 'embedded.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_a_failed_unit_of_work_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.session() as s:
            s.add(Incident(number=3, title="t", severity="sev1", playbook="sev1", reporter="U1",
                           declared_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
            s.flush()
            raise RuntimeError("crash in the middle")
    with store.session() as s:
        assert s.get(Incident, 1) is None


def test_there_is_one_head(store):
    """Two branches that each added a revision on the same parent leave two heads: rebase one onto the other."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config(store.engine)).get_heads()
    assert len(heads) == 1, f"migration heads {heads}: point one revision's down_revision at the other"
