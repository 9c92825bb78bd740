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
the same name wins).  ``bot check`` warns about names the catalog never asks
about (typos) and rejects a zone or country fact the engine could not use.
"""

from __future__ import annotations

import difflib
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel
from bot.deadlines.calendars import check_country
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
    org = config.one("organisation") if config is not None else None
    return dict(org.facts) if org is not None else {}


def facts_for(config: Any, incident_facts: dict[str, Any] | None) -> dict[str, Any]:
    """Standing facts overlaid with the incident's own facts (the incident wins)."""
    return {**standing_facts(config), **(incident_facts or {})}


def cross_check(config: Any) -> list[ConfigIssue]:
    from bot.deadlines.catalog import fact_catalog, regimes

    issues: list[ConfigIssue] = []
    [loaded] = config.loaded("organisation")
    org: OrganisationFile = loaded.model
    known = fact_catalog(config)
    catalog = regimes(config).values()
    zone_facts = {r.zone_fact for r in catalog if r.zone_fact}
    country_facts = {c.country_fact for r in catalog for c in r.calendars.values() if c.country_fact}
    for name, value in org.facts.items():
        path = ("facts", name)
        if known and name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            issues.append(loaded.issue(path, f'no regulation asks about fact "{name}"{hint}', "warning", key=True))
        if name in zone_facts:
            try:
                ZoneInfo(str(value))
            except (ZoneInfoNotFoundError, ValueError):
                issues.append(loaded.issue(path, f'expected an IANA time zone like "Europe/Berlin", got "{value}"'))
        if name in country_facts:
            try:
                check_country(str(value).upper(), None)
            except ValueError as exc:
                issues.append(loaded.issue(path, str(exc)))
    return issues
