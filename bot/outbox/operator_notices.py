"""Telling the people who run the bot what went wrong outside any incident: a post in the operations channel.

A failure inside an incident is told to its commander in Slack.  Some belong to
no incident: a configuration edit the running bot rejected, an outbox row of no
incident that failed for good (an alert group's page), an alert that could
page nobody, an alert receipt set aside (:mod:`bot.alerts.set_aside`).  Nobody reads the log during an incident, so each is told here, to
``operations_channel`` in ``config/settings.yaml`` (default: the
``incidents_channel``).

:func:`tell_operators` writes the notice as an outbox ``post`` row without an
incident, in the caller's unit of work: it is delivered (and retried through a
Slack outage) like every other row, exactly once as seen in Slack.  Its key is
its cause (``operators:<cause>``), so the same cause told again, by this
process or another one, adds nothing: one notice per rejected edit, per
failed row, per unrouted alert group.  The failure of such a notice is recorded
on the global chain like any row's, and never told again (no notice about a
failed notice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.outbox import effects
from bot.outbox.notice_codec import notice_to_json
from bot.ports import Notice

KEY_PREFIX = "operators:"
PAYLOAD_FLAG = "operator_notice"  # in the row's payload: a failure of this row is not told again


def channel(config: Any) -> str:
    """The recipient of operator notices: ``#<operations_channel>`` (default: the incidents channel)."""
    return "#" + config.settings.operators_channel


def key_of(cause: str) -> str:
    return (KEY_PREFIX + cause)[:200]


def is_operator_notice(row: Any) -> bool:
    return bool((row.payload or {}).get(PAYLOAD_FLAG))


def tell_operators(session: Session, config: Any, *, cause: str, notice: Notice, at: datetime) -> bool:
    """Write ``notice`` for the operators, once per ``cause`` (e.g. ``"unrouted:12"``), in the caller's unit of
    work.  False when this cause was told already (nothing is written).  ``config``: the configuration in force,
    which names the channel.  Two processes telling one cause at the same moment: the second one's insert
    fails on the unique key and its unit of work rolls back (see :mod:`bot.audit.config_rejections`)."""
    return effects.add(session, key=key_of(cause), kind="post", incident_id=None, at=at, recipient=channel(config),
                       payload={"notice": notice_to_json(notice), PAYLOAD_FLAG: True, "failure_notice": True})
