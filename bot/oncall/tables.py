"""Pages sent, call-outs worked and exceptions used: the on-call facts the labor rules need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.audit.evidence import register as register_evidence
from bot.store.types import UtcDateTime

PAGE_STATUSES = ("planned", "held", "sent", "acked", "declined", "escalated", "cancelled")


class Page(SQLModel, table=True):
    __tablename__ = "page"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    alert_group_id: int | None = Field(default=None, foreign_key="alert_group.id", index=True,
                                       description="the alert group a page route paged for (no incident)")
    target: str = Field(max_length=64, description="rotation or escalation policy id that was paged")
    level: int = Field(description="escalation level, 1-based; continues counting through repeats")
    person_id: str = Field(max_length=64, index=True)
    slack_user: str = Field(max_length=32)
    role: str = Field(default="on_call", max_length=16, description="on_call | deputy | person | fallback")
    status: str = Field(default="planned", max_length=16, index=True, description=" | ".join(PAGE_STATUSES))
    severity: str = Field(default="", max_length=64)
    urgency: str = Field(default="high", max_length=8)
    page_at: datetime = Field(sa_type=UtcDateTime, description="when it goes (or went) out; later for held pages")
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ack_timeout_minutes: int = 5
    reason: str = Field(default="", max_length=2000, description="why this person, notes, decline reason")
    exception_id: str | None = Field(default=None, max_length=64, description="labor exception it was sent under")
    created_at: datetime = Field(sa_type=UtcDateTime)


class Engagement(SQLModel, table=True):
    """Time actually worked: a call-out from an acknowledged page (ack to release), or work recorded afterwards."""

    __tablename__ = "engagement"

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64, index=True)
    start: datetime = Field(sa_type=UtcDateTime, index=True)
    end: datetime | None = Field(default=None, sa_type=UtcDateTime)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    page_id: int | None = Field(default=None, foreign_key="page.id")
    kind: str = Field(default="callout", max_length=32, description="callout | work (e.g. a planned night migration)")
    source: str = Field(default="page", max_length=16, sa_column_kwargs={"server_default": "page"},
                        description="page (an acknowledged page) | record (work recorded afterwards)")
    note: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    recorded_by: str | None = Field(default=None, max_length=64, description="who recorded it (records only)")
    recorded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ExceptionUse(SQLModel, table=True):
    """A named labor exception used to page someone: who declared it, why, and the rest owed."""

    __tablename__ = "exception_use"

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64, index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    page_id: int | None = Field(default=None, foreign_key="page.id")
    exception_id: str = Field(max_length=64)
    rules_waived: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    justification: str = Field(max_length=4000)
    declared_by: str = Field(max_length=64)
    at: datetime = Field(sa_type=UtcDateTime)
    compensatory_rest_hours: float = 0
    compensatory_rest_until: datetime | None = Field(default=None, sa_type=UtcDateTime,
                                                     description="set when the call-out ends")
    citation: str = Field(default="", max_length=500)
    confirmed_by: str | None = Field(default=None, max_length=64,
                                     description="who confirmed the exception (declare_exception); None: unconfirmed")
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    confirmation: str = Field(default="", max_length=4000, sa_column_kwargs={"server_default": ""},
                              description="the justification typed by the person who confirmed it; redactable")


class RestDebt(SQLModel, table=True):
    """Compensatory rest owed to a person, and when it was scheduled (the rest ledger, :mod:`bot.oncall.rest_ledger`)."""

    __tablename__ = "rest_debt"
    __table_args__ = (UniqueConstraint("source", "kind", name="uq_rest_debt_source_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64, index=True)
    kind: str = Field(default="compensatory_rest", max_length=32,
                      description="compensatory_rest | replacement_rest_day")
    hours: float = Field(description="consecutive hours of rest owed")
    owed_since: datetime = Field(sa_type=UtcDateTime, index=True, description="when it became owed (the call-out's end)")
    schedule_by: datetime | None = Field(default=None, sa_type=UtcDateTime,
                                         description="unscheduled after this, the person's manager is nudged")
    take_by: datetime | None = Field(default=None, sa_type=UtcDateTime, description="must be taken by (if the rule says)")
    reason: str = Field(default="", max_length=500)
    citation: str = Field(default="", max_length=500)
    source: str = Field(max_length=64, description='what made it owed: "exception_use:<id>" or "engagement:<id>"')
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    scheduled_start: datetime | None = Field(default=None, sa_type=UtcDateTime)
    scheduled_end: datetime | None = Field(default=None, sa_type=UtcDateTime)
    scheduled_by: str | None = Field(default=None, max_length=64)
    scheduled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    nudged_at: datetime | None = Field(default=None, sa_type=UtcDateTime, description="when the manager was nudged")
    created_at: datetime = Field(sa_type=UtcDateTime)


COVER_STATUSES = ("proposed", "accepted", "refused", "declined", "withdrawn")


class CoverRequest(SQLModel, table=True):
    """A cover or swap asked for in chat; once accepted, an override stored here (:mod:`bot.oncall.covers`)."""

    __tablename__ = "cover_request"

    id: int | None = Field(default=None, primary_key=True)
    rotation: str = Field(max_length=64, index=True)
    taker: str = Field(max_length=64, index=True, description="person who takes the shifts")
    replaces: str | None = Field(default=None, max_length=64, description="person covered; None: whoever is rostered")
    start: datetime = Field(sa_type=UtcDateTime)
    end: datetime = Field(sa_type=UtcDateTime)
    reason: str = Field(default="", max_length=500)
    status: str = Field(default="proposed", max_length=16, index=True, description=" | ".join(COVER_STATUSES))
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = Field(sa_type=UtcDateTime)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    refusal: str = Field(default="", max_length=2000, description="the rules and citations that refused it")


# Every row of these tables is evidence on its incident's chain, or on the global chain when it belongs to no
# incident (bot.audit.evidence); the columns named are text people typed, which the purge redacts. Cover requests
# say who agreed to take whose shifts (the hours and rest they count in); their refusal is the rules and citations.
register_evidence("page", ("reason",))
register_evidence("exception_use", ("justification", "confirmation"))
register_evidence("engagement", ("note",))
register_evidence("rest_debt")
register_evidence("cover_request", ("reason",))


class CalendarLink(SQLModel, table=True):
    """A live calendar URL (``/web/calendar/<token>.ics``): only the SHA-256 of its secret token is kept.

    Not an evidence table: its row holds the token's hash, which the chain must never carry. Issuing and revoking
    are events on the global chain naming the link's id and scope (:mod:`bot.oncall.calendar_links`)."""

    __tablename__ = "calendar_link"
    # Ids are never given twice (SQLite reuses the highest once its row is deleted): the chain names links by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True, description="hex SHA-256 of the secret token")
    person_id: str | None = Field(default=None, max_length=64, index=True, description="the feed of this person")
    rotation_id: str | None = Field(default=None, max_length=64, description="or of this rotation")
    issued_by: str = Field(max_length=64)
    issued_at: datetime = Field(sa_type=UtcDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    revoked_by: str | None = Field(default=None, max_length=64)
