"""``config/catalog.yaml``: the organisation's systems, the data they hold and whose, and its regulatory scopes.

Most of the answer to "which laws apply?" is known before the incident: which systems hold which classes of data
of people where, and what kind of regulated entity the organisation is.  This file says it once::

    data_classes:                       # optional: more classes on top of the built-in vocabulary
      biometric: "Biometric templates"
    scopes: [nis2_entity, sec_registrant]   # yes/no facts true for every incident (standing, confirmed)
    systems:
      - id: billing-db
        name: "Billing database"
        owner: nadia                    # a person id from config/people.yaml
        criticality: critical           # critical | high | medium | low
        data:
          - class: payment-card
            subjects: {DE: 120000, FR: 40000, US-CA: 8000}     # whose data: country or country-subdivision
            brands: {VISA: 100000, MASTERCARD: 60000}          # card accounts per brand (payment-card data)
        scopes: [cra_manufacturer]      # yes/no facts true when this system is affected (derived)

``bot.deadlines.derivation`` turns the systems an incident affects into derived facts.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Identifier

# The small built-in vocabulary; catalog.yaml may add classes under data_classes.
DATA_CLASSES: dict[str, str] = {
    "personal": "personal data / personal information of identifiable people",
    "special-category": "special categories (GDPR Art. 9): health, biometric, religion, sexual orientation ...",
    "health": "health information (incl. HIPAA protected health information)",
    "payment-card": "payment card account data (PAN, track data)",
    "financial-client": "financial account or client data of a financial institution's customers",
    "credentials": "user names with passwords, keys or tokens that give access to accounts",
    "none": "no personal or regulated data",
}
Criticality = Literal["critical", "high", "medium", "low"]
CRITICALITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_SUBJECT = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_SYSTEM_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")


def _system_id(value: str) -> str:
    if not _SYSTEM_ID.match(value):
        raise ValueError(f'expected a system id of lowercase letters, digits, "-", "_" or "." like "billing-db", '
                         f'got "{value}"')
    return value


class DataHeld(ConfigModel):
    class_: str = Field(alias="class", min_length=1, description="data class: a built-in one or one under data_classes")
    subjects: dict[str, int] = Field(default_factory=dict,
                                     description='whose data, approximate people per country ("DE") or subdivision '
                                                 '("US-CA"); empty: unknown')
    brands: dict[str, int] = Field(default_factory=dict, description="payment-card data: accounts per card brand")

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, value: dict[str, int]) -> dict[str, int]:
        out = {}
        for key, count in value.items():
            code = str(key).strip().upper()
            if not _SUBJECT.match(code):
                raise ValueError(f'expected a country code like "DE" or a subdivision like "US-CA" as key, got "{key}"')
            if count < 0:
                raise ValueError(f"expected an approximate number of people (0 or more) for {code}, got {count}")
            out[code] = count
        return out

    @field_validator("brands")
    @classmethod
    def _brands(cls, value: dict[str, int]) -> dict[str, int]:
        return {str(k).strip().upper(): v for k, v in value.items()}


SystemId = Annotated[str, AfterValidator(_system_id)]


class SystemSpec(ConfigModel):
    id: SystemId = Field(description='system or service id, e.g. "billing-db"')
    name: str = Field(default="", description="shown to people")
    owner: Identifier = Field(description="person id (config/people.yaml) who answers for the system")
    criticality: Criticality = Field(description="critical | high | medium | low")
    data: list[DataHeld] = Field(default_factory=list, description="the classes of data it holds, and whose")
    scopes: list[Identifier] = Field(default_factory=list,
                                     description="yes/no facts that hold when this system is affected")
    description: str = ""

    def label(self) -> str:
        return self.name or self.id


class CatalogFile(ConfigModel):
    data_classes: dict[str, str] = Field(default_factory=dict, description="more data classes: name -> meaning")
    scopes: list[Identifier] = Field(default_factory=list,
                                     description="the organisation's regulatory scopes: yes/no facts true for every "
                                                 "incident, e.g. sec_registrant, nis2_entity")
    systems: list[SystemSpec] = Field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.systems)} system(s), {len(self.scopes)} organisation scope(s)"

    def system(self, system_id: str) -> SystemSpec | None:
        return next((s for s in self.systems if s.id == system_id), None)


# --- accessors -------------------------------------------------------------------


def catalog_of(config: Any) -> CatalogFile:
    return (config.one("catalog") if config is not None else None) or CatalogFile()


def system_ids(config: Any) -> set[str]:
    return {s.id for s in catalog_of(config).systems}


def data_classes(config: Any) -> dict[str, str]:
    return {**DATA_CLASSES, **catalog_of(config).data_classes}


def hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


# --- checks ------------------------------------------------------------------------


def cross_check(config: Any) -> list[ConfigIssue]:
    """Unknown data classes, duplicate ids, owners who are not people, scopes no regulation asks about."""
    [lf] = config.loaded("catalog")
    model: CatalogFile = lf.model
    issues: list[ConfigIssue] = []
    classes = data_classes(config)
    people: set[str] | None = None
    if config.loaded("people"):
        from bot.oncall.directory import person_ids

        people = set(person_ids(config))
    boolean_facts = _boolean_facts(config)
    counts = Counter(s.id for s in model.systems)
    for i, scope in enumerate(model.scopes):
        issues.extend(_scope_issue(lf, ("scopes", i), scope, boolean_facts))
    for i, system in enumerate(model.systems):
        here = ("systems", i)
        if counts[system.id] > 1:
            issues.append(lf.issue(here + ("id",), f'system id "{system.id}" is used {counts[system.id]} times; '
                                                   "give each system its own id"))
        if people is not None and system.owner not in people:
            issues.append(lf.issue(here + ("owner",), f'unknown owner "{system.owner}": not a person in '
                                                      f"config/people.yaml{hint(system.owner, people)}"))
        for j, held in enumerate(system.data):
            if held.class_ not in classes:
                issues.append(lf.issue(here + ("data", j, "class"),
                                       f'unknown data class "{held.class_}"{hint(held.class_, classes)}; known: '
                                       f"{', '.join(classes)} (add new ones under data_classes)"))
            if held.brands and held.class_ != "payment-card":
                issues.append(lf.issue(here + ("data", j, "brands"), "brands: only payment-card data has card "
                                                                     "brands", "warning"))
        for k, scope in enumerate(system.scopes):
            issues.extend(_scope_issue(lf, here + ("scopes", k), scope, boolean_facts))
    return issues


def _boolean_facts(config: Any) -> set[str] | None:
    """Facts the regulations ask about that a scope may set (None when no regulation is configured)."""
    if not config.loaded("regulation"):
        return None
    from bot.deadlines.catalog import fact_catalog

    return set(fact_catalog(config))


def _scope_issue(lf: Any, path: tuple, scope: str, facts: set[str] | None) -> list[ConfigIssue]:
    if facts is None or scope in facts:
        return []
    return [lf.issue(path, f'unknown scope "{scope}": no regulation asks about a fact of that name{hint(scope, facts)}')]
