"""What the Slack listeners need, wired once at start-up and passed to every ``register``."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.clock import Clock, ensure_utc
from bot.config.loader import Config
from bot.incidents.service import IncidentService
from bot.slack.delivery import ChannelDirectory
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)


@dataclass
class SlackServices:
    incidents: IncidentService
    chat: SlackGateway
    config: Callable[[], Config]
    clock: Clock
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-background"))

    def __post_init__(self) -> None:
        self.directory = ChannelDirectory(self.chat)

    def now(self) -> datetime:
        return ensure_utc(self.clock.now())

    def in_background(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run slower Slack work after the request was acknowledged; failures are logged, never lost silently."""

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("background Slack work %s failed", getattr(fn, "__name__", fn))
                raise

        return self.background.submit(run)

    def reader_zone(self, user_id: str) -> str:
        """The zone to show times in for ``user_id``: their Slack profile, else the organisation's."""
        try:
            zone = self.chat.user_timezone(user_id)
        except Exception:  # a profile lookup must never break a reply
            zone = None
        return zone or self.config().settings.timezone

    def shutdown(self) -> None:
        self.background.shutdown(wait=True, cancel_futures=False)
