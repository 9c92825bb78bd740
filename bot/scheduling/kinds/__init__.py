"""The reminder kinds, one module each; every module has ``name``, ``wanted``, ``prepare``, ``after_sent``.

See :mod:`bot.scheduling.wanted` for what each function answers.
"""

from __future__ import annotations

from bot.scheduling.kinds import cadence, checklist

ALL_KINDS = (cadence, checklist)
