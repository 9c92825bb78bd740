"""``/incident mitigated``, ``/incident milestone …``, ``/incident followup …``, ``/incident review`` and the review buttons: call the learning
service as the person who asked; answers and posts go through the outbox like every other change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.learning.followups import Proposal
from bot.learning.service import LearningService
from bot.slack import operations
from bot.slack.button_values import parse_value
from bot.slack.command_parser import UsageError, user_reference
from bot.slack.services import SlackServices


def learning_for(services: SlackServices, body: dict[str, Any]) -> LearningService:
    """The learning service answering the person who sent ``body``."""
    return LearningService.on(operations.service_for(services, body).ctx)


def run(services: SlackServices, name: str, args: dict[str, str], number: int, body: dict[str, Any]) -> None:
    user, key = body.get("user_id", ""), operations.command_key(body)
    learning = learning_for(services, body)
    if name == "mitigated":
        outcome = learning.mark_mitigated(number, actor=user, key=key, note=args.get("note", ""))
    elif name == "milestone":
        outcome = learning.set_milestone(number, args["milestone"], datetime.fromisoformat(args["at"]), actor=user,
                                         key=key, reason=args["reason"])
    elif name == "review":
        if args["action"] == "done":
            outcome = learning.complete_review(number, actor=user, key=key, link=args.get("link", ""))
        else:
            outcome = learning.draft_review(number, actor=user, key=key).outcome
    elif args["action"] == "add":
        owner = user_reference(args["owner"])
        if owner is None:
            raise UsageError(f'"{args["owner"]}" is not a person; mention the owner with @.', "followup")
        proposal = Proposal(title=args["title"], owner=owner, due=date.fromisoformat(args["due"]), cost=args["cost"],
                            impact=args["impact"], likelihood=args["likelihood"], impact_level=args.get("level"),
                            horizon=args.get("horizon", "12m"))
        outcome = learning.add_followup(number, proposal, actor=user, key=key).outcome
    else:
        followup, action = int(args["followup"]), args["action"]
        if learning.incident_of_followup(followup) != number:
            raise UsageError(f"F-{followup} is not a follow-up of INC-{number}.", "followup")
        if action == "defer":
            outcome = learning.defer_followup(followup, date.fromisoformat(args["until"]), args["reason"],
                                              actor=user, key=key).outcome
        elif action == "accept":
            outcome = learning.accept_risk(followup, args["reason"], actor=user, key=key).outcome
        elif action == "reopen":
            outcome = learning.reopen_followup(followup, args["reason"], actor=user, key=key).outcome
        elif action == "start":
            outcome = learning.start_followup(followup, actor=user, key=key).outcome
        else:
            outcome = learning.finish_followup(followup, actor=user, key=key).outcome
    operations.finish(services, outcome)


def review_button(services: SlackServices, body: dict[str, Any], action: dict[str, Any], *, done: bool) -> None:
    """"Draft the review" / "Review done" on the review's notice (in the channel or the owner's DM)."""
    review_id = parse_value(action.get("value", ""), "review")
    learning = learning_for(services, body)
    number = learning.incident_of_review(review_id)
    user, key = body["user"]["id"], operations.action_key(body, action)
    outcome = (learning.complete_review(number, actor=user, key=key) if done
               else learning.draft_review(number, actor=user, key=key).outcome)
    operations.finish(services, outcome)
