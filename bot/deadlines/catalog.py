"""The regulations catalog: one notification regime per file in ``config/regulations/``.

Rules of law are data: each obligation names its recipient, the facts that
make it apply, the deadline rule that computes its due time, an optional
roll-forward, and the citations it rests on.  ``bot check`` refuses an
obligation without a citation.  See ``docs/deadlines.md`` for the schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import AnyHttpUrl, BeforeValidator, Field, model_validator
from typing_extensions import Annotated

from bot.clock import SystemClock
from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Date, Identifier, TimeZoneName
from bot.deadlines.calendars import CalendarSpec
from bot.deadlines.conditions import Condition, fact_conditions, fact_names as condition_facts
from bot.deadlines.delays import DelaySpec
from bot.deadlines.fact_types import FactSpec
from bot.deadlines.policy import ReminderPolicy
from bot.deadlines.review import review_issues
from bot.deadlines.rollover import Rollover
from bot.deadlines.rules import SUBMITTED, Anchor, DeadlineRule, anchors_of, calendars_of, precedes

Confidence = Literal["verified", "secondary", "unverified"]
RegimeStatus = Literal["in_force", "proposed", "not_yet_effective", "repealed"]


def _typed_fact(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError(f'expected a typed fact like {{type: boolean, question: "{value[:60]}"}} '
                         "(types: boolean, number, enum with values, zone, country, counts), got only the question")
    return value


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
    facts: dict[str, Annotated[FactSpec, BeforeValidator(_typed_fact)]] = Field(
        default_factory=dict, description="fact name -> {type, question, values/keys}")
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
    """Every fact the catalog asks about -> its question (empty if undeclared)."""
    out: dict[str, str] = {}
    for regime in regimes(config).values():
        for name in sorted(_facts_used(regime)):
            out.setdefault(name, regime.facts[name].question if name in regime.facts else "")
        for name, spec in regime.facts.items():
            if not out.get(name):
                out[name] = spec.question
    return out


def fact_types(config: Any) -> dict[str, FactSpec]:
    """Every declared fact -> its type (the first regime declaring it; ``check`` refuses disagreements)."""
    out: dict[str, FactSpec] = {}
    for regime in regimes(config).values():
        for name, spec in regime.facts.items():
            out.setdefault(name, spec)
    return out


def regime_named(config: Any, given: str) -> str:
    """The regime id for ``given`` matched case-insensitively, or :class:`ValueError` with the known ids."""
    from bot.deadlines.fact_types import did_you_mean

    known = regime_ids(config)
    wanted = (given or "").strip().lower()
    if wanted in known:
        return wanted
    raise ValueError(f'unknown regime "{given}"{did_you_mean(wanted, sorted(known))}; known: {", ".join(sorted(known))}')


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
        undeclared = sorted(f for f in _facts_used(regime) if f not in regime.facts)
        if undeclared:
            issues.append(lf.issue(("facts",), "facts used but not declared under facts: " + ", ".join(undeclared)
                                   + "; declare each with its type and question, e.g. "
                                   '{type: boolean, question: "..."}'))
        issues.extend(_check_fact_uses(lf, regime))
    issues.extend(_check_fact_agreement(loaded))
    issues.extend(_check_cycles(loaded))
    issues.extend(review_issues(config, SystemClock().now().date()))
    return issues


def _check_fact_uses(lf: Any, regime: RegimeFile) -> list[ConfigIssue]:
    """Each condition compares a fact with a value its type can hold (catches "equals: controler")."""
    from bot.deadlines.fact_types import FactValueError, read_value

    issues: list[ConfigIssue] = []
    conditions = list(regime.applicability) + [c for ob in regime.obligations for c in ob.applicability]
    conditions += [c for ob in regime.obligations if ob.rollover for c in ob.rollover.not_for]
    for cond in fact_conditions(conditions):
        base, _, key = cond.fact.partition(".")
        spec = regime.facts.get(base)
        if spec is None:
            continue
        if key and spec.type != "counts":
            issues.append(lf.issue(("facts", base), f'"{cond.fact}" looks into fact {base}, which is {spec.type}, '
                                                    "not counts"))
            continue
        target = FactSpec(type="number", question="count", minimum=None) if key else spec
        operands = cond.operand if cond.operator == "one_of" else [cond.operand]
        if cond.operator in ("gt", "gte", "lt", "lte") and target.type != "number":
            issues.append(lf.issue(("facts", base), f'"{cond.describe()}" compares fact {base} as a number, '
                                                    f"but it is {spec.type}"))
            continue
        for operand in operands:
            try:
                read_value(target, operand)
            except FactValueError as exc:
                issues.append(lf.issue(("facts", base), f'"{cond.describe()}" can never hold: fact {base} is '
                                                        f"{target.describe()} ({exc})"))
    return issues


def _check_fact_agreement(loaded: list[Any]) -> list[ConfigIssue]:
    """A fact declared by several regimes has one type (and the same allowed values) everywhere."""
    first: dict[str, tuple[str, FactSpec]] = {}
    issues: list[ConfigIssue] = []
    for lf in loaded:
        for name, spec in lf.model.facts.items():
            seen = first.setdefault(name, (lf.model.id, spec))
            other_regime, other = seen
            if (other.type, other.values, other.keys) != (spec.type, spec.values, spec.keys):
                issues.append(lf.issue(("facts", name), f"fact {name} is declared as {spec.describe()} here but as "
                                                        f"{other.describe()} in regime {other_regime}; "
                                                        "declare it the same way in both"))
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
