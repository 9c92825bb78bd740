"""The central error handler: domain errors become a friendly ephemeral note, the rest a correlation id.

* Lifecycle errors (:class:`bot.incidents.errors.IncidentError`), usage errors
  and value errors carry a sentence for the person: shown as is, made readable
  (:mod:`bot.slack.readable`: escaped once, people as mentions, times in their zone).
* Chat errors (Slack refused after retries) say what failed.
* Anything else is a bug: logged with a short correlation id that is shown to
  the person, so the team can find the trace in the log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Callable

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.incidents.errors import IncidentError
from bot.ports import ChatError
from bot.slack import readable
from bot.slack.operations import answer_once
from bot.slack.services import SlackServices

log = logging.getLogger("bot.slack")


def message_for(error: Exception, zone: str = "UTC") -> tuple[str, bool]:
    """(text for the person, readable in their ``zone``; expected?)."""
    if isinstance(error, (IncidentError, ValueError)):
        return readable.reply(str(error), zone), True
    if isinstance(error, ChatError):
        return readable.reply(f"Slack did not accept a step: {error}. Please try again in a minute.", zone), True
    correlation = uuid.uuid4().hex[:10]
    log.error("unexpected error %s", correlation, exc_info=error)
    return (f"Something went wrong on our side (error id `{correlation}`). Nothing was half-done: try again, "
            "and if it keeps failing give this id to whoever runs the bot."), False


def _tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    response_url = body.get("response_url") or next(iter(body.get("response_urls") or []), {}).get("response_url")
    if response_url:
        from slack_sdk.webhook import WebhookClient

        WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
    elif user:
        client.chat_postMessage(channel=user, text=text)


VERIFIED = "request_verified"


def mark_verified(context: BoltContext, next: Callable[[], Any]) -> Any:  # noqa: A002 - bolt's name
    """Global middleware; bolt runs ours after its request verification, so reaching it means verified."""
    context[VERIFIED] = True
    return next()


def report(services: SlackServices, error: Exception, body: dict[str, Any], client: WebClient) -> None:
    """Tell the person who sent the (verified) request ``body`` what went wrong, once per request."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    text, expected = message_for(error, services.reader_zone(user) if user else services.config().settings.timezone)
    if expected:
        log.info("refused request: %s", error)
    try:
        answer_once(services, body, lambda: _tell(client, body, text))  # once per request
    except Exception:
        log.exception("could not tell the person about an error")


def register(app: App, services: SlackServices) -> None:
    def on_error(error: Exception, body: dict[str, Any], client: WebClient, context: BoltContext) -> BoltResponse:
        if not context.get(VERIFIED):
            # Failed before verification (e.g. a malformed signature header bolt could not read): the body
            # is not Slack's, so nothing is sent anywhere, least of all to a response_url it names.
            log.info("refused an unverified request (%s)", type(error).__name__)
            return BoltResponse(status=401, body="invalid request")
        report(services, error, body or {}, client)
        return BoltResponse(status=200, body="")

    app.error(on_error)
