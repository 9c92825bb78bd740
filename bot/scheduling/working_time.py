"""Holding person-directed nudges outside working hours (the on-call package's labor rules).

Deadline nudges never come here: they are legal necessities and go out when due.
Status-cadence and checklist nudges to a person outside their working time are
held and re-checked every :data:`RECHECK` until that person is working.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

RECHECK = timedelta(minutes=15)


def _working_now(config: Any, slack_user: str, at: datetime) -> bool | None:
    try:
        from bot.oncall import directory
    except ImportError:
        return None
    check = getattr(directory, "person_working_now", None)
    if check is None:
        return None
    return bool(check(config, slack_user, at))


def hold_until(config: Any, slack_user: str | None, at: datetime) -> datetime | None:
    """None if a nudge may go to ``slack_user`` now, else when to check again."""
    if not slack_user:
        return None
    working = _working_now(config, slack_user, at)
    if working is None or working:
        return None
    return at + RECHECK
