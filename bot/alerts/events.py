"""One alert as the core sees it, whatever format it came in, and the error for a bad one."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Action = Literal["trigger", "acknowledge", "resolve"]
ACTIONS = ("trigger", "acknowledge", "resolve")


class BadAlert(ValueError):
    """The request cannot be accepted: ``field`` names what was wrong; the message says how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AlertEvent:
    """A firing, acknowledged or resolved alert (or Alertmanager alert group) from one source."""

    action: Action
    key: str  # the sender's grouping key: Alertmanager groupKey, PagerDuty dedup_key, generic dedup_key
    summary: str
    labels: dict[str, str] = field(default_factory=dict)
    severity: str = ""
    link: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    count: int = 1  # alerts the sender folded into this event (Alertmanager sends a group)

    def to_json(self) -> dict[str, Any]:
        # shallow on purpose (asdict deep-copies); the parsed values are never changed afterwards
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AlertEvent":
        return cls(**data)
