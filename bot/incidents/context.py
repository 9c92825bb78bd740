"""What every lifecycle operation needs: the store, the current configuration and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from bot.clock import Clock, ensure_utc
from bot.config.loader import Config
from bot.store.database import Store


@dataclass(frozen=True)
class Context:
    store: Store
    config: Callable[[], Config]
    clock: Clock
    members: Optional[Callable[[str, str], bool]] = None  # (channel id, user) -> in the channel? (asks the chat)

    def now(self) -> datetime:
        return ensure_utc(self.clock.now())
