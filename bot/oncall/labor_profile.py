"""``config/labor/*.yaml``: one labor-law profile or company overlay per file.

A profile holds the law of one jurisdiction (``extends`` another, e.g. the EU
baseline); an overlay holds a collective or company agreement that a site
adds on top.  A later rule with the same ``id`` (default: its kind) replaces
the inherited one; other rules add up.  Named exceptions waive listed rules
only for the incident severities they name, always need a recorded
justification and create an owed compensatory rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from bot.config.types import ConfigModel, Identifier
from bot.oncall.labor_rules import RULE_KINDS, LaborRule


class LaborException(ConfigModel):
    id: Identifier
    name: str = ""
    severities: list[Identifier] = Field(min_length=1, description="incident severities (playbook ids) it may be used for")
    waives: list[str] = Field(min_length=1, description="rule kinds or rule ids it suspends")
    compensatory_rest_hours: float | Literal["equivalent"] = Field(
        "equivalent", description='rest owed afterwards; "equivalent" = the hours of the waived rest rule')
    cite: str = Field(min_length=1)

    @model_validator(mode="after")
    def _leave_is_never_waived(self) -> "LaborException":
        if "leave" in self.waives:
            raise ValueError("expected rules other than leave in waives (nobody is paged on leave), got leave")
        return self


class LaborProfileFile(ConfigModel):
    id: Identifier
    type: Literal["profile", "overlay"] = "profile"
    name: str = ""
    jurisdiction: str = Field("", description='informational, e.g. "DE" or "US-CA"')
    extends: Identifier | None = None
    source: str = Field("", description="for overlays: the agreement or policy and its date")
    rules: list[LaborRule] = Field(default_factory=list)
    exceptions: list[LaborException] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_keys(self) -> "LaborProfileFile":
        seen: set[str] = set()
        for rule in self.rules:
            if rule.key in seen:
                raise ValueError(f'expected each rule id once per file (give one an "id"), got "{rule.key}" twice')
            seen.add(rule.key)
        ids = [e.id for e in self.exceptions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"expected each exception id once, got {ids}")
        if self.type == "overlay" and not self.source.strip():
            raise ValueError("expected an overlay to name its source (agreement or policy), got none")
        return self

    def summary(self) -> str:
        base = f" extends {self.extends}" if self.extends else ""
        return f"{self.id} ({self.type}{base}, {len(self.rules)} rules, {len(self.exceptions)} exceptions)"


@dataclass(frozen=True)
class RuleSet:
    """The effective rules of a site: profile chain plus overlays, resolved."""

    name: str
    rules: tuple = ()
    exceptions: tuple[LaborException, ...] = ()  # most specific layer first
    sources: tuple[str, ...] = field(default=())

    def of_kind(self, kind: str) -> list:
        return [r for r in self.rules if r.kind == kind]

    def exception(self, exception_id: str) -> LaborException | None:
        return next((e for e in self.exceptions if e.id == exception_id), None)


def profiles_by_id(config) -> dict[str, LaborProfileFile]:
    return {m.id: m for m in config.all("labor")}


def chain(profiles: dict[str, LaborProfileFile], profile_id: str) -> list[LaborProfileFile]:
    """Root first: [eu-wtd, de-arbzg]. Raises ValueError on unknown ids or cycles."""
    out: list[LaborProfileFile] = []
    current: str | None = profile_id
    while current is not None:
        if current not in profiles:
            raise ValueError(f'unknown labor profile "{current}"; known: {", ".join(sorted(profiles)) or "none"}')
        if any(p.id == current for p in out):
            raise ValueError(f"labor profiles extend each other in a circle: {' -> '.join(p.id for p in out)} -> {current}")
        out.append(profiles[current])
        current = profiles[current].extends
    return list(reversed(out))


def resolve(profiles: dict[str, LaborProfileFile], profile_id: str, overlays: list[str] | tuple[str, ...] = ()) -> RuleSet:
    layers = chain(profiles, profile_id)
    for overlay in overlays:
        layers += chain(profiles, overlay)
    rules: dict[str, object] = {}
    for layer in layers:
        for rule in layer.rules:
            rules[rule.key] = rule
    # Exceptions most specific first (overlays, then the profile, then what it extends): when several fit,
    # the national one is used and cited (ArbZG §14 "notfall" for a German worker, not the Directive's art. 17).
    exceptions: dict[str, LaborException] = {}
    for layer in reversed(layers):
        for exc in layer.exceptions:
            exceptions.setdefault(exc.id, exc)
    name = "+".join([profile_id, *overlays])
    return RuleSet(name, tuple(rules.values()), tuple(exceptions.values()), tuple(p.id for p in layers))


def cross_check(config) -> list:
    issues = []
    files = config.loaded("labor")
    seen: dict[str, str] = {}
    profiles = profiles_by_id(config)
    for lf in files:
        model: LaborProfileFile = lf.model
        if model.id in seen:
            issues.append(lf.issue(("id",), f'labor profile id "{model.id}" is also used by {seen[model.id]}; ids must be unique'))
        seen.setdefault(model.id, lf.file)
        if model.extends:
            try:
                chain(profiles, model.id)
            except ValueError as exc:
                issues.append(lf.issue(("extends",), str(exc)))
                continue
        known = set(RULE_KINDS)
        leave_ids = {"leave"}
        try:
            known |= {r.key for p in chain(profiles, model.id) for r in p.rules}
            leave_ids |= {r.key for p in chain(profiles, model.id) for r in p.rules if r.kind == "leave"}
        except ValueError:
            pass
        for i, exc in enumerate(model.exceptions):
            for j, waived in enumerate(exc.waives):
                if waived in leave_ids:
                    issues.append(lf.issue(("exceptions", i, "waives", j),
                                           f'"{waived}" is a leave rule; expected rules other than leave in waives '
                                           "(nobody is paged on leave)"))
                elif waived not in known:
                    issues.append(lf.issue(("exceptions", i, "waives", j),
                                           f'unknown rule "{waived}"; expected a rule kind ({", ".join(RULE_KINDS)}) or a rule id'))
    return issues
