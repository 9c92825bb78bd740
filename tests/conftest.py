"""Shared fixtures: a migrated store (SQLite by default, PostgreSQL via TEST_DATABASE_URL) and clocks.

``TEST_DATABASE_URL`` runs every store test against that database instead of
SQLite; CI runs the suite once each way.  The schema always comes from the
Alembic migrations, never from ``create_all``.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.clock import ManualClock
from bot.store import migrate
from bot.store.database import Store, make_engine, normalise_url

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_real_slack_env(monkeypatch):
    """bolt reads SLACK_* from the environment by itself; tests must never pick up real ones."""
    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name, raising=False)


def test_database_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_url(url) if url else None


@pytest.fixture(scope="session")
def _schema_template(tmp_path_factory):
    url = test_database_url()
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        yield ("postgresql", engine)
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("schema") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()  # closing the last connection checkpoints the WAL into the file
        yield ("sqlite", path)


def _truncate_all(engine) -> None:
    names = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if names:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def store(_schema_template, tmp_path) -> Store:
    """A fresh, fully migrated database for one test."""
    kind, template = _schema_template
    if kind == "postgresql":
        _truncate_all(template)
        s = Store(template)
        yield s
        return
    path = tmp_path / "bot.db"
    shutil.copyfile(template, path)
    s = Store(make_engine(f"sqlite:///{path}"))
    yield s
    s.dispose()


@pytest.fixture
def database_url(store) -> str:
    """URL of the test database, for tests that start the bot as a separate process."""
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
