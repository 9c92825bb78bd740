"""Durable reminders, pages, escalations and nudges (see ``docs/scheduling.md``).

Public API:

* :func:`bot.scheduling.sync.sync_incident` - make an incident's reminder rows match its state;
  the lifecycle calls it at the end of every operation, in its unit of work, through the port
  :mod:`bot.outbox.resync`, which importing this package provides (with
  :func:`bot.scheduling.kinds.alert_pages.sync_group` for the pages of an alert group);
* :class:`bot.scheduling.scheduler.ReminderScheduler` - ``start()``/``stop()`` in a bot process,
  ``run_pending()`` with a controllable clock;
* :mod:`bot.scheduling.jobs` - the job functions stored in the database (stable names);
* :class:`bot.outbox.tables.Reminder` - the rows (the outbox's data side, below the domain).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.outbox import resync


class KindsResync:
    """:class:`bot.outbox.resync.Resync` by the reminder kinds (imported when first used: they import the domain,
    which may be importing this package right now)."""

    def sync_incident(self, session: Session, config: Any, incident_id: int | None, at: datetime) -> Any:
        from bot.scheduling.sync import sync_incident

        return sync_incident(session, config, incident_id, at)

    def sync_group(self, session: Session, config: Any, group_id: int, at: datetime) -> Any:
        from bot.scheduling.kinds.alert_pages import sync_group

        return sync_group(session, config, group_id, at)


resync.provide(KindsResync())
