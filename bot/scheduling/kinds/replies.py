"""The answer to the person who gave a command, written with the command's change, sent once.

It waits (at most :data:`REPLY_WAIT`) for the effects the command caused, then
says what is true at that moment: done ("Join #inc-4-db-down", "status update
recorded. Posted."), still queued ("will be posted when Slack answers"), or
failed (with the reason, recorded on the timeline).  Nothing is reported done
before the worker recorded it done.

Its key is the command's (``<request key>:reply``), so a retried or replayed
command finds the same row: one reply per command however often Slack sends
it.  A ``response_url`` lives 30 minutes; after that the answer goes as a
direct message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.outbox import effects
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import OPEN_STATES, Reminder
from bot.ports import Notice
from bot.scheduling.wanted import Act, Drop, Hold, Outcome, Wanted

name = "reply"
PLANNED = False
REPLY_WAIT = timedelta(seconds=2)  # how long the answer waits for Slack to take the command's effects
RECHECK = timedelta(milliseconds=200)
RESPONSE_URL_LIFETIME = timedelta(minutes=25)  # Slack's is 30 minutes; keep a margin


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import Incident

    p = reminder.payload or {}
    incident = session.get(Incident, reminder.incident_id)
    if incident is None:
        return Drop("the incident no longer exists")
    waits = [str(k) for k in p.get("waits_for") or []]
    rows = effects.states(session, waits)
    queued = [rows[k] for k in waits if k in rows and rows[k].state in OPEN_STATES]
    if queued and now - reminder.created_at < REPLY_WAIT:
        return Hold(now + RECHECK, "waiting for Slack to take the command's effects")
    failed = [rows[k] for k in waits if k in rows and rows[k].state == "failed"]
    notice = answer(incident, p, queued=len(queued), failed=[r.last_error or "refused" for r in failed])
    to = dict(p.get("to") or {})
    if now - reminder.created_at > RESPONSE_URL_LIFETIME:
        to.pop("response_url", None)
    return Act("reply", "", {"to": to, "notice": notice_to_json(notice)})


def answer(incident: Any, p: dict[str, Any], *, queued: int, failed: list[str]) -> Notice:
    label = f"INC-{incident.number}"
    meta = {"incident": str(incident.number)}
    if p.get("operation") == "declare":
        head = f"Declared {label} ({incident.severity.upper()}): {incident.title}"
        if incident.channel_id:
            meta.update(channel_id=incident.channel_id, channel_name=incident.channel_name or "")
            line = f"Join #{incident.channel_name}." if incident.channel_name else "Its channel is ready."
        elif failed:
            line = (f"Its channel could not be created ({failed[0][:200]}). Create one by hand, then run "
                    f"/incident {label} channel #<its name>: everything waiting for it is posted there.")
        else:
            line = "Its channel is queued: it will be created when Slack answers, and you will be invited."
        return Notice(kind="reply", title=head, lines=(line,), metadata=meta)
    message = str(p.get("message") or f"Done: {label}.")
    lines: list[str] = []
    if failed:
        lines.append(f"{len(failed)} message(s) could not be delivered ({failed[0][:200]}); this is recorded on "
                     "the timeline and the commander is told.")
    if queued:
        lines.append(f"Queued: {queued} message(s) will be posted when Slack answers.")
    elif not failed and p.get("waits_for"):
        lines.append("Posted.")
    return Notice(kind="reply", title=message, lines=tuple(lines), metadata=meta)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    return "answer the person who asked"
