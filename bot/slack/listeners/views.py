"""Modal submissions: declare, mark notified, not required, can't take a page.

Missing or malformed fields are answered in the acknowledgement
(``response_action: errors``) so the modal stays open with the problem next
to the field.  Then the modal closes and the work is queued
(:mod:`bot.slack.after_ack`); the person gets the result as an ephemeral note
(or a DM).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import modals, operations
from bot.slack.services import SlackServices

FACT_PREFIX = "fact."


def register(app: App, services: SlackServices) -> None:
    def declare_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = modals.values(view)
        errors = {}
        if not values.get("severity"):
            errors["severity"] = "Choose a severity; the criteria are listed above."
        if not values.get("title"):
            errors["title"] = "Give the incident a short title."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        user = body["user"]["id"]
        facts = {k[len(FACT_PREFIX):]: v for k, v in values.items() if k.startswith(FACT_PREFIX)}
        services.after_ack(lambda: operations.declare(
            services, body, severity=values["severity"], title=values["title"], actor=user,
            key=operations.view_key(view), description=values.get("description", ""), facts=facts,
            channel=view.get("private_metadata") or None, systems=values.get("systems")), body)

    def notified_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = modals.values(view)
        if not values.get("reference"):
            ack(response_action="errors", errors={"reference": "Enter the reference the recipient gave you."})
            return
        submitted_at = values.get("submitted_at") or services.now()
        if submitted_at > services.now():
            ack(response_action="errors", errors={"submitted_at": "The submission time cannot be in the future."})
            return
        ack()
        user = body["user"]["id"]
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).mark_notified(
            modals.metadata_id(view, "obligation"), actor=user, key=operations.view_key(view),
            reference=values["reference"], submitted_at=submitted_at, evidence_url=values.get("evidence", ""),
            reason=values.get("reason", ""))), body)

    def not_required_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = modals.values(view)
        if not values.get("reason"):
            ack(response_action="errors", errors={"reason": "A reason is required: it documents the assessment."})
            return
        ack()
        user = body["user"]["id"]
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).mark_not_required(
            modals.metadata_id(view, "obligation"), values["reason"], actor=user, key=operations.view_key(view))), body)

    def decline_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = modals.values(view)
        if not values.get("reason"):
            ack(response_action="errors", errors={"reason": "Say why, so the next person knows what is going on."})
            return
        ack()
        user = body["user"]["id"]
        services.after_ack(lambda: operations.finish(services, operations.service_for(services, body).decline_page(
            modals.metadata_id(view, "page"), values["reason"], actor=user, key=operations.view_key(view))), body)

    app.view(modals.DECLARE)(declare_submitted)
    app.view(modals.NOTIFIED)(notified_submitted)
    app.view(modals.NOT_REQUIRED)(not_required_submitted)
    app.view(modals.DECLINE)(decline_submitted)
