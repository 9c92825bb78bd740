"""``column IN (:values)`` for a list bound when the statement runs, in the form each database runs best.

SQLAlchemy's expanding parameter renders one placeholder per value every time
the statement runs (its compiled form is cached, its SQL is not), and on
PostgreSQL each length of list is another statement for the server to parse
and plan.  There the list is bound as one array instead, ``column = ANY(:values)``:
one SQL text whatever the length, which the driver prepares once.  SQLite has
no arrays and keeps the expanding ``IN``.  Both select the same rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def one_of(column: Any, name: str, *, postgresql: bool) -> Any:
    """SQL condition: ``column`` is one of the values bound as ``name`` (a list)."""
    if postgresql:
        return column == bindparam(name, type_=ARRAY(column.type)).any_()
    return column.in_(bindparam(name, expanding=True))
