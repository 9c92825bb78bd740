"""The steps listeners share after they acknowledged: run one service call, deliver its posts, reply.

Idempotency keys come from stable request data (a slash command's
``trigger_id``, a modal's ``view.id``, a button's message timestamp), never
from Slack's retry header, so a retried request or a double click maps to the
same key and the lifecycle returns the first result without a second effect.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from typing import Any

from bot.incidents.errors import NotFound
from bot.incidents.views import IncidentView, Outcome
from bot.ports import ChatError, Notice
from bot.slack import replies
from bot.slack.declare_flow import deliver_posts, open_channel
from bot.slack.mrkdwn import escape
from bot.slack.services import SlackServices

log = logging.getLogger(__name__)


def command_key(body: dict[str, Any]) -> str:
    """Stable across Slack's retries of one slash command (same trigger_id, same body)."""
    trigger = body.get("trigger_id")
    if trigger:
        return f"cmd:{trigger}"
    fields = {k: body.get(k) for k in ("team_id", "channel_id", "user_id", "command", "text", "response_url")}
    return "cmd:" + hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:40]


def action_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """Stable across double clicks on one button of one message by one person."""
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts") or ""
    user = (body.get("user") or {}).get("id", "")
    return f"act:{action.get('action_id')}:{action.get('value')}:{user}:{message_ts}"


def view_key(view: dict[str, Any]) -> str:
    """Stable across double submits of one modal."""
    return f"view:{view.get('id') or view.get('hash')}"


def incident_for(services: SlackServices, number: int | None, channel_id: str | None,
                 reader: str | None = None) -> IncidentView:
    """The incident a command names (or the channel's), as ``reader`` may see it: a private incident they may
    not read is answered as if it did not exist."""
    if number is not None:
        return services.incidents.get(number, reader=reader)
    found = services.incidents.incident_by_channel(channel_id, reader=reader) if channel_id else None
    if found is None:
        raise NotFound("This channel is not an incident channel. Run the command in the incident's channel, "
                       "or put the incident first: `/incident INC-42 status …`.")
    return found


def declare(services: SlackServices, *, severity: str, title: str, actor: str, key: str, description: str = "",
            facts: dict[str, Any] | None = None) -> str:
    """Declare and open the channel; returns the reply for the reporter."""
    result = services.incidents.declare(severity, title, actor=actor, key=key, description=description, facts=facts)
    try:
        opened = open_channel(services, result, actor=actor, key=key)
    except ChatError as exc:
        services.incidents.record_side_effect_failure(result.incident.id, "create the incident channel", str(exc),
                                                      actor="system", key=f"{key}:failed:channel")
        return (f"Declared *{escape(result.incident.label)}*, but its channel could not be created: {escape(str(exc))}. "
                "Create a channel by hand and invite the responders; everything else is recorded.")
    if opened is None:
        return f"*{escape(result.incident.label)}* is being declared; its channel appears in a moment."
    return replies.declared(opened.incident)


def finish(services: SlackServices, outcome: Outcome) -> str:
    """Deliver an operation's posts (by key: safe on replays) and return the reply."""
    failures = deliver_posts(services, outcome.incident, outcome.posts)
    reply = escape(outcome.message or f"Done: {outcome.incident.label}.")
    if failures:
        reply += "\nSome messages could not be delivered (recorded on the timeline): " + escape("; ".join(failures))
    return reply


def tell(services: SlackServices, client: Any, user: str, text: str, *, key: str, channel: str | None = None) -> None:
    """An ephemeral note in ``channel`` when possible, else a direct message sent once per ``key``.

    ``text`` is mrkdwn as built for replies; for the DM it is turned back into plain text
    (the gateway escapes it again), so nothing a person typed can become a mention.
    """
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        except Exception as exc:  # not in the channel, channel gone: fall back to a DM
            log.info("ephemeral reply in %s failed (%s); sending a DM", channel, exc)
    first, _, rest = html.unescape(text).partition("\n")
    notice = Notice(kind="reply", title=first.replace("*", "")[:150], lines=tuple(rest.splitlines()))
    services.chat.direct_message(user, notice, key=f"{key}:reply")
