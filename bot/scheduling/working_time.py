"""Holding person-directed nudges outside working hours (the on-call package's labor rules).

Deadline nudges never come here: they are legal necessities and go out when due.
Status-cadence and checklist nudges to a person outside their working time are
held and re-checked every :data:`RECHECK` until that person is working.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.scheduling.recipients import Resolved
from bot.scheduling.wanted import Hold

RECHECK = timedelta(minutes=15)


def _working_now(config: Any, slack_user: str, at: datetime) -> bool | None:
    from bot.oncall.directory import person_working_now

    try:
        return bool(person_working_now(config, slack_user, at))
    except (KeyError, ValueError):
        return None  # not in the people file (e.g. a guest responder): no labor data, send


def hold_until(config: Any, slack_user: str | None, at: datetime) -> datetime | None:
    """None if a nudge may go to ``slack_user`` now, else when to check again."""
    if not slack_user:
        return None
    working = _working_now(config, slack_user, at)
    if working is None or working:
        return None
    return at + RECHECK


def hold_for(config: Any, to: Resolved, now: datetime) -> Hold | None:
    """Why a nudge resolved to ``to`` must wait (no incident channel yet, or its person is not working), or None."""
    if to.address is None:
        return Hold(now + RECHECK, "the incident channel does not exist yet")
    later = hold_until(config, to.person, now)
    return Hold(later, f"{to.person} is outside working hours") if later is not None else None
