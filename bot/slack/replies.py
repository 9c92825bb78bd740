"""Text of the replies to commands (ephemeral mrkdwn), with times in the reader's zone and in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable
from zoneinfo import ZoneInfo

from bot.clock import UTC
from bot.deadlines.reminders import span
from bot.incidents.people_timeline import for_people
from bot.incidents.views import EventView, IncidentView, ObligationView
from bot.slack import readable
from bot.slack.blocks import SECTION_LIMIT
from bot.slack.mrkdwn import escape, escaped_within, truncate
from bot.slack.readable import local

TIMELINE_LINES = 40
STATUS_WORDS = {"open": "open", "qualitative": "open", "notified": "notified", "not_required": "not required",
                "not_applicable": "does not apply", "informational": "for information only"}


def both(at: datetime, zone: str) -> str:
    """Reader's zone and UTC: ``Tue 03 Mar 09:00 CET (08:00 UTC)``."""
    utc = at.astimezone(UTC)
    day = "" if utc.date() == at.astimezone(ZoneInfo(zone)).date() else utc.strftime("%a %d %b ")
    return f"{local(at, zone)} ({day}{utc.strftime('%H:%M')} UTC)"


def incident_link(incident: IncidentView) -> str:
    label = escape(f"{incident.label} {incident.title}")
    return f"<#{incident.channel_id}> ({label})" if incident.channel_id else label


def timeline(incident: IncidentView, events: list[EventView], zone: str, *, everything: bool = False) -> str:
    """The newest events, without the bot's record keeping (:mod:`bot.incidents.people_timeline`) unless
    ``everything``."""
    left_out = 0
    if not everything:
        events, left_out = for_people(events)
    shown = events[-TIMELINE_LINES:]
    lines = [f"*Timeline of {escape(incident.label)}* (times in {escape(zone)})"]
    if len(events) > len(shown):
        lines.append(f"_… {len(events) - len(shown)} earlier events; export the incident for the full record_")
    for ev in shown:
        who = readable.reply(ev.actor, zone)  # a user id becomes a mention, "system" stays a word
        text = "[redacted]" if ev.redacted else readable.reply(ev.summary or ev.kind, zone, limit=300)
        lines.append(f"`{local(ev.at, zone)}` {who}: {text}")
    if left_out:
        lines.append(f"_{left_out} record-keeping entries (deliveries to Slack, message updates, evidence records) "
                     "not shown: `/incident timeline all` lists them too_")
    return truncate("\n".join(lines), SECTION_LIMIT)


def deadlines(incident: IncidentView, obligations: Iterable[ObligationView], zone: str, now: datetime) -> str:
    items = list(obligations)
    if not items:
        return f"*{escape(incident.label)}* has no legal notification obligations under consideration."
    lines = [f"*Notification deadlines for {escape(incident.label)}* (not legal advice; the catalog is reviewable data)"]
    for ob in sorted(items, key=lambda o: (o.due_at is None, o.due_at or now)):
        head = f"`#{ob.id}` *{escape(ob.obligation)}* → {escape(ob.recipient)}"
        if ob.status == "notified":
            state = f"notified {both(ob.notified_at, zone) if ob.notified_at else ''} ref {escape(ob.reference or '-')}"
        elif ob.status == "not_required":
            state = f"not required: {escaped_within(ob.not_required_reason or '', 200)}"
        elif ob.due_at is None:
            state = f"{STATUS_WORDS.get(ob.status, ob.status.replace('_', ' '))}, no fixed deadline (without undue delay)"
        else:
            left = ob.due_at - now
            when = "left" if left.total_seconds() >= 0 else "OVERDUE by"
            est = " _(estimated)_" if ob.estimated else ""
            state = f"due {both(ob.due_at, zone)}{est}, {span(left)} {when}" if when == "left" else \
                f"due {both(ob.due_at, zone)}{est}, *{when} {span(left)}*"
        lines.append(f"• {head}: {state}")
    lines.append(escape("Record a submission: `/incident notified <obligation or #number> <reference>`"))
    return truncate("\n".join(lines), SECTION_LIMIT)


def declared(incident: IncidentView) -> str:
    where = f"<#{incident.channel_id}>" if incident.channel_id else "its channel (being created)"
    return f"Declared *{escape(incident.label)}* ({escape(incident.severity_name)}): {escape(incident.title)}. Join {where}."
