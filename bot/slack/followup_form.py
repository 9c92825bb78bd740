"""Follow-up actions in Slack beyond the slash command: the "Add follow-up" form and the nudge's buttons.

* ``/incident followup`` with nothing after it, or the "Add follow-up" button on the review notice in the
  incident channel, opens the form (:func:`bot.slack.modals.followup_modal`);
* its submission is checked field by field first (``response_action: errors``: the form stays open with
  each problem next to its field), then goes through the same service call as ``/incident followup add``,
  keyed by the view id, so a double submit adds one follow-up;
* "Done" and "Working on it" on a follow-up's nudge move it (``update_followup`` permission).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.learning import followups, risk
from bot.learning.followups import Proposal
from bot.slack import modals, operations
from bot.slack.services import SlackServices

ADD, DONE, START = "followup.add", "followup.done", "followup.start"


def followup_view(number: int) -> dict[str, Any]:
    """The "Add follow-up" form for INC-``number``."""
    return modals.followup_modal(number, risk.LIKELIHOOD_LEVELS, risk.IMPACT_LEVELS)


def _proposal(values: dict[str, Any]) -> Proposal:
    return Proposal(title=values.get("title", ""), owner=values.get("owner", ""), due=values.get("due"),  # type: ignore[arg-type]
                    cost=values.get("cost", ""), impact=values.get("impact", ""),
                    likelihood=values.get("likelihood", ""), impact_level=values.get("level"),
                    horizon=values.get("horizon") or "12m")


def form_errors(services: SlackServices, values: dict[str, Any]) -> dict[str, str]:
    """Block id -> what is wrong with it (empty: the submission can go to the service)."""
    proposal = _proposal(values)
    errors = followups.problems(proposal)
    if not values.get("owner"):
        errors["owner"] = "Choose who owns it."
    if values.get("due") is None:
        errors["due"] = "Pick the day it is due."
    elif values.get("owner"):
        late = followups.due_problem(services.config(), proposal, services.now())
        if late:
            errors["due"] = late
    if not values.get("likelihood"):
        errors["likelihood"] = "Choose how likely it is within the horizon."
    return {block: message[:150] for block, message in errors.items()}  # Slack shows short field errors


def register(app: App, services: SlackServices) -> None:
    from bot.slack.learning_commands import learning_for
    from bot.slack.listeners.actions import matching, parse_value

    def add_pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        view = followup_view(parse_value(action.get("value", ""), "incident"))
        services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"], view=view), body)

    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = modals.values(view)
        errors = form_errors(services, values)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        number = modals.metadata_id(view, "incident")
        services.after_ack(lambda: operations.finish(services, learning_for(services, body).add_followup(
            number, _proposal(values), actor=body["user"]["id"], key=operations.view_key(view)).outcome), body)

    def change(done: bool) -> Any:
        def pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            followup = parse_value(action.get("value", ""), "followup")
            user, key = body["user"]["id"], operations.action_key(body, action)

            def work() -> None:
                learning = learning_for(services, body)
                outcome = (learning.finish_followup(followup, actor=user, key=key) if done
                           else learning.start_followup(followup, actor=user, key=key)).outcome
                operations.finish(services, outcome)

            services.after_ack(work, body)
        return pressed

    app.action(matching(ADD))(add_pressed)
    app.action(matching(DONE))(change(True))
    app.action(matching(START))(change(False))
    app.view(modals.FOLLOWUP)(submitted)
