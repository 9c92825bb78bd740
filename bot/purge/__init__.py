"""Data minimisation after the retention period: an operation over every domain's records and the audit chain.

It sits above the domains it redacts (incidents, on-call, deadlines, learning, the outbox), which is why it is
not part of :mod:`bot.audit`: :mod:`bot.purge.retention` (incidents, exercises, requests),
:mod:`bot.purge.global_chain` (events outside incidents), :mod:`bot.purge.redaction` (the rules both follow).
"""
