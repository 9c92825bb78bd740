"""The outbox's data side: the rows, writing them, and the port that re-derives them.

Everything the bot does in Slack (or pages by SMS, call and email through its
rows) is one row of the outbox (:mod:`bot.outbox.tables`), written in the same
transaction as the change that causes it (:mod:`bot.outbox.effects`).  This
package sits below the domain (incidents, alerts, notify, learning), which
writes the rows; what does them (the worker, the kinds that prepare each row
and derive reminders from state, APScheduler) is ``bot.scheduling``, above
the domain.  The domain asks for its reminder rows to be re-derived through
:mod:`bot.outbox.resync`, which ``bot.scheduling`` provides.  See
``docs/scheduling.md``.
"""
