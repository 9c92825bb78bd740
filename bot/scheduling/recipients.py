"""Whom a reminder goes to, resolved when it is sent (roles change hands during an incident).

A reminder's ``recipient`` is one of:

* a Slack user id (``U…``/``W…``): a direct message;
* a Slack channel id (``C…``/``G…``): a post there;
* ``#incident``: the incident's own channel;
* a role id (``commander``, ``comms_lead`` …): a post in the incident channel
  that @-mentions the role's current holder (or says the role is unfilled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from bot.outbox.effects import INCIDENT_CHANNEL

_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")


@dataclass(frozen=True)
class Resolved:
    address: str | None  # None: nowhere to send yet (e.g. the channel is not created)
    direct: bool
    person: str | None  # the Slack user the message is for, if one person
    role: str | None = None


def role_holder(session: Session, incident_id: int, role: str) -> str | None:
    from bot.incidents.tables import RoleAssignment

    row = session.exec(select(RoleAssignment).where(
        RoleAssignment.incident_id == incident_id, RoleAssignment.role == role,
        RoleAssignment.ended_at == None,  # noqa: E711 - SQL IS NULL
    ).order_by(RoleAssignment.assigned_at.desc())).first()  # type: ignore[union-attr]
    return row.user if row else None


def resolve(session: Session, incident: Any, recipient: str) -> Resolved:
    if _USER.fullmatch(recipient):
        return Resolved(recipient, True, recipient)
    if _CHANNEL.fullmatch(recipient):
        return Resolved(recipient, False, None)
    channel = incident.channel_id
    if recipient == INCIDENT_CHANNEL:
        return Resolved(channel, False, None)
    return Resolved(channel, False, role_holder(session, incident.id, recipient), role=recipient)
