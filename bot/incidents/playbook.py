"""Severity playbooks: ``playbooks/<id>.yaml``, one per file.

A playbook says, for one severity, everything the bot does when an incident is
declared at that severity or moved to it: the criteria shown to the person
choosing, the channel, the roles, whom to page, who is told internally and
when, who owns external communication, which regulations to consider and which
facts to ask for, the checklist, the status-update cadence and reminder
overrides.  See ``docs/playbooks.md``.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
import string
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Duration, Identifier

from bot.deadlines.policy import ReminderPolicy  # per-playbook deadline-reminder overrides

Phase = Literal["declared", "resolved", "closing"]
NotifyWhen = Literal["declared", "escalated", "downgraded", "severity_changed", "status_update", "resolved", "closed"]
CHANNEL_PLACEHOLDERS = ("prefix", "number", "slug", "severity", "date")
TOPIC_PLACEHOLDERS = ("label", "title", "severity", "severity_name", "commander", "status")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check_template(template: str, allowed: tuple[str, ...]) -> str:
    try:
        used = _placeholders(template)
    except ValueError:
        raise ValueError(f'expected a template with balanced braces like "{{prefix}}-{{number}}", got "{template}"') from None
    unknown = sorted(used - set(allowed))
    if unknown:
        raise ValueError(f"expected placeholders among {{{'}, {'.join(allowed)}}}, got {{{unknown[0]}}}")
    return template


class ChannelSpec(ConfigModel):
    name: str = Field("{prefix}-{number}-{slug}", description="channel name template; placeholders: "
                      + ", ".join("{%s}" % p for p in CHANNEL_PLACEHOLDERS))
    private: bool = Field(False, description="private channel; security and privacy incidents should be private")
    topic: str = Field("{label} | {severity_name} | commander: {commander} | {status}",
                       description="topic template (<= 250 chars after filling); placeholders: "
                       + ", ".join("{%s}" % p for p in TOPIC_PLACEHOLDERS))
    bookmarks: list["BookmarkSpec"] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        _check_template(value, CHANNEL_PLACEHOLDERS)
        if "{number}" not in value:
            raise ValueError(f'expected a channel name template containing {{number}} so names are unique, got "{value}"')
        literal = re.sub(r"\{[a-z_]+\}", "", value)
        if not re.fullmatch(r"[a-z0-9_\-]*", literal):
            raise ValueError(f'expected only lowercase letters, digits, "-" and "_" around the placeholders, got "{value}"')
        return value

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        return _check_template(value, TOPIC_PLACEHOLDERS)


class BookmarkSpec(ConfigModel):
    title: str = Field(min_length=1, max_length=100)
    url: str = Field(pattern=r"^https://\S+$", description="https URL")


class RoleSpec(ConfigModel):
    id: Identifier = Field(description="role id, e.g. commander, comms_lead, scribe, legal")
    title: str = Field(min_length=1, description="shown to people, e.g. Incident commander")
    description: str = Field("", description="what the holder does; sent to them when they get the role")
    initial: Literal["reporter", "unfilled"] = Field("unfilled", description="who holds it at declaration")
    required: bool = Field(False, description="the welcome message asks for someone to take it")


class ExceptionSpec(ConfigModel):
    """Declare a named labor-law exception (e.g. emergency work) when paging for this severity."""

    id: Identifier | None = Field(None, description="exception id from the labor profile; omitted: the one the "
                                  "person's profile names for this severity")
    justification: str = Field(min_length=20, description="why the exception is justified; recorded with every use")


class PageSpec(ConfigModel):
    target: Identifier = Field(description="rotation or escalation policy id from config/rotas.yaml")
    urgency: Literal["high", "low"] = "high"
    exception: ExceptionSpec | None = Field(None, description="labor-law exception to declare where the law allows")


class NotificationSpec(ConfigModel):
    when: list[NotifyWhen] = Field(min_length=1, description="lifecycle moments that trigger this notification")
    channels: list[str] = Field(default_factory=list, description="channel names (without #)")
    user_groups: list[str] = Field(default_factory=list, description="Slack user group handles (without @)")
    people: list[Identifier] = Field(default_factory=list, description="person ids from config/people.yaml (DM)")
    message: str = Field("", description="extra line added to the notification")

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,79}", name):
                raise ValueError(f'expected a channel name like "exec-updates" (no #), got "{name}"')
        return value

    @model_validator(mode="after")
    def _someone(self) -> "NotificationSpec":
        if not (self.channels or self.user_groups or self.people):
            raise ValueError("expected at least one of channels, user_groups or people to notify, got none")
        return self


class CommunicationSpec(ConfigModel):
    external_owner: Identifier = Field(description="role that owns customer/public communication")
    authority_owner: Identifier | None = Field(None, description="role that notifies authorities (legal/DPO)")
    approval_needed_from: list[Identifier] = Field(default_factory=list,
                                                    description="roles that sign off external statements")


class SuggestSpec(ConfigModel):
    """When the systems an incident affects make this severity the suggestion (any of the lists matching)."""

    criticality: list[Literal["critical", "high", "medium", "low"]] = Field(
        default_factory=list, description="an affected system of one of these criticalities")
    systems: list[str] = Field(default_factory=list, description="one of these systems (ids in config/catalog.yaml)")
    data: list[str] = Field(default_factory=list, description="a system holding one of these data classes")


class RegulationSpec(ConfigModel):
    consider: list[Identifier] = Field(default_factory=list, description="regime ids from config/regulations/")
    ask_facts: list[Identifier] = Field(default_factory=list, description="facts the declare form asks for")


class DoneWhen(ConfigModel):
    """The state a task asks for: reached by whichever command reached it, the task is done by itself
    (bot/incidents/task_rules.py). Exactly one of the three."""

    trigger: str | None = Field(None, description="this legal clock's trigger has been recorded (e.g. aware)")
    obligations_settled: list[str] | None = Field(
        None, min_length=1, description='patterns of obligation ids (e.g. "*.data_subjects", "gdpr.*", "*"): the '
        "incident has such an obligation that needs a decision, and every one is notified or marked not required")
    statement_published: bool | None = Field(
        None, description="true: a public statement about the incident has been published (/incident statement, "
        "signed off where the playbook asks)")

    @field_validator("trigger")
    @classmethod
    def _known_trigger(cls, value: str | None) -> str | None:
        from bot.deadlines.rules import TRIGGERS

        if value is not None and value not in TRIGGERS:
            raise ValueError(f'expected a trigger ({", ".join(TRIGGERS)}), got "{value}"')
        return value

    @field_validator("obligations_settled")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            if not re.fullmatch(r"[a-z0-9_.*?\[\]-]{1,120}", pattern):
                raise ValueError(f'expected an obligation id or a pattern like "*.data_subjects", got "{pattern}"')
        return value

    @model_validator(mode="after")
    def _one(self) -> "DoneWhen":
        given = [self.trigger, self.obligations_settled, self.statement_published]
        if sum(value is not None for value in given) != 1:
            raise ValueError("expected exactly one of trigger, obligations_settled and statement_published")
        if self.statement_published is False:
            raise ValueError("statement_published: expected true (the task is done once a statement is published); "
                             "a task that is not done that way has no done_when")
        return self


class TaskSpec(ConfigModel):
    id: Identifier
    title: str = Field(min_length=1, max_length=300)
    owner: Identifier = Field(description="role responsible")
    phase: Phase = Field("declared", description="declared (during response), resolved (after impact) or closing")
    nudge_after: Duration | None = Field(None, description="remind the owner if still open after this long")
    done_when: DoneWhen | None = Field(None, description="the task is done by itself once the incident reaches this "
                                       "state (a trigger recorded, obligations settled, a statement published); a person can still tick it")


class StatusUpdateSpec(ConfigModel):
    cadence: Duration = Field(description="how often a status update is due while the incident is active")
    owner: Identifier = Field("commander", description="role reminded when an update is due")
    to_feed: bool = Field(True, description="repeat updates in the feed channel (redacted when private)")

    @field_validator("cadence")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=5):
            raise ValueError(f"expected a cadence of at least 5m, got {int(value.total_seconds() // 60)}m")
        return value


class ReviewSpec(ConfigModel):
    """The post-incident review this severity requires (bot/learning/reviews.py)."""

    required: bool = Field(True, description="a review is required after resolution; false: none is tracked")
    within_business_days: int = Field(5, ge=1, le=60, description="due at the end of this business day after the "
                                      "resolution day, on the review calendar")
    owner: Identifier = Field("commander", description="role whose holder at resolution owns the review")
    site: Identifier | None = Field(None, description="site (config/people.yaml) whose business days count; "
                                    "default: the owner's own site, else weekdays in the workspace zone")
    remind_before_business_days: int = Field(1, ge=0, le=10, description="also nudge the owner this many business "
                                             "days before the due day (0: only on the due day and after)")


class PlaybookFile(ConfigModel):
    id: Identifier = Field(description="severity id, the file name without .yaml (sev1 .. sev4, security)")
    name: str = Field(min_length=1, description='shown to people, e.g. "SEV1 - critical"')
    rank: int = Field(ge=1, le=9, description="1 = most severe; moving to a lower rank number is an escalation")
    criteria: list[str] = Field(min_length=1, description="what makes an incident this severity")
    description: str = ""
    channel: ChannelSpec = Field(default_factory=ChannelSpec)
    roles: list[RoleSpec] = Field(min_length=1)
    paging: list[PageSpec] = Field(default_factory=list)
    notifications: list[NotificationSpec] = Field(default_factory=list)
    communications: CommunicationSpec
    regulations: RegulationSpec = Field(default_factory=RegulationSpec)
    checklist: list[TaskSpec] = Field(default_factory=list)
    status_updates: StatusUpdateSpec
    reminders: ReminderPolicy | None = Field(None, description="deadline-reminder overrides for this severity")
    suggest_when: SuggestSpec | None = Field(None, description="suggest this severity when the affected systems match")
    review: ReviewSpec | None = Field(None, description="post-incident review: required, due within N business days")

    @model_validator(mode="after")
    def _roles_known(self) -> "PlaybookFile":
        ids = [r.id for r in self.roles]
        duplicates = sorted({r for r in ids if ids.count(r) > 1})
        if duplicates:
            raise ValueError(f"expected each role once, got {duplicates[0]} twice")
        if "commander" not in ids:
            raise ValueError(f"expected a commander role among roles, got {', '.join(ids)}")
        tasks = [t.id for t in self.checklist]
        dup_tasks = sorted({t for t in tasks if tasks.count(t) > 1})
        if dup_tasks:
            raise ValueError(f"expected each checklist task id once, got {dup_tasks[0]} twice")
        return self

    def role(self, role_id: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.id == role_id), None)

    @property
    def cadence(self) -> timedelta:
        """Status-update cadence while active (read by the scheduler)."""
        return self.status_updates.cadence

    def summary(self) -> str:
        return (f"{self.id} ({self.name}): {len(self.roles)} roles, {len(self.paging)} page target(s), "
                f"{len(self.regulations.consider)} regime(s), {len(self.checklist)} task(s), "
                f"updates every {int(self.cadence.total_seconds() // 60)} min")


ChannelSpec.model_rebuild()


def playbooks(config: Any) -> dict[str, PlaybookFile]:
    """All playbooks of a configuration by id."""
    return {p.id: p for p in config.all("playbook")}


def playbook_for(config: Any, severity: str) -> PlaybookFile | None:
    return playbooks(config).get(severity)


def _suggest_issues(config: Any, loaded: Any, pb: PlaybookFile) -> list[ConfigIssue]:
    """Systems and data classes a playbook's suggestion names must exist in config/catalog.yaml."""
    if pb.suggest_when is None:
        return []
    from bot.deadlines.systems import data_classes, hint, system_ids

    issues = []
    systems, classes = system_ids(config), data_classes(config)
    for i, system in enumerate(pb.suggest_when.systems):
        if system not in systems:
            issues.append(loaded.issue(("suggest_when", "systems", i), f'unknown system "{system}"{hint(system, systems)}'
                                       f"; systems in config/catalog.yaml: {', '.join(sorted(systems)) or 'none'}"))
    for i, name in enumerate(pb.suggest_when.data):
        if name not in classes:
            issues.append(loaded.issue(("suggest_when", "data", i), f'unknown data class "{name}"{hint(name, classes)}'))
    return issues


