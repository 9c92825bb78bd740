"""The HTTP adapter of alert intake: a WSGI application in front of :class:`bot.alerts.inbox.Inbox`."""
