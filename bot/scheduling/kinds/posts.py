"""Posts the lifecycle wrote: into the incident channel, a channel by name (the feed), or a person's DMs.

The notice is fixed when the post is written (``payload["notice"]``).  The
recipient says where: ``#incident`` (the incident channel: held until it
exists, woken the moment it is recorded), ``#name`` (a channel by name), or a
Slack user id (a direct message).  The incident channel named in the text
(:data:`bot.ports.INCIDENT_CHANNEL`, written before the channel existed) becomes
the channel the incident really got, shown as a link; a "Channel: #…" line
names the actual channel (a name may have needed a suffix), or goes when there
is none.

A post without an incident is a notice to the people who run the bot (:mod:`bot.outbox.operator_notices`):
it goes to its recipient (the operations channel by name) as written.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.outbox.notice_codec import notice_from_json
from bot.outbox.tables import Reminder
from bot.ports import INCIDENT_CHANNEL as CHANNEL_PLACEHOLDER, Notice, with_channel
from bot.scheduling.recipients import INCIDENT_CHANNEL
from bot.scheduling.wanted import Drop, Hold, Outcome, Send, Wanted

name = "post"
PLANNED = False  # written by the lifecycle, not derived from the incident's state
WAIT_FOR_CHANNEL = timedelta(hours=1)  # a re-check; recording the channel wakes held posts at once
CHANNEL_LINE = "Channel: #"
_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []


def naming_the_channel(notice: Notice, incident: Any) -> Notice:
    """The notice naming the incident's actual channel: the placeholder as its id (a link), a "Channel: #…"
    line as its name; a line about a channel the incident does not have goes."""
    channel_id = getattr(incident, "channel_id", None)
    if not channel_id:
        notice = replace(notice, lines=tuple(line for line in notice.lines if CHANNEL_PLACEHOLDER not in line))
    notice = with_channel(notice, channel_id)
    if not any(line.startswith(CHANNEL_LINE) for line in notice.lines):
        return notice
    actual = getattr(incident, "channel_name", None)
    lines = tuple((f"{CHANNEL_LINE}{actual}" if actual else None) if line.startswith(CHANNEL_LINE) else line
                  for line in notice.lines)
    return replace(notice, lines=tuple(line for line in lines if line is not None))


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident

    if reminder.incident_id is None:  # a notice to the operators (bot.outbox.operator_notices): as written
        to = reminder.recipient
        return Send(to, notice_from_json(reminder.payload["notice"]), bool(_USER.fullmatch(to)))
    incident = session.get(Incident, reminder.incident_id)
    if incident is None:
        return Drop("the incident no longer exists")
    notice = naming_the_channel(notice_from_json(reminder.payload["notice"]), incident)
    to = reminder.recipient
    if to == INCIDENT_CHANNEL:
        if not incident.channel_id:
            return Hold(now + WAIT_FOR_CHANNEL, "the incident channel does not exist yet")
        return Send(incident.channel_id, notice, False)
    if _USER.fullmatch(to):
        return Send(to, notice, True)
    return Send(to, notice, False)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    kind = ((reminder.payload or {}).get("notice") or {}).get("kind", "message")
    to = reminder.recipient
    where = ("the incident channel" if to == INCIDENT_CHANNEL else f"user {to}" if _USER.fullmatch(to) else to)
    return f"post {kind} to {where}"
