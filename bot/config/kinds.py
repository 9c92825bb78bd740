"""The kinds of configuration file the bot reads, and where each lives.

Each kind names its pydantic model and, optionally, a cross-check that looks
across files (dangling references, rota compliance).  Models and checks live
with the domain concept they describe; this table only wires them up.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class ConfigKind:
    name: str
    root: Literal["config", "playbooks"]
    pattern: str  # glob relative to the root
    model: str  # "module:Class"
    many: bool  # one file (False) or a folder of files, one item each (True)
    description: str
    cross_check: str | None = None  # "module:function(config) -> list[ConfigIssue]"
    depends_on: tuple[str, ...] = ()  # kinds the cross-check reads (findings their errors explain are left out)

    def model_class(self) -> Any:
        return _resolve(self.model)

    def cross_check_fn(self) -> Any:
        return _resolve(self.cross_check) if self.cross_check else None


def _resolve(dotted: str) -> Any:
    module, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module), attr)


KINDS: tuple[ConfigKind, ...] = (
    ConfigKind("settings", "config", "settings.yaml", "bot.config.settings:SettingsFile", False,
               "workspace-wide settings: default time zone, channels, admins, retention"),
    ConfigKind("people", "config", "people.yaml", "bot.oncall.people:PeopleFile", False,
               "sites (time zone, holidays, labor profile) and people (Slack id, hours, leave)",
               "bot.oncall.people:cross_check", ("labor",)),
    ConfigKind("rotas", "config", "rotas.yaml", "bot.oncall.rota:RotasFile", False,
               "on-call rotations, overrides, deputies and escalation",
               "bot.oncall.rota_check:cross_check", ("people", "labor")),
    ConfigKind("labor", "config", "labor/*.yaml", "bot.oncall.labor_profile:LaborProfileFile", True,
               "labor-law profiles and company overlays: rules with citations, named exceptions",
               "bot.oncall.labor_profile:cross_check"),
    ConfigKind("alerts", "config", "alerts.yaml", "bot.alerts.config:AlertsFile", False,
               "alert intake: sources and their token variables, routes to playbooks or rotas, grouping, silences, "
               "maintenance",
               "bot.alerts.config:cross_check", ("people", "playbook", "rotas")),
    ConfigKind("regulation", "config", "regulations/*.yaml", "bot.deadlines.catalog:RegimeFile", True,
               "one notification regime per file: obligations, triggers, deadlines, citations",
               "bot.deadlines.catalog:cross_check"),
    ConfigKind("organisation", "config", "organisation.yaml", "bot.deadlines.organisation:OrganisationFile", False,
               "standing facts about the organisation used by every incident's legal deadlines",
               "bot.deadlines.organisation:cross_check", ("regulation",)),
    ConfigKind("catalog", "config", "catalog.yaml", "bot.deadlines.systems:CatalogFile", False,
               "systems and services: owner, criticality, the data they hold and whose; the organisation's scopes",
               "bot.deadlines.systems:cross_check", ("people", "regulation")),
    ConfigKind("derivation", "config", "derivations.yaml", "bot.deadlines.derivation:DerivationsFile", False,
               "which facts the affected systems imply, each rule with its citation",
               "bot.deadlines.derivation:cross_check", ("regulation", "catalog")),
    ConfigKind("permissions", "config", "permissions.yaml", "bot.incidents.permissions:PermissionsFile", False,
               "who may declare, change severity, resolve, close, mark notifications, move legal clocks",
               "bot.incidents.permissions:cross_check", ("people", "rotas", "playbook")),
    ConfigKind("playbook", "playbooks", "*.yaml", "bot.incidents.playbook:PlaybookFile", True,
               "one severity playbook per file: criteria, roles, paging, notifications, regulations, checklist",
               "bot.incidents.playbook:cross_check",
               ("people", "rotas", "labor", "regulation", "organisation", "permissions", "catalog")),
)


# What a working bot needs; `check` and `serve` refuse a configuration folder without them.
REQUIRED_KINDS = ("people", "rotas", "playbook")


def kind_named(name: str) -> ConfigKind:
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(f"unknown config kind {name!r}; known kinds: {', '.join(k.name for k in KINDS)}")
