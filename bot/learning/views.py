"""Plain, immutable views the learning service returns (detached from the database, codec-safe)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.incidents.views import Outcome
from bot.learning.risk import IMPACT_LEVELS, LIKELIHOOD_LEVELS, describe_horizon, score


@dataclass(frozen=True)
class MilestoneView:
    name: str
    at: datetime
    source: str


@dataclass(frozen=True)
class ReviewView:
    id: int
    incident_id: int
    incident: str  # "INC-42"
    owner: str
    owner_role: str
    business_days: int
    calendar: str
    zone: str
    due_day: str  # ISO date, local to the calendar
    due_at: datetime
    state: str  # due | done
    drafts: int = 0
    drafted_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    document_url: str | None = None

    @property
    def on_time(self) -> bool | None:
        """True/False once done; None while still due."""
        return None if self.completed_at is None else self.completed_at <= self.due_at


@dataclass(frozen=True)
class FollowUpView:
    id: int
    incident_id: int
    incident: str  # "INC-42"
    title: str
    owner: str
    due: str  # ISO date in the owner's zone
    zone: str
    cost: str
    impact: str
    impact_level: int
    likelihood: int
    horizon_months: int
    state: str
    proposed_by: str
    proposed_at: datetime
    deferred_until: str | None = None
    decision_reason: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    done_at: datetime | None = None

    @property
    def risk_score(self) -> int:
        return score(self.impact_level, self.likelihood)

    @property
    def impact_name(self) -> str:
        return IMPACT_LEVELS[self.impact_level - 1]

    @property
    def likelihood_name(self) -> str:
        return LIKELIHOOD_LEVELS[self.likelihood - 1]

    @property
    def horizon(self) -> str:
        return describe_horizon(self.horizon_months)

    @property
    def label(self) -> str:
        return f"F-{self.id}"

    def overdue_on(self, day: date) -> bool:
        return self.state in ("open", "in_progress", "deferred") and date.fromisoformat(self.due) < day

    def to_json(self, today: date | None = None) -> dict[str, Any]:
        out = {"id": self.label, "incident": self.incident, "title": self.title, "owner": self.owner, "due": self.due,
               "state": self.state, "cost": self.cost, "impact": self.impact, "impact_level": self.impact_name,
               "likelihood": self.likelihood_name, "horizon": self.horizon, "risk_score": self.risk_score,
               "proposed_by": self.proposed_by, "proposed_at": self.proposed_at.isoformat(),
               "deferred_until": self.deferred_until, "decision_reason": self.decision_reason,
               "decided_by": self.decided_by, "decided_at": self.decided_at.isoformat() if self.decided_at else None}
        if today is not None:
            out["overdue"] = self.overdue_on(today)
        return out


@dataclass(frozen=True)
class FollowUpOutcome:
    outcome: Outcome
    followup: FollowUpView
    replayed: bool = False


@dataclass(frozen=True)
class DraftOutcome:
    outcome: Outcome
    review: ReviewView
    markdown: str
    replayed: bool = False
