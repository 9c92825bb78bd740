"""Other Events API events: mentions get the help text; events Slack re-sends are handled once.

Bolt acknowledges an event when its listener returns; listeners queue their Slack calls.  Slack re-sends an
event when the first delivery was not acknowledged in time; the ``event_id``
identifies it, so a re-sent event that was already seen is skipped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.slack.command_parser import help_text
from bot.slack.mrkdwn import escape
from bot.slack.services import SlackServices

SEEN_EVENTS = 5000


class SeenEvents:
    def __init__(self, size: int = SEEN_EVENTS) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            while len(self._ids) > self.size:
                self._ids.popitem(last=False)
            return True


def register(app: App, services: SlackServices) -> None:
    seen = SeenEvents()

    def skip_repeated_events(body: dict[str, Any], next: Callable[[], Any]) -> Any:  # noqa: A002 - bolt's name
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not seen.first_time(event_id):
            return BoltResponse(status=200, body="")
        return next()

    def mentioned(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        services.after_ack(lambda: client.chat_postEphemeral(channel=event["channel"], user=event["user"],
                                                             text=escape(help_text())), body)

    app.middleware(skip_repeated_events)
    app.event("app_mention")(mentioned)
