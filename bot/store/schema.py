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
