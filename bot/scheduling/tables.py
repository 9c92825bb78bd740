"""APScheduler's job table, declared so the schema (and its drift check) comes from the migrations.

``apscheduler_jobs`` is identical to the table APScheduler's ``SQLAlchemyJobStore``
creates.  The outbox rows themselves (:class:`~bot.outbox.tables.Reminder`) are
data below the domain and live in :mod:`bot.outbox.tables`.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, LargeBinary, Table, Unicode
from sqlmodel import SQLModel

JOBS_TABLE = "apscheduler_jobs"

# Identical to APScheduler 3's SQLAlchemyJobStore table (it creates it only if missing).
apscheduler_jobs = Table(
    JOBS_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
