"""What the Slack listeners need, wired once at start-up and passed to every ``register``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.clock import Clock, ensure_utc
from bot.config.loader import Config
from bot.incidents.service import IncidentService
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)


def _nothing() -> None:
    return None


@dataclass
class SlackServices:
    """``chat`` answers what a listener must do itself within Slack's 3 seconds (open a modal, read a
    profile); everything else goes through the outbox. ``effects_written`` tells the outbox worker of
    this process (if it runs here) that a command just wrote rows, so they go out at once."""

    incidents: IncidentService
    chat: SlackGateway
    config: Callable[[], Config]
    clock: Clock
    effects_written: Callable[[], None] = field(default=_nothing)
    web_links: Any = None  # bot.web.links.WebLinks when the web view is set up (WEB_LINK_SECRET)
    queue: Any = None  # bot.slack.after_ack.AfterAck in the server; None: work runs on the listener thread

    def after_ack(self, work: Callable[[], None], body: dict[str, Any]) -> None:
        """Do ``work`` (what an acknowledged request asks) after the acknowledgement went out, in order."""
        if self.queue is None:
            work()
        else:
            self.queue.run(work, body)

    def open_form(self, work: Callable[[], None], body: dict[str, Any]) -> None:
        """Open a form (``work`` calls ``views.open``) now, not behind queued work: its trigger expires."""
        if self.queue is None:
            work()
        else:
            self.queue.form(work, body)

    def now(self) -> datetime:
        return ensure_utc(self.clock.now())

    def alert_pages(self) -> Any:
        """The answers to an alert group's page (``bot.alerts.answers``), on the lifecycle's store and clock."""
        from bot.alerts.answers import AlertPages

        return AlertPages(self.incidents.ctx.store, self.config, self.clock, self.incidents)

    def reader_zone(self, user_id: str) -> str:
        """The zone to show times in for ``user_id``: their Slack profile, else the organisation's."""
        try:
            zone = self.chat.user_timezone(user_id)
        except Exception:  # a profile lookup must never break a reply
            zone = None
        return zone or self.config().settings.timezone

    def shutdown(self) -> None:
        if self.queue is not None:
            self.queue.shutdown()
