"""``config/permissions.yaml``: who may do what, least privilege.

Each action lists principals:

* ``everyone`` - any Slack user of the workspace
* ``admins`` - ``settings.admins``
* ``reporter`` - the person who declared the incident
* ``role:<id>`` - the current holder of that incident role (``role:commander``)
* ``role_holder`` - the current holder of the role being handed over
* ``task_owner`` - the holder of the checklist task's owner role
* ``page_recipient`` - the person a page was sent to
* ``response_team`` - the reporter, anyone who holds or held a role in the incident, anyone paged for it
* ``channel_member`` - a member of the incident's Slack channel (asked of Slack when it matters)
* ``auditors`` - the people listed under ``auditors:`` in this file (read access, never write: allowed in
  ``read_private`` only)
* ``review_owner`` - the owner of the incident's post-incident review
* ``followup_owner`` - the owner of the follow-up action acted on
* ``group:<id>`` - a named group from this file (person ids or Slack user ids)
* ``person:<id>`` - a person from ``config/people.yaml``
* ``user:<Slack id>`` - one Slack user

Actions left out of the file keep the defaults below (shown by ``docs/permissions.md``).

A private incident is invisible to anyone outside ``read_private``: every
read (timeline, deadlines, export, App Home) and every action on it is
answered exactly as if the incident did not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import AfterValidator, Field
from typing_extensions import Annotated

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Identifier
from bot.incidents.errors import NotFound, PermissionDenied

_PRINCIPAL = re.compile(r"^(everyone|admins|reporter|role_holder|task_owner|page_recipient|response_team|"
                        r"channel_member|auditors|review_owner|followup_owner|"
                        r"role:[a-z0-9][a-z0-9_.\-]*|group:[a-z0-9][a-z0-9_.\-]*|person:[a-z0-9][a-z0-9_.\-]*|"
                        r"user:[UW][A-Z0-9]{2,})$")


def _principal(value: str) -> str:
    if not _PRINCIPAL.match(value):
        raise ValueError('expected a principal like "everyone", "admins", "auditors", "reporter", "role:commander", '
                         f'"group:legal", "person:alice" or "user:U012AB3CD", got "{value}"')
    return value


Principal = Annotated[str, AfterValidator(_principal)]
Principals = list[Principal]

LEGAL = ["role:comms_lead", "role:legal", "admins"]


class ActionRules(ConfigModel):
    declare: Principals = Field(default_factory=lambda: ["everyone"])
    change_severity: Principals = Field(default_factory=lambda: ["role:commander", "admins"])
    attach_channel: Principals = Field(default_factory=lambda: ["role:commander", "admins"])
    assign_role: Principals = Field(default_factory=lambda: ["role:commander", "admins"])
    hand_over_role: Principals = Field(default_factory=lambda: ["role_holder", "role:commander", "admins"])
    post_status: Principals = Field(default_factory=lambda: ["role:commander", "role:comms_lead", "role:scribe", "admins"])
    add_note: Principals = Field(default_factory=lambda: ["everyone"])
    set_fact: Principals = Field(default_factory=lambda: ["role:commander", "role:comms_lead", "role:legal", "admins"])
    set_systems: Principals = Field(default_factory=lambda: ["role:commander", "role:comms_lead", "role:legal", "admins"])
    confirm_fact: Principals = Field(default_factory=lambda: ["role:legal", "admins"])
    set_trigger: Principals = Field(default_factory=lambda: list(LEGAL))
    approve_trigger_change: Principals = Field(default_factory=lambda: list(LEGAL))
    complete_task: Principals = Field(default_factory=lambda: ["task_owner", "role:commander", "admins"])
    acknowledge_page: Principals = Field(default_factory=lambda: ["page_recipient", "admins"])
    decline_page: Principals = Field(default_factory=lambda: ["page_recipient", "admins"])
    mark_notified: Principals = Field(default_factory=lambda: list(LEGAL))
    mark_not_required: Principals = Field(default_factory=lambda: list(LEGAL))
    snooze_obligation: Principals = Field(default_factory=lambda: list(LEGAL))
    record_delay: Principals = Field(default_factory=lambda: ["role:legal", "admins"])
    resolve: Principals = Field(default_factory=lambda: ["role:commander", "admins"])
    close: Principals = Field(default_factory=lambda: ["role:commander", "admins"])
    read_private: Principals = Field(default_factory=lambda: ["response_team", "channel_member", "admins", "auditors"])
    # Segregation of duties: a fact change that turns a legal duty off is made directly only by these; anyone
    # else's waits for a second person. Backdated notifications and late first legal clocks always wait.
    remove_legal_duty: Principals = Field(default_factory=lambda: ["role:legal", "admins"])
    approve_request: Principals = Field(default_factory=lambda: list(LEGAL))
    # Labor-law exceptions: one applied at declaration stays unconfirmed until one of these confirms it with
    # a justification they type themselves.
    declare_exception: Principals = Field(default_factory=lambda: ["admins"])
    # After the incident (bot/learning): milestones, the review, follow-up actions.
    set_milestone: Principals = Field(default_factory=lambda: ["role:commander", "role:scribe", "admins"])
    draft_review: Principals = Field(default_factory=lambda: ["review_owner", "role:commander", "role:scribe", "admins"])
    complete_review: Principals = Field(default_factory=lambda: ["review_owner", "role:commander", "admins"])
    add_followup: Principals = Field(default_factory=lambda: ["everyone"])
    update_followup: Principals = Field(default_factory=lambda: ["followup_owner", "role:commander", "admins"])
    # Deferring a follow-up or accepting its risk: the product owner, never the person who proposed it
    # (checked in the service, whatever this list says). Nobody until configured.
    risk_owner: Principals = Field(default_factory=list)
    # Recording a tabletop exercise or drill of the response plan (ISO/IEC 27001 A.5.24): admins until configured.
    record_exercise: Principals = Field(default_factory=lambda: ["admins"])
    # Public statements (bot/incidents/statements.py): besides these, the holder of the playbook's
    # communications.external_owner role drafts, and the holders of its approval_needed_from roles sign off
    # (never the drafter).
    draft_statement: Principals = Field(default_factory=lambda: ["admins"])
    approve_statement: Principals = Field(default_factory=lambda: ["admins"])
    # Live calendar links (bot/reports/calendar_links.py): everyone may get one for their own shifts; a link to a
    # rotation's feed or to someone else's, and revoking someone else's, need this.
    issue_calendar_link: Principals = Field(default_factory=lambda: ["admins"])


ACTIONS = tuple(ActionRules.model_fields)


class PermissionsFile(ConfigModel):
    groups: dict[Identifier, list[str]] = Field(default_factory=dict,
                                                 description="named groups: person ids or Slack user ids")
    auditors: list[str] = Field(default_factory=list,
                                description="people who may read every incident, private ones too (person or Slack ids)")
    actions: ActionRules = Field(default_factory=ActionRules)
    role_holders: dict[Identifier, Principals] = Field(
        default_factory=dict, description="role id -> who may hold it (e.g. legal: [group:legal]); unlisted: anyone")
    backdate_tolerance_minutes: int = Field(
        60, ge=0, description="a notification recorded more than this after its submission time needs approval")
    late_clock_tolerance_minutes: int = Field(
        60, ge=0, description="a legal clock first set more than this after the declaration needs approval")

    def summary(self) -> str:
        open_to_all = [a for a in ACTIONS if "everyone" in getattr(self.actions, a)]
        return (f"{len(ACTIONS)} actions, {len(self.groups)} group(s); open to everyone: "
                f"{', '.join(open_to_all) or 'nothing'}")


def permissions(config: Any) -> PermissionsFile:
    return config.one("permissions") or PermissionsFile()


@dataclass(frozen=True)
class Subject:
    """Who stands in which relation to the thing acted on."""

    label: str = ""  # "INC-42" for messages
    roles: dict[str, str] = field(default_factory=dict)  # role id -> Slack user of current holder
    reporter: str | None = None
    role_holder: str | None = None
    task_owner: str | None = None
    page_recipient: str | None = None
    private: bool = False
    team: frozenset[str] = frozenset()  # the response team (see ``response_team``)
    in_channel: Callable[[str], bool] | None = None  # asks Slack whether a user is in the incident channel
    review_owner: str | None = None
    followup_owner: str | None = None


_DESCRIBE = {"everyone": "everyone", "admins": "an admin", "auditors": "an auditor",
             "response_team": "the response team", "channel_member": "a member of the incident channel",
             "reporter": "the reporter",
             "role_holder": "the role's current holder", "task_owner": "the task's owner",
             "page_recipient": "the person paged", "review_owner": "the review's owner",
             "followup_owner": "the follow-up's owner"}


def _slack_of(config: Any, member: str) -> str | None:
    if re.fullmatch(r"[UW][A-Z0-9]{2,}", member):
        return member
    if not config.loaded("people"):
        return None
    from bot.oncall.directory import slack_user_of

    try:
        return slack_user_of(config, member)
    except (KeyError, ValueError):  # unknown person: no match
        return None


def _holds(config: Any, principal: str, actor: str, subject: Subject) -> bool:
    if principal == "everyone":
        return True
    if principal == "admins":
        return actor in set(config.settings.admins)
    if principal == "auditors":
        return any(_slack_of(config, m) == actor for m in permissions(config).auditors)
    if principal == "response_team":
        return actor in subject.team
    if principal == "channel_member":
        return subject.in_channel is not None and bool(actor) and _asked(subject.in_channel, actor)
    if principal == "reporter":
        return subject.reporter == actor
    if principal == "role_holder":
        return subject.role_holder == actor
    if principal == "task_owner":
        return subject.task_owner == actor
    if principal == "page_recipient":
        return subject.page_recipient == actor
    if principal == "review_owner":
        return subject.review_owner == actor
    if principal == "followup_owner":
        return subject.followup_owner == actor
    kind, _, name = principal.partition(":")
    if kind == "role":
        return subject.roles.get(name) == actor
    if kind == "user":
        return name == actor
    if kind == "person":
        return _slack_of(config, name) == actor
    if kind == "group":
        members = permissions(config).groups.get(name, [])
        return any(_slack_of(config, m) == actor for m in members)
    return False


def _describe(principal: str, subject: Subject, who: Callable[[str], str]) -> str:
    if principal in _DESCRIBE:
        holder = {"reporter": subject.reporter, "role_holder": subject.role_holder,
                  "task_owner": subject.task_owner, "page_recipient": subject.page_recipient,
                  "review_owner": subject.review_owner, "followup_owner": subject.followup_owner}.get(principal)
        return _DESCRIBE[principal] + (f" ({who(holder)})" if holder else "")
    kind, _, name = principal.partition(":")
    if kind == "role":
        holder = subject.roles.get(name)
        return f"the {name.replace('_', ' ')}" + (f" ({who(holder)})" if holder else " (unfilled)")
    return f"{kind} {name}"


def _asked(in_channel: Callable[[str], bool], actor: str) -> bool:
    try:
        return bool(in_channel(actor))
    except Exception:  # noqa: BLE001 - Slack unreachable: membership unknown, so it grants nothing
        return False


def _allowed(config: Any, action: str, roles: tuple[str, ...]) -> tuple[str, ...]:
    """The action's principals, after ``roles`` (role ids the playbook names for it, e.g. the external owner)."""
    listed = tuple(getattr(permissions(config).actions, action))
    return tuple(dict.fromkeys((*(f"role:{r}" for r in roles), *listed)))


