"""The kinds of outbox row, one module each.

Every module has ``name`` (and ``names`` if it serves several row kinds),
``wanted``, ``prepare`` and ``after_sent`` (see :mod:`bot.scheduling.wanted`),
optionally ``describe(row)`` (what it does, for the timeline and the commander)
and ``on_failed``.  Flags: ``PLANNED = False`` for rows the lifecycle writes
(effects of a command) rather than derives from the incident's state (the
reminders); ``RESYNC_AFTER_CLAIM`` (its ``prepare`` changes what other kinds
want, e.g. escalation creates pages) and ``RESYNC_AFTER_SENT`` (its delivery
does, e.g. a sent page wants an escalation; a sent nudge wants the next one);
``RESEND_AS_CLAIMED`` (a retry after a failed attempt repeats what the first
claim prepared instead of preparing again: its ``prepare`` has side effects).
"""

from __future__ import annotations

from bot.scheduling.kinds import (alert_pages, audit_checkpoints, button_updates, cadence, channel, checklist,
                                  deadlines, escalation, followup, page_methods, page_updates, pages, posts, replies,
                                  rest_nudges, review, shift_reminders)

# derived from state by sync_incident
PLANNED_KINDS = (pages, escalation, deadlines, cadence, checklist, page_updates, button_updates, rest_nudges,
                 page_methods, review, followup)
WRITTEN_KINDS = (channel, posts, replies)  # written by the lifecycle (bot.outbox.effects)
GROUP_KINDS = (alert_pages,)  # the pages of an alert group without an incident (alert_pages.sync_group)
SWEPT_KINDS = (shift_reminders,)  # written by the leader's sweep (bot.scheduling.shift_reminder_sweep)
LEDGER_KINDS = (audit_checkpoints,)  # written with each signed checkpoint (bot.audit.published)
ALL_KINDS = PLANNED_KINDS + WRITTEN_KINDS + GROUP_KINDS + SWEPT_KINDS + LEDGER_KINDS
