"""App Home: publish the person's view whenever they open the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack import home_view
from bot.slack.services import SlackServices


def register(app: App, services: SlackServices) -> None:
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event["user"]
        services.after_ack(lambda: client.views_publish(user_id=user, view=home_view.build(services, user)), body)

    app.event("app_home_opened")(home_opened)
