"""The incident channel: create it, invite people, set the topic, pin the first message, add bookmarks.

These rows share the incident's lane with its posts, so Slack sees them in
the order they were written: the channel first, then the people, the topic,
the welcome messages, the pin and the bookmarks.  Everything but the creation
waits for a channel: when creation fails for good the commander is told and
``/incident INC-n channel #name`` attaches one made by hand, which wakes them.

Creating the channel records it on the incident (and on the timeline) in the
same unit of work as the row becoming ``sent``.  An invite records who was
added; whoever could not be (not in the workspace, a guest account …) is
named to the commander in the channel, with the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.audit.wanted_effects import DROPPED
from bot.outbox import effects
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import Reminder
from bot.scheduling import notices
from bot.scheduling.recipients import INCIDENT_CHANNEL, role_holder
from bot.scheduling.wanted import Act, Drop, Hold, Outcome, Wanted

name = "create_channel"
names = ("create_channel", "invite", "topic", "pin", "bookmark")
PLANNED = False
WAIT_FOR_CHANNEL = timedelta(hours=1)  # a re-check; recording the channel wakes these rows at once


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident

    incident = session.get(Incident, reminder.incident_id)
    if incident is None:
        return Drop("the incident no longer exists")
    p = reminder.payload or {}
    if reminder.kind == "create_channel":
        if incident.channel_id:
            return _dropped(session, reminder, now, "the incident already has a channel (attached by hand)")
        return Act("create_channel", "", {"name": p["name"], "private": bool(p.get("private"))})
    if not incident.channel_id:
        return Hold(now + WAIT_FOR_CHANNEL, "the incident channel does not exist yet")
    channel = incident.channel_id
    if reminder.kind == "invite":
        return Act("invite", channel, {"users": list(dict.fromkeys(p.get("users") or []))})
    if reminder.kind == "topic":
        return Act("topic", channel, {"topic": p["topic"]})
    if reminder.kind == "pin":
        message = effects.states(session, [p["message_key"]]).get(p["message_key"])
        if message is None or message.state != "sent" or not message.message_ts or not message.delivered_to:
            return _dropped(session, reminder, now, "the message to pin was not posted")
        return Act("pin", message.delivered_to, {"ts": message.message_ts})
    return Act("bookmark", channel, {"title": p["title"], "url": p["url"]})


def _dropped(session: Session, reminder: Reminder, now: datetime, reason: str) -> Drop:
    """Not done because it is not needed any more, on the chain: ``audit verify`` tells a row cancelled here from
    one cancelled by hand (:mod:`bot.audit.wanted_effects`)."""
    append_event(session, incident_id=reminder.incident_id, actor="system", kind=DROPPED, at=now,
                 summary=f"Did not {describe(reminder)}: {reason}",
                 data={"key": reminder.key, "kind": reminder.kind, "reason": reason})
    return Drop(reason)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    result = (reminder.message or {}).get("result") or {}
    if reminder.kind == "create_channel":
        from bot.incidents.declare import channel_recorded

        channel_recorded(session, config, reminder.incident_id, result["id"], result["name"], actor="system", at=now)
    elif reminder.kind == "invite":
        _invited(session, config, reminder, result.get("failed") or {}, now)


def _invited(session: Session, config: Any, reminder: Reminder, failed: dict[str, str], now: datetime) -> None:
    from bot.audit.trail import append_event
    from bot.incidents.collaborators import namer
    from bot.incidents.tables import Incident

    users = list((reminder.payload or {}).get("users") or [])
    missing = {**{u: "no_slack_account" for u in (reminder.payload or {}).get("unknown") or []}, **failed}
    added = [u for u in users if u not in failed]
    append_event(session, incident_id=reminder.incident_id, actor="system", kind="channel.invited", at=now,
                 summary=f"invited {', '.join(added) or 'nobody'}"
                         + (f"; could not invite {', '.join(sorted(missing))}" if missing else ""),
                 data={"why": (reminder.payload or {}).get("why", ""), "invited": added, "not_invited": missing})
    if not missing:
        return
    incident = session.get(Incident, reminder.incident_id)
    commander = role_holder(session, reminder.incident_id, "commander") or (incident.reporter if incident else None)
    notice = notices.not_invited_notice(incident, missing, commander=commander,
                                        why=(reminder.payload or {}).get("why", ""), name=namer(config))
    effects.add(session, key=f"{reminder.key}:not_invited", kind="post", incident_id=reminder.incident_id, at=now,
                recipient=INCIDENT_CHANNEL, payload={"notice": notice_to_json(notice)},
                lane=effects.incident_lane(reminder.incident_id))


def describe(reminder: Reminder) -> str:
    p = reminder.payload or {}
    if reminder.kind == "create_channel":
        return f"create the incident channel #{p.get('name', '')}"
    if reminder.kind == "invite":
        return f"invite {', '.join(p.get('users') or []) or 'nobody'} to the incident channel"
    if reminder.kind == "topic":
        return "set the topic"
    if reminder.kind == "pin":
        return "pin the welcome message"
    return f"bookmark {p.get('title', '')}"
