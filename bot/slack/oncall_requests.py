"""``/oncall worked``, ``/oncall cover`` and the buttons of cover requests and rest nudges.

Parsing is pure and instant (a usage error is the acknowledgement itself);
the work is one call to :class:`bot.oncall.service.OnCallService`, which
answers with the reply for the requester and the direct messages others must
get.  Those are sent with a key derived from the request, so a retried
request never sends them twice; one that cannot be sent is said in the reply.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.oncall.service import Answer, OnCallService, RequestRefused
from bot.slack import operations
from bot.slack.command_parser import ONCALL_REQUESTS, UsageError, is_oncall_request, parse_oncall_request
from bot.slack.mrkdwn import escape
from bot.slack.services import SlackServices

log = logging.getLogger(__name__)

def _service(services: SlackServices) -> OnCallService:
    return OnCallService(services.incidents.ctx.store, services.config, services.clock)


def deliver(services: SlackServices, answer: Answer) -> str:
    """Send the answer's direct messages (once per key) and return the reply, saying which could not be sent."""
    failed = []
    for message in answer.messages:
        try:
            services.chat.direct_message(message.to, message.notice, key=message.key)
        except Exception as exc:  # the change is done; the person must learn who was not told
            log.warning("on-call message %s to %s failed: %s", message.key, message.to, exc)
            failed.append(f"<@{message.to}> ({exc})")
    reply = escape(answer.reply)
    if failed:
        reply += "\nCould not tell " + ", ".join(failed) + "; please tell them yourself."
    return reply


def is_request(text: str) -> bool:
    return is_oncall_request(text)


def handle_command(services: SlackServices, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    try:
        name, args = parse_oncall_request(body.get("text") or "")
    except UsageError as exc:
        ack(response_type="ephemeral", text=escape(str(exc)))
        return
    ack()
    user, key = body.get("user_id", ""), operations.command_key(body)
    svc = _service(services)
    try:
        if name == "worked":
            answer = svc.record_worked(user, args["span"], args["note"], key=key)
        else:
            answer = svc.propose_cover(user, args["rota"], args["start"], args["end"], args["taker"], args["reason"],
                                       key=key)
    except RequestRefused as exc:
        respond(text=escape(f"{exc}\nUsage: `{ONCALL_REQUESTS[name]}`"), response_type="ephemeral")
        return
    respond(text=deliver(services, answer), response_type="ephemeral")


def _id(value: str, prefix: str) -> int:
    head, _, tail = (value or "").partition(":")
    if head != prefix or not tail.isdigit():
        raise ValueError(f'expected a button value "{prefix}:<id>", got "{value}"')
    return int(tail)


def register(app: App, services: SlackServices) -> None:
    def answer(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user, key = body["user"]["id"], operations.action_key(body, action)
        svc = _service(services)
        try:
            if action["action_id"] == "rest.schedule_now":
                result = svc.schedule_rest_now(user, _id(action.get("value", ""), "rest"), key=key)
            else:
                result = svc.answer_cover(user, _id(action.get("value", ""), "cover"),
                                          accept=action["action_id"] == "cover.accept", key=key)
        except RequestRefused as exc:
            respond(text=escape(str(exc)), response_type="ephemeral", replace_original=False)
            return
        respond(text=deliver(services, result), response_type="ephemeral", replace_original=False)

    for action_id in ("cover.accept", "cover.decline", "rest.schedule_now"):
        app.action(action_id)(answer)
