"""The complete table metadata: every ``tables`` module of the bot, imported once.

Tables live beside the concept they store (``bot/incidents/tables.py``,
``bot/scheduling/tables.py`` …).  Alembic and the tests get the full schema
from :func:`metadata` here.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import bot


def import_all_tables() -> None:
    for module in pkgutil.walk_packages(bot.__path__, prefix="bot."):
        if module.name.endswith(".tables"):
            importlib.import_module(module.name)


def metadata() -> MetaData:
    import_all_tables()
    return SQLModel.metadata


def map_everything() -> None:
    """Import every table module and configure the ORM mappers now, before a long-running process starts its
    threads. SQLAlchemy configures mappers on first use; if one thread's import defines a table class while
    another thread's first query configures the mappers, that query fails ("dictionary changed size during
    iteration") and a delivery's bookkeeping with it. Importing the table modules imports their packages, and
    with them what ``bot.scheduling`` and ``bot.learning`` provide (the ports of ``bot/cli/ports.py``), so no
    thread imports those mid-way either."""
    from sqlalchemy.orm import configure_mappers

    import_all_tables()
    configure_mappers()
