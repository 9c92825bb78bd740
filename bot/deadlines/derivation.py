"""Facts derived from the systems an incident affects, with the reason, never final until a person confirms.

The rules are data (``config/derivations.yaml``), each with its citation::

    rules:
      - fact: gdpr_in_scope                 # a yes/no or enum fact: set this value ...
        set: true
        when: {data: [personal, health], subjects_in: [AT, BE, DE, ...]}   # ... when an affected system holds it
        region: "EU/EEA"
        citation: "GDPR Art. 3"
      - fact: residents                     # a counts fact: add up the subjects per key
        count: subjects
        when: {data: [personal], subjects_in: [US, PR]}
        strip_prefix: "US-"                 # US-CA -> CA
        citation: "US state breach laws apply per resident"
      - fact: affected_individuals          # a number fact: the total of the subjects
        count: total
        when: {data: [personal]}
        citation: ...

``when`` holds for a data entry of an affected system when its class is in ``data`` (if given) and, if
``subjects_in`` is given, it holds data of someone there ("US" matches "US-CA").  System scopes (``scopes``
in the catalog) derive their yes/no fact as true; the organisation's scopes are standing facts.

A derived fact is a proposal: it may switch a duty on (shown as "derived: because ...") but never off; the
assessment treats a derived value that would make a duty not apply as not known yet.  Counts are sums over the
systems (people in two systems count twice): an over-estimate, the safe direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Identifier
from bot.deadlines.systems import CatalogFile, DataHeld, SystemSpec, catalog_of, data_classes, hint

Likelihood = Literal["certain", "likely"]


class When(ConfigModel):
    data: list[str] = Field(default_factory=list, description="data classes (any of); empty: any class")
    subjects_in: list[str] = Field(default_factory=list,
                                   description='countries or subdivisions (any of): "US" matches "US-CA"; empty: anyone')


class DerivationRule(ConfigModel):
    fact: Identifier
    set: Any = Field(default=None, description="the value to derive (yes/no or enum facts)")
    count: Literal["subjects", "total", "brands"] | None = Field(
        default=None, description="subjects: people per key (counts facts); total: all people (number facts); "
                                  "brands: card accounts per brand (counts facts)")
    when: When = Field(default_factory=When)
    strip_prefix: str = Field(default="", description='with count: subjects, remove this from keys ("US-")')
    region: str = Field(default="", description='how the reason names subjects_in, e.g. "EU/EEA"')
    likelihood: Likelihood = Field(default="certain", description="certain, or likely (e.g. a breach of data the "
                                                                  "system holds: likely, until investigated)")
    citation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_result(self) -> "DerivationRule":
        if (self.set is None) == (self.count is None):
            raise ValueError('expected exactly one of "set: <value>" or "count: subjects | total | brands"')
        return self


class DerivationsFile(ConfigModel):
    rules: list[DerivationRule] = Field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.rules)} derivation rule(s)"


@dataclass(frozen=True)
class DerivedFact:
    name: str
    value: Any
    because: str  # "billing-db holds payment-card data of EU/EEA data subjects (DE, FR)"
    likelihood: str
    citation: str
    systems: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "because": self.because, "likelihood": self.likelihood,
                "citation": self.citation, "systems": list(self.systems)}

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> "DerivedFact":
        return cls(name, data.get("value"), str(data.get("because", "")), str(data.get("likelihood", "certain")),
                   str(data.get("citation", "")), tuple(data.get("systems") or ()))


def _matches(code: str, places: list[str]) -> bool:
    return any(code == p or code.startswith(p + "-") for p in places)


def _entries(rule: DerivationRule, system: SystemSpec) -> list[tuple[DataHeld, dict[str, int]]]:
    """The system's data entries the rule's ``when`` holds for, with the subjects that made it hold."""
    out = []
    for held in system.data:
        if rule.when.data and held.class_ not in rule.when.data:
            continue
        if rule.when.subjects_in:
            where = {k: v for k, v in held.subjects.items() if _matches(k, rule.when.subjects_in)}
            if not where:
                continue
        else:
            where = dict(held.subjects)
        out.append((held, where))
    return out


def _people(rule: DerivationRule, where: dict[str, int]) -> str:
    codes = ", ".join(sorted(where))
    if rule.region:
        return f" of {rule.region} data subjects ({codes})" if codes else f" of {rule.region} data subjects"
    return f" of people in {codes}" if codes else ""


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _holds(rule: DerivationRule, hits: list[tuple[SystemSpec, DataHeld, dict[str, int]]]) -> str:
    """"backup-store holds personal and payment-card data of EU/EEA data subjects (AT, DE, FR, PT)"."""
    parts = []
    for system_id in dict.fromkeys(s.id for s, _, _ in hits):
        mine = [(held, where) for s, held, where in hits if s.id == system_id]
        classes = list(dict.fromkeys(held.class_ for held, _ in mine))
        where = {k: v for _, w in mine for k, v in w.items()}
        parts.append(f"{system_id} holds {_words(classes)} data{_people(rule, where)}")
    return "; ".join(parts)


def _apply(rule: DerivationRule, systems: list[SystemSpec]) -> DerivedFact | None:
    hits = [(s, held, where) for s in systems for held, where in _entries(rule, s)]
    if not hits:
        return None
    names = tuple(dict.fromkeys(s.id for s, _, _ in hits))
    if rule.count is None:
        return DerivedFact(rule.fact, rule.set, _holds(rule, hits), rule.likelihood, rule.citation, names)
    if rule.count == "total":
        total = sum(n for _, _, where in hits for n in where.values())
        return DerivedFact(rule.fact, total, f"{_holds(rule, hits)}: about {total} people in all (approximate, from "
                                             "the systems catalog)", rule.likelihood, rule.citation, names)
    counts: dict[str, int] = {}
    for _, held, where in hits:
        source = held.brands if rule.count == "brands" else where
        for key, n in source.items():
            name = key[len(rule.strip_prefix):] if rule.strip_prefix and key.startswith(rule.strip_prefix) else key
            counts[name] = counts.get(name, 0) + n
    if not counts:
        return None
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    because = f"{_holds(rule, hits)}: {shown} (approximate, from the systems catalog)"
    return DerivedFact(rule.fact, counts, because, rule.likelihood, rule.citation, names)


def derive(config: Any, affected: list[str]) -> dict[str, DerivedFact]:
    """The facts the affected systems imply (unknown system ids are ignored: the caller validates them)."""
    catalog: CatalogFile = catalog_of(config)
    systems = [s for s in (catalog.system(i) for i in dict.fromkeys(affected)) if s is not None]
    out: dict[str, DerivedFact] = {}
    for system in systems:
        for scope in system.scopes:
            if scope not in out:
                out[scope] = DerivedFact(scope, True, f"{system.id} is in scope ({scope})", "certain",
                                         "config/catalog.yaml: the system's scopes", (system.id,))
    for rule in rules_of(config):
        fact = _apply(rule, systems)
        if fact is not None and fact.name not in out:
            out[fact.name] = fact
    return out


def layered(standing: dict[str, Any], derived: dict[str, Any], confirmed: dict[str, Any]) -> tuple[dict[str, Any],
                                                                                              dict[str, str]]:
    """The facts an assessment uses and which of them are derived, not confirmed (name -> why).

    Derived facts (``Incident.derived_facts``, JSON of :class:`DerivedFact`) only fill what is not known: the
    organisation's standing facts and the facts a person recorded for the incident win over them."""
    values = {name: data.get("value") for name, data in (derived or {}).items()}
    facts = {**values, **standing, **(confirmed or {})}
    unconfirmed = {name: str((derived or {})[name].get("because", "")) for name in values
                   if name not in standing and name not in (confirmed or {})}
    return facts, unconfirmed


