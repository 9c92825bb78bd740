"""Email subscriptions to the public status page: who asked to be told, double opt-in, and the mails owed.

Below the incident domain (a published statement writes its mails here, :mod:`bot.subscriptions.fan_out`, in
the statement's own unit of work) and above the store.  The addresses are personal data: they are never on the
audit chain nor in a log, an unsubscribe clears the address at once and the retention purge deletes what is
left (``bot/purge/status_subscribers.py``).  The mails are sent by ``bot/notify/status_mail.py``.
"""
