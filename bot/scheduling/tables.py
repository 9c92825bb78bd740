"""The scheduler's own tables, declared so the schema (and its drift check) comes from the migrations.

``apscheduler_jobs`` is identical to the table APScheduler's ``SQLAlchemyJobStore``
creates.  ``sweep_watermark`` holds, per sweep of the active scheduler, the instant
its last sweep reached (:mod:`bot.scheduling.shift_reminder_sweep`), shared by every
scheduler process so a new leader continues where the last one stopped.  The outbox
rows themselves (:class:`~bot.outbox.tables.Reminder`) are data below the domain and
live in :mod:`bot.outbox.tables`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, LargeBinary, Table, Unicode
from sqlmodel import Field, SQLModel

from bot.store.types import UtcDateTime

JOBS_TABLE = "apscheduler_jobs"

# Identical to APScheduler 3's SQLAlchemyJobStore table (it creates it only if missing).
apscheduler_jobs = Table(
    JOBS_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SweepWatermark(SQLModel, table=True):
    """How far a sweep of the active scheduler got: written in the same unit of work as that sweep's rows, so
    the next sweep (of this process or of the next leader, after a restart, a crash or a hand-over) starts
    there instead of at its own start."""

    __tablename__ = "sweep_watermark"

    sweep: str = Field(primary_key=True, max_length=64, description='which sweep, e.g. "shift_reminder"')
    swept_until: datetime = Field(sa_type=UtcDateTime, description="the instant (the clock's now) of its last sweep")
