"""A local Slack Web API double (real HTTP on 127.0.0.1) for end-to-end tests, drills and benchmarks."""

from bot.slack.double.faults import Fault, FaultPlan
from bot.slack.double.model import BOT_USER_ID, TEAM_ID, ApiError, SlackModel
from bot.slack.double.server import Call, SlackDouble, WebhookPost

__all__ = ["BOT_USER_ID", "TEAM_ID", "ApiError", "Call", "Fault", "FaultPlan", "SlackDouble", "SlackModel", "WebhookPost"]
