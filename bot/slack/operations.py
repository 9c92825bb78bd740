"""The steps listeners share after they acknowledged: one service call that answers the person by itself.

Idempotency keys come from stable request data (a slash command's
``trigger_id``, a modal's ``view.id``, a button's message timestamp), never
from Slack's retry header, so a retried request or a double click maps to the
same key and the lifecycle returns the first result without a second effect.

The answer to the person is not sent from here: :func:`service_for` gives the
lifecycle the request's reply address, the answer is written to the outbox
with the change (key ``<request key>:reply``, so one per command however often
Slack retries) and sent by the outbox worker once the change's effects are done
or queued.  Nothing is reported done before it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Callable

from bot.incidents.errors import NotFound
from bot.incidents.service import IncidentService
from bot.incidents.views import IncidentView, Outcome
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


def press_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """One key per press of a button that may be pressed again later on the same message (Snooze):
    Slack's retries of a press carry the same ``action_ts``; a later press is a new decision."""
    return f"{action_key(body, action)}:{action.get('action_ts') or ''}"


def view_key(view: dict[str, Any]) -> str:
    """Stable across double submits of one modal."""
    return f"view:{view.get('id') or view.get('hash')}"


def request_key(body: dict[str, Any]) -> str | None:
    """The idempotency key of whatever request ``body`` is (command, button, form), if it is one."""
    if body.get("command"):
        return command_key(body)
    if body.get("type") == "block_actions" and body.get("actions"):
        return action_key(body, body["actions"][0])
    if body.get("type") == "view_submission":
        return view_key(body.get("view") or {})
    return None


def answer_once(services: SlackServices, body: dict[str, Any], send: Callable[[], Any]) -> None:
    """Call ``send`` (an answer the listener gives itself: a read-only reply, a refusal) unless a retry of
    this request was answered already."""
    key = request_key(body)
    if key is None or services.chat.first_answer(f"{key}:answer"):
        send()


def reply_address(body: dict[str, Any], *, channel: str | None = None) -> dict[str, str]:
    """Where to answer the person who sent ``body``: its ``response_url`` (ephemeral), else an ephemeral note
    in ``channel``, else a direct message."""
    user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
    if body.get("type") == "view_submission":  # a modal: Slack gives a response_url only if the form asked
        url = next(iter(body.get("response_urls") or []), {}).get("response_url")
    else:
        url = body.get("response_url")
    where = channel or body.get("channel_id") or (body.get("channel") or {}).get("id")
    address = {"user": str(user)}
    if url:
        address["response_url"] = str(url)
    if where:
        address["channel"] = str(where)
    return address


def service_for(services: SlackServices, body: dict[str, Any], *, channel: str | None = None) -> IncidentService:
    """The lifecycle, answering the person who sent ``body`` (through the outbox).  The answer shows times in
    the person's Slack zone, looked up when it is sent (asking Slack here, before the change is written,
    would lose the command to a crash in between); ``zone`` is the organisation's, for when Slack has none."""
    address = reply_address(body, channel=channel)
    address["zone"] = services.config().settings.timezone
    return services.incidents.replying_to(address)


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


def declare(services: SlackServices, body: dict[str, Any], *, severity: str, title: str, actor: str, key: str,
            description: str = "", facts: dict[str, Any] | None = None, channel: str | None = None,
            systems: list[str] | None = None) -> None:
    """Declare: the channel, its messages, the announcements and the answer go out through the outbox."""
    service_for(services, body, channel=channel).declare(severity, title, actor=actor, key=key,
                                                          description=description, facts=facts, systems=systems)
    services.effects_written()


def finish(services: SlackServices, outcome: Outcome) -> None:
    """The operation's effects and its answer are in the outbox: let this process's worker send them now."""
    services.effects_written()
    return None
