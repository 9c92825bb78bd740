"""``/oncall worked``, ``/oncall cover``, the buttons of cover requests and rest nudges, and "Ask for cover".

"Ask for cover" (on the shift reminder) opens a form with the period filled
in; submitting it is the same request as ``/oncall cover``.

Parsing is pure and instant (a usage error is the acknowledgement itself);
the work is one call to :class:`bot.oncall.service.OnCallService`, which
answers with the reply for the requester and the direct messages others must
get.  Those are sent with a key derived from the request, so a retried
request never sends them twice; one that cannot be sent is said in the reply.  The form's reply is a
direct message too: when Slack refuses it, the error answer repeats it and says the request stands
(:class:`RequestStands`), never "try again", which would ask a second time.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.oncall.service import Answer, OnCallService, RequestRefused
from bot.oncall.shift_reminders import ASK_FOR_COVER, parse_value
from bot.oncall.team import team_of
from bot.oncall.wallclock import to_local
from bot.ports import Notice
from bot.slack.blocks import plain
from bot.slack import operations
from bot.slack.command_parser import ONCALL_REQUESTS, UsageError, is_oncall_request, parse_oncall_request
from bot.slack.mrkdwn import escape
from bot.slack.services import SlackServices

log = logging.getLogger(__name__)

def config_with_covers(services: SlackServices):
    """The configuration with the covers accepted in chat on top, for what /oncall and the App Home show."""
    from bot.oncall.covers import accepted_overrides, config_with_covers as with_covers

    with services.incidents.ctx.store.session() as session:
        return with_covers(services.config(), accepted_overrides(session))


class RequestStands(ValueError):
    """The request is written and its messages went out, but its confirmation could not be sent: the text says
    what was done, and the error handler shows it as is (never "try again", which would ask a second time)."""


def _service(services: SlackServices) -> OnCallService:
    return OnCallService(services.incidents.ctx.store, services.config, services.clock)


def deliver(services: SlackServices, answer: Answer) -> list[tuple[str, str]]:
    """Send the answer's direct messages (once per key); returns who could not be told (user id, why)."""
    failed = []
    for message in answer.messages:
        try:
            services.chat.direct_message(message.to, message.notice, key=message.key)
        except Exception as exc:  # the change is done; the person must learn who was not told
            log.warning("on-call message %s to %s failed: %s", message.key, message.to, exc)
            failed.append((message.to, str(exc)))
    return failed


def reply_text(answer: Answer, failed: list[tuple[str, str]]) -> str:
    text = escape(answer.reply)
    if failed:
        text += "\nCould not tell " + ", ".join(f"<@{user}> ({escape(why)})" for user, why in failed)
        text += "; please tell them yourself."
    return text


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

    def work() -> None:
        svc = _service(services)
        try:
            if name == "worked":
                answer = svc.record_worked(user, args["span"], args["note"], key=key)
            else:
                answer = svc.propose_cover(user, args["rota"], args["start"], args["end"], args["taker"],
                                           args["reason"], key=key)
        except RequestRefused as exc:
            respond(text=escape(f"{exc}\nUsage: `{ONCALL_REQUESTS[name]}`"), response_type="ephemeral")
            return
        respond(text=reply_text(answer, deliver(services, answer)), response_type="ephemeral")

    services.after_ack(work, body)


COVER_FORM = "cover.request"
FORM_VALUE = "value"


def cover_form(rotation: str, start: str, end: str) -> dict[str, Any]:
    """The "Ask for cover" form: who takes it, from, to (the rota's local time), why."""
    def field(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "label": plain(label, 2000), "optional": optional,
                "element": {**element, "action_id": FORM_VALUE}}

    def text(initial: str = "", placeholder: str = "") -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "max_length": 200}
        if initial:
            element["initial_value"] = initial
        if placeholder:
            element["placeholder"] = plain(placeholder, 150)
        return element

    return {"type": "modal", "callback_id": COVER_FORM, "title": plain("Ask for cover", 24),
            "submit": plain("Ask", 24), "close": plain("Cancel", 24), "private_metadata": rotation,
            "blocks": [field("taker", "Who takes it", {"type": "users_select", "placeholder": plain("Someone", 150)}),
                       field("from", f"From ({rotation}'s local time)", text(start)),
                       field("to", "To", text(end)),
                       field("reason", "Why", text(placeholder="e.g. dentist"), optional=True)]}


def _form_values(view: dict[str, Any]) -> dict[str, str]:
    state = (view.get("state") or {}).get("values") or {}
    out = {}
    for block_id, fields in state.items():
        entry = (fields or {}).get(FORM_VALUE) or {}
        out[block_id] = entry.get("selected_user") or entry.get("value") or ""
    return out


def _id(value: str, prefix: str) -> int:
    head, _, tail = (value or "").partition(":")
    if head != prefix or not tail.isdigit():
        raise ValueError(f'expected a button value "{prefix}:<id>", got "{value}"')
    return int(tail)


def register(app: App, services: SlackServices) -> None:
    def answer(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user, key = body["user"]["id"], operations.action_key(body, action)

        def work() -> None:
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
            respond(text=reply_text(result, deliver(services, result)), response_type="ephemeral",
                    replace_original=False)

        services.after_ack(work, body)

    def ask_for_cover(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        ack()
        rotation, start, end = parse_value(action.get("value", ""))
        zone = team_of(services.config()).rotations[rotation].timezone

        def local(at) -> str:
            return to_local(at, zone).strftime("%Y-%m-%dT%H:%M")

        view = cover_form(rotation, local(start), local(end))
        services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"], view=view), body)

    def cover_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values, user = _form_values(view), body["user"]["id"]
        key = operations.view_key(view)
        try:
            result = _service(services).propose_cover(user, view.get("private_metadata", ""), values.get("from", ""),
                                                      values.get("to", ""), values.get("taker", ""),
                                                      values.get("reason", ""), key=key)
        except RequestRefused as exc:
            ack(response_action="errors", errors={"from": str(exc)[:150]})
            return
        ack()

        def tell() -> None:
            failed = deliver(services, result)
            lines = tuple(f"Could not tell them ({why}); please tell them yourself." for _who, why in failed)
            try:
                services.chat.direct_message(user, Notice(kind="reply", title=result.reply, lines=lines,
                                                          mention_users=tuple(who for who, _ in failed)),
                                             key=f"{key}:reply")
            except Exception as exc:  # the request is written: "try again" would send a second one
                not_told = tuple(f"Could not tell {who} ({why}); please tell them yourself." for who, why in failed)
                raise RequestStands(" ".join((result.reply, *not_told, f"(Slack did not take this answer as a direct "
                                              f"message: {exc}; the request stands, do not send it again.)"))) from exc

        services.after_ack(tell, body)

    for action_id in ("cover.accept", "cover.decline", "rest.schedule_now"):
        app.action(action_id)(answer)
    app.action(ASK_FOR_COVER)(ask_for_cover)
    app.view(COVER_FORM)(cover_submitted)
