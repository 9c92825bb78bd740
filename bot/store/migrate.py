"""Schema migrations with Alembic, run from code (``bot db upgrade``, ``serve``, ``drill``).

Revision ``0001`` is the released initial schema; every later schema change is
its own revision on top of the head (``python -m bot.store.autogenerate``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.clock import SystemClock, ensure_utc

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADED_AT = "upgraded_at"  # the hooks' ``attributes`` key: when the upgrade runs (see :func:`upgrade`)
_AFTER_UPGRADE: list[Callable[[Any, dict[str, Any]], None]] = []


def after_upgrade(hook: Callable[[Any, dict[str, Any]], None]) -> None:
    """Run ``hook(connection, attributes)`` at the end of every :func:`upgrade`, in its transaction, once the schema
    is at the revision asked for (once per hook, however often it is registered). ``attributes`` holds when the
    upgrade runs (:data:`UPGRADED_AT`) and what the revisions just run left there: a revision that needs work done with the bot's own code at the new schema (the
    audit layer's evidence baseline, :func:`bot.audit.evidence.write_baseline`) says so there, since migrations stay in
    the store layer."""
    if hook not in _AFTER_UPGRADE:
        _AFTER_UPGRADE.append(hook)


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, now: datetime | None = None) -> None:
    """Bring the schema to ``revision``. ``now``: when the upgrade runs, for what its hooks write (``attributes``
    key :data:`UPGRADED_AT`); by default the system clock's time: an upgrade reads and changes the real database
    at a real moment, when a process starts and before any service (and its clock) exists."""
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        cfg.attributes[UPGRADED_AT] = ensure_utc(now) if now is not None else SystemClock().now()
        command.upgrade(cfg, revision)
        for hook in list(_AFTER_UPGRADE):
            hook(connection, cfg.attributes)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return current_revision_of(connection)


def current_revision_of(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def pending(engine: Engine) -> bool:
    return current_revision(engine) != head_revision(engine)