def _done_when_issues(loaded: Any, pb: PlaybookFile, obligations: set[str]) -> list[ConfigIssue]:
    """A pattern no obligation of config/regulations/ matches would keep its task open for ever, silently."""
    issues = []
    for i, task in enumerate(pb.checklist):
        patterns = task.done_when.obligations_settled if task.done_when else None
        for j, pattern in enumerate(patterns or [] if obligations else []):
            if not fnmatch.filter(obligations, pattern):
                issues.append(loaded.issue(("checklist", i, "done_when", "obligations_settled", j),
                                           f'"{pattern}" matches no obligation in config/regulations/ (ids look like '
                                           '"gdpr.data_subjects"; patterns use * and ?)'))
    return issues


def _referenced_roles(pb: PlaybookFile) -> list[tuple[tuple[Any, ...], str]]:
    refs: list[tuple[tuple[Any, ...], str]] = [(("communications", "external_owner"), pb.communications.external_owner),
                                               (("status_updates", "owner"), pb.status_updates.owner)]
    if pb.communications.authority_owner:
        refs.append((("communications", "authority_owner"), pb.communications.authority_owner))
    refs += [(("communications", "approval_needed_from", i), r) for i, r in enumerate(pb.communications.approval_needed_from)]
    refs += [(("checklist", i, "owner"), t.owner) for i, t in enumerate(pb.checklist)]
    if pb.review is not None:
        refs.append((("review", "owner"), pb.review.owner))
    return refs


