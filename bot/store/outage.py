"""Telling a failure of the database as a whole from a failure of the work being done.

A worker that goes through items one by one (alert receipts, page steps) must not blame an item for the
database being away: :func:`about_the_database` is true for SQLAlchemy's ``OperationalError`` (PostgreSQL's
lock and statement timeouts, deadlocks and serialization failures, SQLite's "database is locked", a server gone
away), a lost or unusable connection and the pool's timeout.  Such a failure ends the pass, to be retried as a
whole; nothing is counted against an item for it.
"""

from __future__ import annotations


def about_the_database(exc: BaseException) -> bool:
    """Whether ``exc`` is about the database as a whole, not about the item being handled."""
    from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
