"""Standing facts about the organisation (``config/organisation.yaml``), optional.

Some facts the regulations ask about do not change from one incident to the
next: whether the organisation is an SEC registrant, a DORA financial entity
and of which type, its Member State and time zone.  They are written once::

    name: "Example Bank AG"
    facts:
      dora_financial_entity: true
      dora_entity_type: credit_institution
      member_state: DE
      entity_zone: Europe/Berlin

and serve as defaults under every incident's own facts (an incident fact with
the same name wins).  ``bot check`` refuses a name the catalog never asks about
(with a "did you mean") and a value that does not fit the fact's declared type.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel
from bot.deadlines.review import LawReview


class OrganisationFile(ConfigModel):
    name: str = ""
    facts: dict[str, Any] = Field(default_factory=dict, description="standing facts: defaults for every incident")
    law_review: LawReview = Field(default_factory=LawReview,
                                  description="how often the regulations in use must be re-checked (bot check warns)")

    def summary(self) -> str:
        who = f"{self.name}: " if self.name else ""
        return f"{who}{len(self.facts)} standing fact(s)"


def standing_facts(config: Any) -> dict[str, Any]:
    """The organisation's scopes in config/catalog.yaml (true), then config/organisation.yaml's facts, each read
    against its declared type (``check`` refuses a file where one fails)."""
    from bot.deadlines.systems import catalog_of

    scopes = {name: True for name in catalog_of(config).scopes} if config is not None else {}
    org = config.one("organisation") if config is not None else None
    if org is None:
        return scopes
    from bot.deadlines.catalog import fact_types
    from bot.deadlines.fact_types import FactValueError, read_value

    types, out = fact_types(config), dict(scopes)
    for name, value in org.facts.items():
        try:
            out[name] = read_value(types[name], value) if name in types else value
        except FactValueError:
            out[name] = value  # kept as written: an unreadable value counts as unknown, never as "no"
    return out


def facts_for(config: Any, incident_facts: dict[str, Any] | None) -> dict[str, Any]:
    """Standing facts overlaid with the incident's own facts (the incident wins)."""
    return {**standing_facts(config), **(incident_facts or {})}


def cross_check(config: Any) -> list[ConfigIssue]:
    """Every standing fact is one the catalog declares, with a value of its declared type."""
    from bot.deadlines.catalog import fact_types
    from bot.deadlines.fact_types import FactValueError, did_you_mean, read_value

    issues: list[ConfigIssue] = []
    [loaded] = config.loaded("organisation")
    org: OrganisationFile = loaded.model
    types = fact_types(config)
    for name, value in org.facts.items():
        path = ("facts", name)
        spec = types.get(name)
        if spec is None:
            if types:
                issues.append(loaded.issue(path, f'no regulation asks about fact "{name}"{did_you_mean(name, sorted(types))}; '
                                                 f"known facts: {', '.join(sorted(types))}", key=True))
            continue
        try:
            read_value(spec, value)
        except FactValueError as exc:
            issues.append(loaded.issue(path, f"fact {name}: {exc}"))
    return issues
