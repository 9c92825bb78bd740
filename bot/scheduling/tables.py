"""APScheduler's job table, declared so the schema (and its drift check) comes from the migrations.

``apscheduler_jobs`` is identical to the table APScheduler's ``SQLAlchemyJobStore``
creates.  The outbox rows themselves (:class:`~bot.outbox.tables.Reminder`) are
data below the domain and live in :mod:`bot.outbox.tables`; their names are
re-exported here only for the modules that still import them from here
(``bot.audit``, ``bot.scheduling.scheduler``, ``bot.drill.world``): import them
from ``bot.outbox.tables``.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, LargeBinary, Table, Unicode
from sqlmodel import SQLModel

from bot.outbox.tables import (  # noqa: F401  (re-exported, see above)
    EFFECT_KINDS, OPEN_STATES, REMINDER_KINDS, REMINDER_STATES, Reminder,
)

JOBS_TABLE = "apscheduler_jobs"

# Identical to APScheduler 3's SQLAlchemyJobStore table (it creates it only if missing).
apscheduler_jobs = Table(
    JOBS_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