def may(config: Any, action: str, actor: str, subject: Subject, *, roles: tuple[str, ...] = ()) -> bool:
    return any(_holds(config, p, actor, subject) for p in _allowed(config, action, roles))


def may_read(config: Any, reader: str, subject: Subject) -> bool:
    """Whether ``reader`` may see the incident: anyone for a public one, ``read_private`` for a private one."""
    return not subject.private or may(config, "read_private", reader, subject)


def hidden(label: str) -> NotFound:
    """The refusal for someone who may not see a private incident: word for word the answer for a number that
    does not exist, so it reveals nothing (not even that the incident exists)."""
    return NotFound(f"there is no incident {label}; check the number")


def authorize(config: Any, action: str, actor: str, subject: Subject, *, roles: tuple[str, ...] = ()) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` holds one of the action's principals. On a private
    incident someone who may not read it gets :func:`hidden` instead: no name, no role, no existence. Someone who
    reads a private incident only as an auditor may not act on it at all, not even where ``everyone`` may:
    auditors change nothing. ``roles``: role ids the playbook allows too, named first in a refusal."""
    allowed = _allowed(config, action, roles)
    from bot.incidents.collaborators import namer

    if subject.private:  # each principal is asked at most once (channel_member asks Slack)
        reads = (p for p in permissions(config).actions.read_private if _holds(config, p, actor, subject))
        first = next(reads, None)
        if first is None:
            raise hidden(subject.label)
        if first == "auditors" and all(p == "auditors" for p in reads):
            raise PermissionDenied(f"You ({namer(config)(actor)}) read {subject.label} as an auditor, and auditors "
                                   f"change nothing: you may not {action.replace('_', ' ')} there.",
                                   action=action, allowed=allowed)
    if any(_holds(config, p, actor, subject) for p in allowed):
        return
    name = namer(config)
    who = ", ".join(_describe(p, subject, name) for p in allowed) or "nobody (the action is disabled)"
    where = f" on {subject.label}" if subject.label else ""
    raise PermissionDenied(f"You ({name(actor)}) may not {action.replace('_', ' ')}{where}. Allowed: {who}. "
                           "Ask one of them, or an admin to change config/permissions.yaml.",
                           action=action, allowed=allowed)


def require_eligible(config: Any, role: str, user: str, subject: Subject) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` may hold ``role`` (``role_holders``); the same for a
    commander assigning someone else and for anyone assigning themselves."""
    allowed = permissions(config).role_holders.get(role)
    if allowed is None or any(_holds(config, p, user, subject) for p in allowed):
        return
    from bot.incidents.collaborators import namer

    name = namer(config)
    who = ", ".join(_describe(p, subject, name) for p in allowed) or "nobody"
    raise PermissionDenied(f"{name(user)} may not hold the {role} role: it owns legal duties and is held only by "
                           f"{who} (role_holders in config/permissions.yaml).", action="hold_role", allowed=tuple(allowed))


def cross_check(config: Any) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    loaded = config.loaded("permissions")[0]
    model: PermissionsFile = loaded.model
    role_names: set[str] = {r.id for pb in config.all("playbook") for r in pb.roles}
    people: set[str] | None = None
    if config.loaded("people"):
        from bot.oncall.directory import person_ids

        people = set(person_ids(config))
    if config.loaded("rotas"):
        from bot.oncall.directory import role_ids

        role_names |= set(role_ids(config))
    rules = [(("actions", a), getattr(model.actions, a)) for a in ACTIONS]
    rules += [(("role_holders", r), principals) for r, principals in model.role_holders.items()]
    for where, principals in rules:
        for i, principal in enumerate(principals):
            kind, _, name = principal.partition(":")
            path = (*where, i)
            if principal == "auditors" and where != ("actions", "read_private"):
                issues.append(loaded.issue(path, '"auditors" read and change nothing: they belong in read_private '
                                           "only; name the person in a group or person: principal for more"))
            elif kind == "role" and role_names and name not in role_names:
                issues.append(loaded.issue(path, f'unknown role "{name}"; roles in the playbooks: '
                                           f"{', '.join(sorted(role_names))}"))
            elif kind == "group" and name not in model.groups:
                issues.append(loaded.issue(path, f'unknown group "{name}"; define it under groups:'))
            elif kind == "person" and people is not None and name not in people:
                issues.append(loaded.issue(path, f'unknown person "{name}" (not in config/people.yaml)'))
    for j, member in enumerate(model.auditors):
        if not re.fullmatch(r"[UW][A-Z0-9]{2,}", member) and people is not None and member not in people:
            issues.append(loaded.issue(("auditors", j), f'unknown person "{member}"; use a person id from '
                                       "config/people.yaml or a Slack user id"))
    for group, members in model.groups.items():
        for j, member in enumerate(members):
            if re.fullmatch(r"[UW][A-Z0-9]{2,}", member):
                continue
            if people is not None and member not in people:
                issues.append(loaded.issue(("groups", group, j), f'unknown person "{member}"; use a person id from '
                                           "config/people.yaml or a Slack user id"))
    return issues
