"""A local Twilio double speaking Twilio's real REST API and webhooks (see :mod:`bot.notify.double.server`)."""

from bot.notify.double.server import TwilioDouble

__all__ = ["TwilioDouble"]
