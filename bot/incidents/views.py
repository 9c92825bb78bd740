"""Plain, immutable views returned by :class:`bot.incidents.service.IncidentService`.

They are detached copies (never live ORM rows), safe to use after the unit of
work has ended and on any thread.  Instants are aware UTC.  Every type here
round-trips through :mod:`bot.incidents.codec`, which is how an idempotent
replay returns exactly the first result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.ports import Notice

PostTarget = Literal["incident_channel", "channel", "user", "user_group"]


@dataclass(frozen=True)
class RoleView:
    role: str  # role id from the playbook, e.g. "commander"
    title: str  # "Incident commander"
    user: str | None  # Slack user id of the holder, None when unfilled
    assigned_at: datetime | None = None
    assigned_by: str | None = None


@dataclass(frozen=True)
class IncidentView:
    id: int
    number: int
    label: str  # "INC-42"
    title: str
    description: str
    severity: str  # playbook id: sev1..sev4, security
    severity_name: str
    status: Literal["active", "resolved", "closed"]
    private: bool
    reporter: str
    channel_id: str | None
    channel_name: str | None
    declared_at: datetime
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    triggers: dict[str, str] = field(default_factory=dict)  # name -> ISO 8601 UTC
    roles: tuple[RoleView, ...] = ()
    regimes: tuple[str, ...] = ()  # regulation regimes under consideration (only ever grows)
    summary: str | None = None
    systems: tuple[str, ...] = ()  # affected systems (config/catalog.yaml)
    derived_facts: dict[str, Any] = field(default_factory=dict)  # name -> {value, because, likelihood, citation}

    def holder(self, role: str) -> str | None:
        return next((r.user for r in self.roles if r.role == role), None)


@dataclass(frozen=True)
class TaskView:
    id: int
    incident_id: int
    task: str  # task id from the playbook checklist
    title: str
    owner_role: str | None
    phase: str  # "declared" | "resolved" | "closing"
    done: bool
    done_by: str | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class PageView:
    id: int
    incident_id: int | None
    target: str  # rotation or escalation policy id
    level: int
    person_id: str
    slack_user: str
    status: str  # planned | held | sent | acked | declined | escalated | cancelled
    urgency: str
    page_at: datetime | None = None
    acked_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ObligationView:
    id: int
    incident_id: int
    obligation: str  # "gdpr.authority"
    regime: str
    recipient: str
    stage: str
    status: str  # open | notified | not_required | not_applicable | informational | qualitative
    due_at: datetime | None = None
    estimated: bool = False
    citation: str = ""
    notified_at: datetime | None = None
    reference: str | None = None
    evidence_url: str | None = None
    not_required_reason: str | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class ApprovalView:
    """A pending (or decided) request to move a legal clock's start (segregation of duties)."""

    id: int
    incident_id: int
    trigger: str
    current: str | None  # ISO 8601 UTC or None
    proposed: str  # ISO 8601 UTC
    reason: str
    requested_by: str
    requested_at: datetime
    status: Literal["pending", "approved", "rejected"]
    decided_by: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class EventView:
    seq: int
    at: datetime
    actor: str
    kind: str
    summary: str
    data: dict[str, Any]
    hash: str
    redacted: bool = False


@dataclass(frozen=True)
class Post:
    """A message the adapter must deliver. ``key`` makes the delivery idempotent.

    ``target`` is the incident channel (``incident_channel``, ``to`` empty), a
    channel by name (``channel``), a Slack user by id (``user``, a DM) or a Slack
    user group by handle (``user_group``: post in the feed channel mentioning it).
    """

    target: PostTarget
    to: str
    notice: Notice
    key: str


@dataclass(frozen=True)
class Bookmark:
    title: str
    url: str


@dataclass(frozen=True)
class ChannelPlan:
    """What the adapter creates for a newly declared incident."""

    name: str  # lowercase [a-z0-9-_], <= 80 chars; on a collision the adapter adds a suffix
    private: bool
    topic: str  # <= 250 chars
    invite: tuple[str, ...]  # Slack user ids (reporter first)
    welcome: tuple[Notice, ...]  # welcome, roles, checklist: post in this order, pin the first
    bookmarks: tuple[Bookmark, ...] = ()
    not_invitable: tuple[str, ...] = ()  # people the playbook names who have no Slack account in people.yaml


@dataclass(frozen=True)
class Outcome:
    """Result of a lifecycle operation other than declare."""

    incident: IncidentView
    posts: tuple[Post, ...] = ()
    pages: tuple[PageView, ...] = ()  # pages created (or changed) by the operation
    obligations: tuple[ObligationView, ...] = ()  # obligations created or changed
    tasks: tuple[TaskView, ...] = ()  # checklist rows created or completed
    approval: ApprovalView | None = None  # pending/decided trigger change
    invite: tuple[str, ...] = ()  # Slack users the adapter should add to the incident channel
    message: str = ""  # one sentence for the actor ("Severity changed to SEV1 ...")
    replayed: bool = False  # True when this is the stored result of an earlier call with the same key


@dataclass(frozen=True)
class DeclareResult:
    incident: IncidentView
    channel: ChannelPlan
    announcements: tuple[Post, ...] = ()  # feed channel (redacted when private), notifications on declare
    pages: tuple[PageView, ...] = ()
    obligations: tuple[ObligationView, ...] = ()
    tasks: tuple[TaskView, ...] = ()
    replayed: bool = False


@dataclass(frozen=True)
class SeverityOption:
    """A severity a responder can choose, with the criteria that define it (for the declare modal)."""

    id: str
    name: str
    rank: int
    criteria: tuple[str, ...]
    private: bool
    facts: tuple[str, ...]  # facts the declare form should ask for
