"""The incident whose legal clocks run here: the row whose facts, derived facts and triggers they read.

The incidents build on the deadlines (their service calls :mod:`bot.deadlines.tracker`), so this package does
not import :mod:`bot.incidents.tables`; it finds the mapped class by its table name in the ORM registry
(:func:`bot.audit.evidence.table_class`) and reads the row as the unit of work holds it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.audit.evidence import table_class


def incident_row(session: Session, incident_id: int) -> Any:
    """The incident row (the unit of work's own object when it holds one), or None."""
    return session.get(table_class("incident"), incident_id)
