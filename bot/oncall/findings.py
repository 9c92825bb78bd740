"""What a page-time check finds about one person at one instant, and the context it looks at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.oncall.history import EngagementHistory
from bot.oncall.team import PersonInfo


@dataclass(frozen=True)
class Finding:
    reason_code: str
    reason: str
    rule: str  # rule kind
    rule_id: str
    citation: str
    severity: str
    until: datetime | None = None
    rest_hours: float | None = None  # for compensatory rest when waived


@dataclass
class Verdict:
    blocks: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.blocks


@dataclass(frozen=True)
class Context:
    person: PersonInfo
    at: datetime
    rostered: bool
    activity: str | None
    history: EngagementHistory
