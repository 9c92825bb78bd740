"""The regulations catalog: one notification regime per file in ``config/regulations/``.

Rules of law are data: each obligation names its recipient, the facts that
make it apply, the deadline rule that computes its due time, an optional
roll-forward, and the citations it rests on.  ``bot check`` refuses an
obligation without a citation.  See ``docs/deadlines.md`` for the schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import AnyHttpUrl, Field, model_validator

from bot.clock import SystemClock
from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Date, Identifier, TimeZoneName
from bot.deadlines.calendars import CalendarSpec
from bot.deadlines.conditions import Condition, fact_names as condition_facts
from bot.deadlines.delays import DelaySpec
from bot.deadlines.ordering import precedes
from bot.deadlines.policy import ReminderPolicy
from bot.deadlines.review import review_issues
from bot.deadlines.rollover import Rollover
from bot.deadlines.rules import SUBMITTED, Anchor, DeadlineRule, anchors_of, calendars_of

Confidence = Literal["verified", "secondary", "unverified"]
RegimeStatus = Literal["in_force", "proposed", "not_yet_effective", "repealed"]


class Citation(ConfigModel):
    text: str = Field(min_length=1, description='the provision, e.g. "Reg. (EU) 2016/679 Art. 33(1)"')
    url: AnyHttpUrl | None = None
    kind: Literal["primary", "regulator", "secondary"] = "primary"


class Retention(ConfigModel):
    """How long a record must be kept (e.g. PIPEDA: every breach record for 24 months after the determination)."""

    months: int = Field(gt=0)
    from_: Anchor = Field(alias="from")
    citation: str = Field(min_length=1)


class ObligationSpec(ConfigModel):
    id: Identifier = Field(description="<regime>.<name>, e.g. gdpr.authority")
    title: str = Field(min_length=1)
    stage: Identifier = Field(description="initial, early_warning, notification, intermediate, final, ...")
    recipient: str = Field(min_length=1)
    applicability: list[Condition] = Field(default_factory=list, description="all must hold (on top of the regime's)")
    deadline: DeadlineRule
    rollover: Rollover | None = None
    must_contain: list[str] = Field(default_factory=list, description="what the notification must contain")
    citations: list[Citation] = Field(default_factory=list)
    confidence: Confidence = "unverified"
    note: str = Field(default="", description="verification note, open question, interpretation")
    reminders: ReminderPolicy | None = None
    effective_from: Date | None = Field(default=None, description="for an obligation younger than its regime")
    effective_until: Date | None = Field(default=None, description="last day a superseded rule applies")
    delays: list[DelaySpec] = Field(default_factory=list, description="delays the law allows on a recorded notice")
    retain: Retention | None = Field(default=None, description="how long the record this duty creates is kept")

    def citation_text(self) -> str:
        return "; ".join(c.text for c in self.citations)


class Verification(ConfigModel):
    status: Literal["needs_counsel_review", "reviewed"] = "needs_counsel_review"
    last_checked: Date
    reviewed_by: str = ""
    note: str = ""


class RegimeFile(ConfigModel):
    id: Identifier
    name: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    status: RegimeStatus
    effective_from: Date | None = None
    effective_until: Date | None = None
    status_note: str = ""
    applies_to: str = Field(default="", description="who the regime binds, in words")
    zone: TimeZoneName = Field(description="zone the rules are computed in unless zone_fact is known")
    zone_fact: str | None = Field(default=None, description="fact holding the entity's IANA zone (overrides zone)")
    applicability: list[Condition] = Field(default_factory=list, description="facts that must hold for every obligation")
    facts: dict[str, str] = Field(default_factory=dict, description="fact name -> question/description")
    calendars: dict[Identifier, CalendarSpec] = Field(default_factory=dict)
    reminders: ReminderPolicy | None = None
    obligations: list[ObligationSpec] = Field(min_length=1)
    verification: Verification

    @model_validator(mode="after")
    def _status_dates(self) -> "RegimeFile":
        if self.status == "not_yet_effective" and self.effective_from is None:
            raise ValueError('expected "effective_from" (the commencement date) for status not_yet_effective, got none')
        return self

    def summary(self) -> str:
        label = "" if self.status == "in_force" else f" ({self.status.replace('_', ' ')})"
        return f"{self.id}{label}: {len(self.obligations)} obligation(s)"

    def obligation(self, obligation_id: str) -> ObligationSpec | None:
        return next((o for o in self.obligations if o.id == obligation_id), None)


# --- accessors -------------------------------------------------------------


def regimes(config: Any) -> dict[str, RegimeFile]:
    return {r.id: r for r in config.all("regulation")}


def regime_ids(config: Any) -> set[str]:
    return set(regimes(config))


def obligation_ids(config: Any) -> set[str]:
    return {o.id for r in regimes(config).values() for o in r.obligations}


def find_obligation(config: Any, obligation_id: str) -> tuple[RegimeFile, ObligationSpec] | None:
    for regime in regimes(config).values():
        spec = regime.obligation(obligation_id)
        if spec is not None:
            return regime, spec
    return None


def fact_catalog(config: Any) -> dict[str, str]:
    """Every fact the catalog asks about -> its description (empty if undocumented)."""
    out: dict[str, str] = {}
    for regime in regimes(config).values():
        for name in sorted(_facts_used(regime)):
            out.setdefault(name, regime.facts.get(name, ""))
        for name, text in regime.facts.items():
            if not out.get(name):
                out[name] = text
    return out


def fact_names(config: Any) -> set[str]:
    return set(fact_catalog(config))


def _facts_used(regime: RegimeFile) -> set[str]:
    used = condition_facts(regime.applicability)
    if regime.zone_fact:
        used.add(regime.zone_fact)
    for spec in regime.calendars.values():
        used |= {f for f in (spec.country_fact, spec.subdivision_fact) if f}
    for ob in regime.obligations:
        used |= condition_facts(ob.applicability)
        if ob.rollover:
            used |= condition_facts(ob.rollover.not_for) | {f.split(".")[0] for f in ob.rollover.needs_facts}
    return used


# --- cross-file checks ----------------------------------------------------------


def cross_check(config: Any) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    loaded = config.loaded("regulation")
    all_ids = {o.id: r.model.id for r in loaded for o in r.model.obligations}
    regime_count = Counter(f.model.id for f in loaded)
    obligation_count = Counter(o.id for f in loaded for o in f.model.obligations)
    for lf in loaded:
        regime: RegimeFile = lf.model
        if regime_count[regime.id] > 1:
            issues.append(lf.issue(("id",), f'regime id "{regime.id}" is used by {regime_count[regime.id]} files; '
                                              "give each regime its own id"))
        stem = lf.file.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".yaml")
        if stem != regime.id:
            issues.append(lf.issue(("id",), f'expected the file to be named "{regime.id}.yaml" after its regime id, '
                                              f'got "{stem}.yaml"', "warning"))
        for i, ob in enumerate(regime.obligations):
            issues.extend(_check_obligation(lf, regime, i, ob, all_ids, obligation_count))
        undocumented = sorted(f for f in _facts_used(regime) if f not in regime.facts)
        if undocumented:
            issues.append(lf.issue(("facts",), "facts used but not described under facts: " + ", ".join(undocumented)
                                   + "; add a one-line question for each", "warning"))
    issues.extend(_check_cycles(loaded))
    issues.extend(review_issues(config, SystemClock().now().date()))
    return issues


def _check_obligation(lf: Any, regime: RegimeFile, i: int, ob: ObligationSpec, all_ids: dict[str, str],
                      counts: Counter) -> list[ConfigIssue]:
    here = ("obligations", i)
    issues: list[ConfigIssue] = []
    if not ob.id.startswith(regime.id + ".") or len(ob.id) == len(regime.id) + 1:
        issues.append(lf.issue(here + ("id",), f'expected an obligation id "{regime.id}.<name>", got "{ob.id}"'))
    if counts[ob.id] > 1:
        issues.append(lf.issue(here + ("id",), f'obligation id "{ob.id}" is defined {counts[ob.id]} times; ids must be unique'))
    if not ob.citations:
        issues.append(lf.issue(here, f"obligation {ob.id} has no citation: every obligation must cite the provision "
                                     "it rests on (add citations: [{text: ..., url: ...}])"))
    first_for = set(precedes(ob.deadline))
    for anchor in anchors_of(ob.deadline):
        if anchor.startswith(SUBMITTED):
            target = anchor[len(SUBMITTED):]
            said = f"before: {target}" if target in first_for else anchor
            if target not in all_ids:
                issues.append(lf.issue(here + ("deadline",), f'"{said}" refers to unknown obligation "{target}"; '
                                                             "expected the id of an obligation in the catalog"))
            elif target == ob.id:
                issues.append(lf.issue(here + ("deadline",), f'"{said}": an obligation cannot refer to itself'))
    names = calendars_of(ob.deadline) + ([ob.rollover.calendar] if ob.rollover else [])
    for name in names:
        if name not in regime.calendars:
            known = ", ".join(sorted(regime.calendars)) or "none defined"
            issues.append(lf.issue(here, f'calendar "{name}" is not defined under calendars of regime {regime.id} '
                                         f"(defined: {known})"))
    return issues


def _check_cycles(loaded: list[Any]) -> list[ConfigIssue]:
    edges = {o.id: [a[len(SUBMITTED):] for a in anchors_of(o.deadline) if a.startswith(SUBMITTED)]
             for lf in loaded for o in lf.model.obligations}
    where = {o.id: (lf, i) for lf in loaded for i, o in enumerate(lf.model.obligations)}
    issues: list[ConfigIssue] = []
    for start in edges:
        seen, stack = set(), list(edges[start])
        while stack:
            node = stack.pop()
            if node == start:
                lf, i = where[start]
                issues.append(lf.issue(("obligations", i, "deadline"),
                                       f"chained stages form a cycle through {start}; a stage must anchor on an earlier one"))
                break
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, []))
    return issues
