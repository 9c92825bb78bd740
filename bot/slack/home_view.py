"""The App Home tab: my upcoming on-call shifts, open incidents I am in, open obligations I own, and the
labor-law exceptions I may confirm."""

from __future__ import annotations

import logging
from typing import Any

from bot.slack import exception_form, oncall_requests, oncall_view
from bot.slack.blocks import VIEW_BLOCKS_LIMIT, header, section
from bot.slack.mrkdwn import escape
from bot.slack.replies import both, incident_link, span
from bot.slack.services import SlackServices

log = logging.getLogger(__name__)

OBLIGATION_OWNER_ROLES = ("comms_lead", "legal", "dpo")  # fall back to the commander when none is filled


def build(services: SlackServices, user: str) -> dict[str, Any]:
    now, zone = services.now(), services.reader_zone(user)
    blocks: list[dict[str, Any]] = [header("Your on-call shifts (next 14 days)")]
    try:
        shifts = oncall_view.upcoming_shifts(oncall_requests.config_with_covers(services), user, now)
        blocks.append(section("\n".join(f"• *{escape(r)}*: {both(s, zone)} → {both(e, zone)}" for r, s, e in shifts[:20])
                              or "_No shifts in the next 14 days._"))
    except Exception:
        log.exception("App Home: on-call shifts for %s failed", user)
        blocks.append(section("_On-call shifts could not be read right now._"))
    incidents = services.incidents.incidents_for_user(user)
    blocks.append(header("Open incidents you are in"))
    blocks.append(section("\n".join(f"• {incident_link(i)} · {escape(i.severity.upper())} · {escape(i.status)}"
                                    for i in incidents[:30]) or "_None._"))
    blocks.append(header("Open notification obligations you own"))
    owned: list[str] = []
    for incident in incidents:
        owners = [incident.holder(r) for r in OBLIGATION_OWNER_ROLES if incident.holder(r)]
        if user not in (owners or [incident.holder("commander")]):
            continue
        for ob in services.incidents.open_obligations(incident.number, reader=user):
            due = f"due {both(ob.due_at, zone)} ({span(ob.due_at - now)} {'left' if ob.due_at >= now else 'overdue'})" \
                if ob.due_at else "no fixed deadline"
            owned.append(f"• {escape(incident.label)} `#{ob.id}` *{escape(ob.obligation)}* → {escape(ob.recipient)}: {due}")
    blocks.append(section("\n".join(owned[:40]) or "_None._"))
    blocks += exception_form.home_blocks(services, user, zone)
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_LIMIT]}
