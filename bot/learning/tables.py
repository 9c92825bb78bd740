"""Rows of the learning phase: the post-incident review and follow-up actions.

Both are caches of the chain: every change is also an event on the incident's
chain carrying the new state (``review.*``, ``followup.*``), and the period
report checks the rows against those events.  Free text (titles, impact, cost,
reasons, the review draft) is redacted by ``bot purge``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.audit.evidence import register as register_evidence
from bot.store.types import UtcDateTime

REVIEW_STATES = ("due", "done")
FOLLOWUP_STATES = ("open", "in_progress", "done", "deferred", "risk_accepted")
FINISHED_FOLLOWUP_STATES = ("done", "risk_accepted")


class IncidentReview(SQLModel, table=True):
    """The post-incident review a playbook requires: who owns it, when it is due, when it was done."""

    __tablename__ = "incident_review"
    __table_args__ = (UniqueConstraint("incident_id", name="uq_incident_review_incident"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    owner: str = Field(max_length=64, description="Slack user id of the owner (the playbook's review owner role)")
    owner_role: str = Field(default="commander", max_length=64)
    business_days: int = Field(description="business days after the resolution it is due within")
    calendar: str = Field(default="", max_length=200, description="whose calendar counts: site id and holidays")
    zone: str = Field(default="UTC", max_length=64, description="IANA zone of that calendar")
    due_day: date = Field(description="the last business day, local to the calendar")
    due_at: datetime = Field(sa_type=UtcDateTime, index=True, description="the end of due_day, local")
    state: str = Field(default="due", max_length=16, index=True, description=" | ".join(REVIEW_STATES))
    drafts: int = Field(default=0, description="how many drafts were made")
    drafted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    draft: str | None = Field(default=None, sa_column=Column(Text, nullable=True),
                              description="the latest draft (Markdown); redacted by purge")
    draft_sha256: str | None = Field(default=None, max_length=64)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    completed_by: str | None = Field(default=None, max_length=64)
    document_url: str | None = Field(default=None, max_length=2000, description="where the final review lives")
    created_at: datetime = Field(sa_type=UtcDateTime)


class FollowUp(SQLModel, table=True):
    """A follow-up action: what, who, by when, and what it costs against the risk it removes."""

    __tablename__ = "followup"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    title: str = Field(max_length=500, description="what is to be done; redacted by purge")
    owner: str = Field(max_length=64, index=True, description="Slack user id")
    due: date = Field(description="local day in the owner's zone")
    zone: str = Field(default="UTC", max_length=64, description="the owner's zone when it was added")
    cost: str = Field(default="", max_length=500, description='estimate in the proposer\'s words, e.g. "3 days, EUR 2k"')
    impact: str = Field(default="", max_length=2000, description="plain words: what happens if it is not done")
    impact_level: int = Field(ge=1, le=5, description="1 negligible .. 5 severe")
    likelihood: int = Field(ge=1, le=5, description="1 rare .. 5 almost certain, over the horizon")
    horizon_months: int = Field(default=12, ge=1, le=120)
    state: str = Field(default="open", max_length=16, index=True, description=" | ".join(FOLLOWUP_STATES))
    deferred_until: date | None = None
    decision_reason: str = Field(default="", max_length=2000, description="why deferred / risk accepted")
    decided_by: str | None = Field(default=None, max_length=64, description="the risk owner who decided")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = Field(sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_by: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_type=UtcDateTime)


# Every row of these tables is evidence on its incident's chain (bot.audit.evidence); the columns named are text
# people typed, which the purge redacts.
register_evidence("incident_review", ("draft",))  # its draft_sha256 stays
register_evidence("followup", ("title", "cost", "impact", "decision_reason"))
