"""What every lifecycle operation needs: the store, the current configuration and the clock.

``reply_to`` says how to answer the person who asked (an adapter's address, e.g.
Slack's ``response_url``, user and channel): the answer is written to the outbox
with the operation's change and sent once its effects are done or queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from bot.clock import Clock, ensure_utc
from bot.config.loader import Config
from bot.store.database import Store


@dataclass(frozen=True)
class Context:
    store: Store
    config: Callable[[], Config]
    clock: Clock
    members: Optional[Callable[[str, str], bool]] = None  # (channel id, user) -> in the channel? (asks the chat)
    reply_to: dict[str, Any] | None = None

    def now(self) -> datetime:
        return ensure_utc(self.clock.now())
