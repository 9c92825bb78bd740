"""Incident rows. Everything else about an incident (timeline, pages, obligations,
reminders) points here.

Only what the response needs is stored: no message bodies from the channel,
only what people explicitly record (status updates, notes, summary), and free
text is redacted by ``bot purge`` after the retention period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.audit.evidence import register as register_evidence
from bot.store.types import UtcDateTime


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True, description="sequential number shown to people (INC-42)")
    team_id: str = Field(default="", max_length=32, description="Slack workspace id, for multi-workspace readiness")
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=4000)
    severity: str = Field(max_length=64, index=True)
    playbook: str = Field(max_length=64)
    status: str = Field(default="active", max_length=16, index=True)  # active | resolved | closed
    private: bool = False
    reporter: str = Field(max_length=64)
    channel_id: str | None = Field(default=None, max_length=32, index=True)
    channel_name: str | None = Field(default=None, max_length=80)
    declared_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    purged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    triggers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                                     description="trigger name -> ISO 8601 UTC instant")
    summary: str | None = Field(default=None, max_length=20000, description="post-incident summary")
    regimes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False),
                               description="regulation regimes under consideration; only ever grows")
    paged_targets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False),
                                     description="rotas/escalation policies already paged for this incident")
    systems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"),
                               description="affected systems (ids in config/catalog.yaml)")
    derived_facts: dict[str, Any] = Field(default_factory=dict,
                                          sa_column=Column(JSON, nullable=False, server_default="{}"),
                                          description="facts derived from the systems: name -> value, because, "
                                                      "likelihood, citation (proposals until confirmed)")
    last_status_at: datetime | None = Field(default=None, sa_type=UtcDateTime,
                                            description="last status update; the cadence counts from here")


class RoleAssignment(SQLModel, table=True):
    """Who held which incident role when. The current holder has ``ended_at`` NULL."""

    __tablename__ = "incident_role"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    role: str = Field(max_length=64)
    user: str = Field(max_length=64, index=True, description="Slack user id")
    assigned_at: datetime = Field(sa_type=UtcDateTime)
    assigned_by: str = Field(max_length=64)
    how: str = Field(default="assigned", max_length=16, description="initial | assigned | handover")
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_by: str | None = Field(default=None, max_length=64)
    handover_note: str = Field(default="", max_length=2000, description="free text; redactable")


class ChecklistTask(SQLModel, table=True):
    __tablename__ = "incident_task"
    __table_args__ = (UniqueConstraint("incident_id", "task", name="uq_incident_task"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    task: str = Field(max_length=64, description="task id from the playbook")
    title: str = Field(max_length=500)
    owner_role: str | None = Field(default=None, max_length=64)
    phase: str = Field(default="declared", max_length=16, description="declared | resolved | closing")
    nudge_after_minutes: int | None = Field(default=None, description="checklist nudge if still open after this")
    created_at: datetime = Field(sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_by: str | None = Field(default=None, max_length=64)
    done_when: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True),
                                             description="the playbook's done_when, kept with the task it completes")


class TriggerApproval(SQLModel, table=True):
    """A request to move a legal clock's start; a second, different person decides."""

    __tablename__ = "trigger_approval"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    trigger: str = Field(max_length=64)
    current: str | None = Field(default=None, max_length=40)
    proposed: str = Field(max_length=40)
    reason: str = Field(default="", max_length=2000)
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default="pending", max_length=16, index=True)  # pending | approved | rejected
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ObligationSnooze(SQLModel, table=True):
    """Nudges for an obligation are silenced until ``until`` (never past its deadline)."""

    __tablename__ = "obligation_snooze"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    obligation_id: int = Field(index=True, description="row id of the obligation")
    until: datetime = Field(sa_type=UtcDateTime)
    by: str = Field(max_length=64)
    at: datetime = Field(sa_type=UtcDateTime)


class IdempotencyRecord(SQLModel, table=True):
    """The first result of an operation under a caller-chosen key; replays return it."""

    __tablename__ = "idempotency_record"

    key: str = Field(primary_key=True, max_length=200)
    operation: str = Field(max_length=64)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


class ApprovalRequest(SQLModel, table=True):
    """A change one person may not make alone (segregation of duties): it waits for a second person.

    ``action`` is ``set_fact`` (the fact turns legal duties off), ``mark_notified`` (the submission time is
    backdated beyond the tolerance) or ``publish_statement`` (a public statement the playbook has signed off);
    ``payload`` holds the change's arguments, ``why`` what made it need approval.
    """

    __tablename__ = "approval_request"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    action: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    why: str = Field(default="", max_length=2000, description="what makes it need a second person")
    reason: str = Field(default="", max_length=2000, description="the requester's reason; redactable")
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default="pending", max_length=16, index=True)  # pending | approved | rejected
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_note: str = Field(default="", max_length=2000, description="redactable")


class PublicStatement(SQLModel, table=True):
    """A public statement about an incident (``/incident statement``), as drafted and as decided: a cache of the
    chain's ``statement.*`` events, which hold the exact text; the status page reads the events, never this row.

    ``state`` is ``pending`` (waiting for sign-off, ``approval_id``), ``published`` or ``rejected``.
    """

    __tablename__ = "public_statement"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    status: str = Field(max_length=16, description="investigating | identified | monitoring | resolved")
    text: str = Field(max_length=2000, description="the statement as drafted; redactable")
    state: str = Field(default="pending", max_length=16, index=True)  # pending | published | rejected
    drafted_by: str = Field(max_length=64)
    drafted_at: datetime = Field(sa_type=UtcDateTime)
    approval_id: int | None = Field(default=None, foreign_key="approval_request.id")
    decided_by: str | None = Field(default=None, max_length=64, description="who signed it off or rejected it")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


# Every row of these tables is evidence on its incident's chain (bot.audit.evidence); the columns named are text
# people typed, which the purge redacts (an incident's channel name carries its title's slug).
register_evidence("incident", ("title", "description", "summary", "channel_name"))
register_evidence("incident_role", ("handover_note",))
register_evidence("incident_task")
register_evidence("trigger_approval", ("reason",))
register_evidence("obligation_snooze")
register_evidence("approval_request", ("reason", "decision_note"))
register_evidence("public_statement", ("text",))