def _known(kind: str, fn_path: str, config: Any) -> set[str]:
    """Ids from another package's accessor; empty when no file of ``kind`` is configured."""
    if not config.loaded(kind):
        return set()
    module, _, name = fn_path.rpartition(".")
    fn = getattr(importlib.import_module(module), name)
    return set(fn(config))


def cross_check(config: Any) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    rotas = _known("rotas", "bot.oncall.directory.rota_ids", config)
    people = _known("people", "bot.oncall.directory.person_ids", config)
    regimes = _known("regulation", "bot.deadlines.catalog.regime_ids", config)
    facts = _known("regulation", "bot.deadlines.catalog.fact_names", config)
    obligations = _known("regulation", "bot.deadlines.catalog.obligation_ids", config)
    seen: dict[str, str] = {}
    for loaded in config.loaded("playbook"):
        pb: PlaybookFile = loaded.model
        stem = loaded.file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if pb.id != stem:
            issues.append(loaded.issue(("id",), f'expected the id to match the file name "{stem}", got "{pb.id}"'))
        if pb.id in seen:
            issues.append(loaded.issue(("id",), f'playbook id "{pb.id}" is already used by {seen[pb.id]}'))
        seen.setdefault(pb.id, loaded.file)
        roles = {r.id for r in pb.roles}
        for path, role in _referenced_roles(pb):
            if role not in roles:
                issues.append(loaded.issue(path, f'unknown role "{role}"; roles of this playbook: {", ".join(sorted(roles))}'))
        for i, page in enumerate(pb.paging):
            if page.target not in rotas:
                issues.append(loaded.issue(("paging", i, "target"), f'unknown rota or escalation policy "{page.target}"; '
                                           f"known: {', '.join(sorted(rotas)) or 'none (config/rotas.yaml)'}"))
        for i, note in enumerate(pb.notifications):
            for j, person in enumerate(note.people):
                if person not in people:
                    issues.append(loaded.issue(("notifications", i, "people", j),
                                               f'unknown person "{person}"; add them to config/people.yaml or fix the id'))
        if pb.review is not None and pb.review.site is not None and config.loaded("people") and \
                pb.review.site not in {site.id for site in config.one("people").sites}:
            issues.append(loaded.issue(("review", "site"), f'unknown site "{pb.review.site}"; the review counts the '
                                       "business days of a site in config/people.yaml"))
        for i, regime in enumerate(pb.regulations.consider):
            if regime not in regimes:
                issues.append(loaded.issue(("regulations", "consider", i), f'unknown regulation regime "{regime}"; '
                                           f"known: {', '.join(sorted(regimes)) or 'none (config/regulations/)'}"))
        issues.extend(_done_when_issues(loaded, pb, obligations))
        for i, fact in enumerate(pb.regulations.ask_facts):
            if fact not in facts:
                issues.append(loaded.issue(("regulations", "ask_facts", i), f'unknown fact "{fact}"; the regulations '
                                           f"ask about: {', '.join(sorted(facts)) or 'none'}"))
        issues.extend(_suggest_issues(config, loaded, pb))
        if pb.channel.private is False and any(r in {"security_lead", "dpo"} for r in roles):
            issues.append(loaded.issue(("channel", "private"), "a playbook with a security or data-protection role "
                                       "usually needs a private channel; set channel.private: true unless intended",
                                       "warning"))
    return issues
