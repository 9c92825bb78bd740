"""Reminder policy: when to nudge about a deadline. Embeddable in the regime catalog and in playbooks.

``offsets`` are read relative to the window from the clock's start to the due time:

* ``"50%"``  when that share of the window has elapsed ("half the window");
* ``"24h"``  that long before the due time (any duration: "1h30m", "2d");
* ``"0"``    at the due time.

``overdue_every`` repeats the nudge while the obligation stays open after the
due time, at most ``overdue_count`` times (the scheduler may plan again).
"""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import Field, field_validator

from bot.config.types import ConfigModel, Duration, parse_duration

DEFAULT_OFFSETS = ("50%", "24h", "4h", "1h", "0")


def parse_offset(value: str) -> float | timedelta:
    """``"50%"`` -> 0.5 (share of the window); ``"24h"`` -> timedelta before due; ``"0"`` -> timedelta(0)."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,3}(?:\.\d+)?)\s*%", text)
    if match:
        share = float(match.group(1)) / 100
        if 0 < share < 1:
            return share
        raise ValueError(f'expected a share of the window between 0% and 100% like "50%", got "{text}"')
    if text == "0":
        return timedelta(0)
    try:
        return parse_duration(text)
    except ValueError:
        raise ValueError(f'expected an offset like "50%" (of the window), "24h" (before the deadline) or "0" '
                         f'(at the deadline), got "{text}"') from None


class ReminderPolicy(ConfigModel):
    offsets: list[str] = Field(default_factory=lambda: list(DEFAULT_OFFSETS))
    overdue_every: Duration | None = Field(default=timedelta(hours=4), description="repeat while overdue; null = never")
    overdue_count: int = Field(default=6, ge=0, le=100)

    @field_validator("offsets")
    @classmethod
    def _offsets_parse(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_offset(item)
        return value
