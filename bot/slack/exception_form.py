"""Confirming a labor-law exception from Slack: App Home lists the uses the reader may confirm, each with a
"Confirm…" button that opens a form for the reader's own justification.

A page that went out under an exception (say ArbZG §14 at 02:00 on a holiday) is unconfirmed until someone
allowed to ``declare_exception``, other than whoever applied it, confirms it in their own words
(:mod:`bot.incidents.exception_confirmations`). The service makes every check again on submit, keyed by the
view id, so a double submit confirms once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.clock import ensure_utc
from bot.incidents.collaborators import person_name
from bot.incidents.exception_confirmations import ToConfirm
from bot.ports import Button
from bot.slack import modals, operations, readable
from bot.slack.blocks import button, header, section
from bot.slack.services import SlackServices

CONFIRM = modals.CONFIRM_EXCEPTION
SHOWN = 10  # uses listed in App Home (the oldest first); the rest after those are confirmed


def describe(services: SlackServices, use: ToConfirm, zone: str) -> str:
    """Which use, in a sentence for one reader (mrkdwn): incident, exception, person, when, who applied it."""
    text = (f"INC-{use.number}: {person_name(services.config(), use.person)} was paged under the {use.exception} "
            f"exception on {ensure_utc(use.used_at).isoformat(timespec='minutes')}, applied by {use.declared_by}.")
    return readable.reply(text, zone)


def home_blocks(services: SlackServices, user: str, zone: str) -> list[dict[str, Any]]:
    """App Home's section for someone who may confirm exceptions; nothing for everyone else."""
    uses = services.incidents.exceptions_to_confirm(user)
    if not uses:
        return []
    blocks = [header("Labor-law exceptions to confirm")]
    for use in uses[:SHOWN]:
        block = section(describe(services, use, zone))
        block["accessory"] = button(Button("exception.confirm", "Confirm…", f"exception:{use.use_id}"))
        blocks.append(block)
    if len(uses) > SHOWN:
        blocks.append(section(f"_…and {len(uses) - SHOWN} more after these._"))
    return blocks


def register(app: App, services: SlackServices) -> None:
    from bot.slack.listeners.actions import matching, parse_value

    def pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        use_id = parse_value(action.get("value", ""), "exception")
        user = body["user"]["id"]
        use = next((u for u in services.incidents.exceptions_to_confirm(user) if u.use_id == use_id), None)
        what = describe(services, use, services.reader_zone(user)) if use is not None \
            else f"Exception use #{use_id}."
        view = modals.confirm_exception_modal(use_id, what)
        services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"], view=view), body)

    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        justification = str(modals.values(view).get("justification") or "").strip()
        if not justification:
            ack(response_action="errors", errors={"justification": "Say why, in your own words."})
            return
        ack()
        use_id = modals.metadata_id(view, "exception")
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).confirm_exception(
            use_id, justification, actor=body["user"]["id"], key=operations.view_key(view))), body)

    app.action(matching(CONFIRM))(pressed)
    app.view(CONFIRM)(submitted)
