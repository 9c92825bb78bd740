"""Durable reminders, pages, escalations and nudges (see ``docs/scheduling.md``).

Public API:

* :func:`bot.scheduling.sync.sync_incident` - make an incident's reminder rows match its state
  (the lifecycle calls it at the end of every operation, in its unit of work);
* :class:`bot.scheduling.scheduler.ReminderScheduler` - ``start()``/``stop()`` in a bot process,
  ``run_pending()`` with a controllable clock;
* :mod:`bot.scheduling.jobs` - the job functions stored in the database (stable names);
* :class:`bot.scheduling.tables.Reminder` - the rows.
"""
