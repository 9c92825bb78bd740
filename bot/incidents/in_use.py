"""What open incidents still use from the configuration.

A running bot reloads its files when they change. An edit that removes a
playbook, a rota or an incident role that an incident still open (active or
resolved, with legal clocks still running) depends on would leave that
incident without its checklist, cadence, escalation or deadline nudges. Such
an edit is refused, naming the incidents, until they are closed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.config.errors import ConfigIssue
from bot.config.kinds import kind_named
from bot.config.loader import Config
from bot.incidents.playbook import playbook_for
from bot.incidents.tables import ChecklistTask, Incident, RoleAssignment
from bot.store.database import Store


def _rota_ids(config: Config) -> set[str]:
    rotas = config.one("rotas")
    if rotas is None:
        return set()
    return {r.id for r in rotas.rotations} | {p.id for p in rotas.escalation_policies}


def _issue(config: Config, kind: str, path: tuple[Any, ...], message: str, *, file: str | None = None) -> ConfigIssue:
    for loaded in config.loaded(kind):
        if file is None or Path(loaded.file).name == file:
            return loaded.issue(path, message)
    where = config.paths.root(kind_named(kind)) / (file or kind_named(kind).pattern)
    return ConfigIssue(str(where), 1, 1, "", message)


def _label(incident: Incident) -> str:
    return f"INC-{incident.number} ({incident.status})"


def conflicts(store: Store, config: Config) -> list[ConfigIssue]:
    """Errors for what ``config`` would remove from under an incident that is not closed yet, or from under
    the open pages of an alert group paged without an incident (their escalation re-plans on the rota)."""
    with store.session() as session:
        group_issues = _alert_group_pages(session, config)
        incidents = session.exec(select(Incident).where(Incident.status != "closed")).all()
        if not incidents:
            return group_issues
        ids = [i.id for i in incidents]
        held = session.exec(select(RoleAssignment).where(RoleAssignment.incident_id.in_(ids),  # type: ignore[union-attr]
                                                         RoleAssignment.ended_at.is_(None))).all()  # type: ignore[union-attr]
        open_tasks = session.exec(select(ChecklistTask).where(ChecklistTask.incident_id.in_(ids),  # type: ignore[union-attr]
                                                              ChecklistTask.done_at.is_(None))).all()  # type: ignore[union-attr]
    roles_used: dict[int, set[str]] = {}
    for row in held:
        roles_used.setdefault(row.incident_id, set()).add(row.role)
    for task in open_tasks:
        if task.owner_role:
            roles_used.setdefault(task.incident_id, set()).add(task.owner_role)
    rotas = _rota_ids(config)
    issues: list[ConfigIssue] = []
    for incident in sorted(incidents, key=lambda i: i.number):
        playbook = playbook_for(config, incident.severity)
        if playbook is None:
            issues.append(_issue(config, "playbook", (), f'playbook "{incident.severity}" cannot be removed: '
                                 f"{_label(incident)} still uses it; keep it until that incident is closed",
                                 file=f"{incident.severity}.yaml"))
        else:
            defined = {r.id for r in playbook.roles}
            for role in sorted(roles_used.get(incident.id, set()) - defined):
                issues.append(_issue(config, "playbook", ("roles",), f'role "{role}" cannot be removed from playbook '
                                     f'"{playbook.id}": {_label(incident)} still uses it; keep it until that '
                                     "incident is closed", file=f"{incident.severity}.yaml"))
        for target in sorted(set(incident.paged_targets) - rotas):
            issues.append(_issue(config, "rotas", ("rotations",), f'rota "{target}" cannot be removed: '
                                 f"{_label(incident)} still pages it; keep it until that incident is closed"))
    return issues + group_issues


def _alert_group_pages(session: Any, config: Config) -> list[ConfigIssue]:
    from bot.oncall.paging import OPEN
    from bot.oncall.tables import Page

    rows = session.exec(select(Page.target, Page.alert_group_id).where(
        Page.alert_group_id.is_not(None), Page.incident_id.is_(None),  # type: ignore[union-attr]
        Page.status.in_(OPEN))).all()  # type: ignore[attr-defined]
    groups: dict[str, set[int]] = {}
    for target, group in rows:
        groups.setdefault(target, set()).add(group)
    rotas = _rota_ids(config)
    return [_issue(config, "rotas", ("rotations",), f'rota "{target}" cannot be removed: alert group(s) '
                   f"{', '.join(str(g) for g in sorted(groups[target]))} still page it; keep it until their pages "
                   "are answered or the groups resolve")
            for target in sorted(set(groups) - rotas)]