def rules_of(config: Any) -> list[DerivationRule]:
    derivations = config.one("derivation") if config is not None else None
    return list(derivations.rules) if derivations is not None else []


def cross_check(config: Any) -> list[ConfigIssue]:
    """Rules that name a fact no regulation asks about, or a data class the catalog does not know."""
    from bot.deadlines.catalog import fact_catalog

    [lf] = config.loaded("derivation")
    facts = set(fact_catalog(config)) if config.loaded("regulation") else None
    classes = data_classes(config)
    issues: list[ConfigIssue] = []
    seen: dict[str, Any] = {}
    for i, rule in enumerate(lf.model.rules):
        here = ("rules", i)
        if facts is not None and rule.fact not in facts:
            issues.append(lf.issue(here + ("fact",), f'unknown fact "{rule.fact}": no regulation asks about it'
                                                     f"{hint(rule.fact, facts)}"))
        for j, name in enumerate(rule.when.data):
            if name not in classes:
                issues.append(lf.issue(here + ("when", "data", j), f'unknown data class "{name}"{hint(name, classes)}'))
        if rule.set is not None and rule.fact in seen and seen[rule.fact] != rule.set:
            issues.append(lf.issue(here + ("set",), f"fact {rule.fact} is derived as {seen[rule.fact]!r} by an earlier "
                                                    f"rule and as {rule.set!r} here; one fact, one derived value"))
        seen.setdefault(rule.fact, rule.set)
    return issues
