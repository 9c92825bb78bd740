"""Buttons: page Acknowledge / Can't take it; an alert group's page Acknowledge / Resolve / Escalate / Declare
incident; deadline nudge notified / snooze / not required.

Values are opaque ids (``page:42``, ``obligation:7``).  Buttons that need more
input open a modal (the ``trigger_id`` is fresh: it is used right after ack).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Callable

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import modals, operations
from bot.slack.blocks import ACTION_SUFFIX
from bot.slack.button_values import parse_value
from bot.slack.learning_commands import review_button
from bot.slack.services import SlackServices

SNOOZE = timedelta(hours=1)


def _message_header(body: dict[str, Any]) -> str:
    blocks = (body.get("message") or {}).get("blocks") or []
    head = next((b for b in blocks if b.get("type") == "header"), None)
    return ((head or {}).get("text") or {}).get("text") or "Notification"


def channel_incident(services: SlackServices, body: dict[str, Any]) -> int | None:
    """The incident whose channel the button was pressed in; None in a DM or any other channel (the row
    the button names then identifies its incident)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    found = services.incidents.incident_by_channel(channel) if channel and channel[:1] in "CG" else None
    return found.number if found else None


def register(app: App, services: SlackServices) -> None:
    def page_ack(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        page_id = parse_value(action.get("value", ""), "page")
        user = body["user"]["id"]
        # The page message loses its buttons through the outbox once the acknowledgement is recorded.
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).acknowledge_page(
            page_id, actor=user, key=operations.action_key(body, action), incident=channel_incident(services, body))),
            body)

    def page_decline(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        page_id = parse_value(action.get("value", ""), "page")
        services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"], view=modals.decline_modal(page_id)),
                           body)

    def alert_page(what: str) -> Callable[..., None]:
        """An alert group's page (a page route, no incident): Acknowledge, Resolve, Escalate, Declare incident.
        The message loses its buttons through the outbox once the answer is recorded."""
        def press(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            page_id = parse_value(action.get("value", ""), "page")
            user = body["user"]["id"]

            def work() -> None:
                getattr(services.alert_pages(), what)(page_id, actor=user)
                services.effects_written()

            services.after_ack(work, body)
        return press

    def obligation_notified(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        obligation_id = parse_value(action.get("value", ""), "obligation")
        services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"],
                                                     view=modals.notified_modal(obligation_id, _message_header(body))),
                           body)

    def obligation_not_required(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        obligation_id = parse_value(action.get("value", ""), "obligation")
        services.open_form(lambda: client.views_open(
            trigger_id=body["trigger_id"], view=modals.not_required_modal(obligation_id, _message_header(body))), body)

    def obligation_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        obligation_id = parse_value(action.get("value", ""), "obligation")
        user = body["user"]["id"]
        # The lifecycle caps the snooze at the deadline: a nudge is never silenced past it.
        # From now, whatever an earlier snooze said: pressing again after it ran out snoozes again.
        until = services.now() + SNOOZE  # from the press, not from when the queue gets to it
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).snooze_obligation(
            obligation_id, until, actor=user, key=operations.press_key(body, action),
            incident=channel_incident(services, body))), body)

    def task_done(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        task_id = parse_value(action.get("value", ""), "task")
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).complete_task(
            task_id, actor=body["user"]["id"], key=operations.action_key(body, action),
            incident=channel_incident(services, body))), body)

    def trigger_decision(approve: bool) -> Callable[..., None]:
        def decide(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            approval_id = parse_value(action.get("value", ""), "approval")
            user, key = body["user"]["id"], operations.action_key(body, action)

            def work() -> None:
                incidents, incident = operations.service_for(services, body), channel_incident(services, body)
                outcome = (incidents.approve_trigger_change(approval_id, actor=user, key=key, incident=incident)
                           if approve else
                           incidents.reject_trigger_change(approval_id, actor=user, key=key, incident=incident))
                operations.finish(services, outcome)

            services.after_ack(work, body)
        return decide

    def request_decision(approve: bool) -> Callable[..., None]:
        """A change held for a second person (duty-removing fact, backdated notification): approve or reject."""
        def decide(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            approval_id = parse_value(action.get("value", ""), "approval")
            user, key = body["user"]["id"], operations.action_key(body, action)

            def work() -> None:
                incidents = operations.service_for(services, body)  # the answer goes through the outbox
                outcome = (incidents.approve_request(approval_id, actor=user, key=key) if approve
                           else incidents.reject_request(approval_id, actor=user, key=key))
                operations.finish(services, outcome)

            services.after_ack(work, body)
        return decide

    def review_action(done: bool) -> Callable[..., None]:
        def press(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            services.after_ack(lambda: review_button(services, body, action, done=done), body)
        return press

    handlers = {
        "page.ack": page_ack, "page.decline": page_decline,
        "alert.ack": alert_page("acknowledge"), "alert.resolve": alert_page("resolve"),
        "alert.escalate": alert_page("escalate"), "alert.declare": alert_page("declare"),
        "obligation.notified": obligation_notified, "obligation.not_required": obligation_not_required,
        "obligation.snooze": obligation_snooze,
        "task.complete": task_done, "task.done": task_done,
        "trigger.approve": trigger_decision(True), "trigger.reject": trigger_decision(False),
        "request.approve": request_decision(True), "request.reject": request_decision(False),
        "review.draft": review_action(False), "review.done": review_action(True),
    }
    for action_id, handler in handlers.items():
        app.action(matching(action_id))(handler)


def matching(action_id: str) -> re.Pattern[str]:
    """The action id, or the numbered copy the renderer makes when one message repeats it."""
    return re.compile(rf"^{re.escape(action_id)}(?:{re.escape(ACTION_SUFFIX)}\d+)?$")
