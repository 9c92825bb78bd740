"""The reminder kinds, one module each.

Every module has ``name`` (and ``names`` if it serves several row kinds),
``wanted``, ``prepare`` and ``after_sent`` (see :mod:`bot.scheduling.wanted`).
Optional flags: ``RESYNC_AFTER_CLAIM`` (its ``prepare`` changes what other
kinds want, e.g. escalation creates pages) and ``RESYNC_AFTER_SENT`` (its
delivery does, e.g. a sent page wants an escalation; a sent nudge wants the
next one).
"""

from __future__ import annotations

from bot.scheduling.kinds import cadence, checklist, deadlines, escalation, pages

ALL_KINDS = (pages, escalation, deadlines, cadence, checklist)
