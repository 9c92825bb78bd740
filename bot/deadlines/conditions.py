"""Applicability conditions: small, explicit tests on incident facts.

A condition names a fact and exactly one operator, e.g.::

    {fact: personal_data, equals: true}
    {fact: affected_individuals, gte: 500}           # "500 or more"
    {fact: max_residents_in_one_state, gt: 500}      # "more than 500"
    {fact: dora_entity_type, one_of: [credit_institution, ccp]}
    {any_of: [{fact: eu_data_subjects, equals: true}, {fact: eu_establishment, equals: true}]}

``fact`` may be a dotted path into a mapping fact of counts (``residents.CA``;
a key the known mapping does not list counts as 0).  Facts
that are not known yet make the answer *unknown* (three-valued logic), never a
silent "no": the caller decides what an unknown means (see
:func:`bot.deadlines.assess.assess_regime`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Union

from pydantic import Discriminator, Field, Tag, model_validator
from typing import Annotated

from bot.config.types import ConfigModel

_OPERATORS = ("equals", "not_equals", "gt", "gte", "lt", "lte", "one_of", "contains")
_NUMERIC = ("gt", "gte", "lt", "lte")


class FactCondition(ConfigModel):
    fact: str = Field(min_length=1, description="fact name, or dotted path into a mapping fact (residents.CA)")
    equals: Any = None
    not_equals: Any = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    one_of: list[Any] | None = None
    contains: Any = None

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> "FactCondition":
        given = [op for op in _OPERATORS if op in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"expected exactly one operator ({', '.join(_OPERATORS)}) next to fact "
                             f"\"{self.fact}\", got {len(given)}{': ' + ', '.join(given) if given else ''}")
        return self

    @property
    def operator(self) -> str:
        given = self.__pydantic_fields_set__  # read on every evaluation: the plain attribute, not the property
        return next(op for op in _OPERATORS if op in given)

    @property
    def operand(self) -> Any:
        return getattr(self, self.operator)

    def describe(self) -> str:
        symbols = {"equals": "=", "not_equals": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
                   "one_of": "in", "contains": "contains"}
        return f"{self.fact} {symbols[self.operator]} {_show(self.operand)}"


class AnyOf(ConfigModel):
    any_of: list["Condition"] = Field(min_length=1)

    def describe(self) -> str:
        return "(" + " or ".join(c.describe() for c in self.any_of) + ")"


class AllOf(ConfigModel):
    all_of: list["Condition"] = Field(min_length=1)

    def describe(self) -> str:
        return "(" + " and ".join(c.describe() for c in self.all_of) + ")"


class Not(ConfigModel):
    not_: "Condition" = Field(alias="not")

    def describe(self) -> str:
        return f"not {self.not_.describe()}"


def _condition_shape(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("any_of", "all_of", "not"):
            if key in value:
                return key
        return "fact"
    return {FactCondition: "fact", AnyOf: "any_of", AllOf: "all_of", Not: "not"}.get(type(value), "fact")


Condition = Annotated[
    Union[Annotated[FactCondition, Tag("fact")], Annotated[AnyOf, Tag("any_of")],
          Annotated[AllOf, Tag("all_of")], Annotated[Not, Tag("not")]],
    Discriminator(_condition_shape),
]
AnyOf.model_rebuild()
AllOf.model_rebuild()
Not.model_rebuild()


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


MISSING = object()


def lookup(facts: dict[str, Any], path: str) -> Any:
    """The value at a dotted path. A mapping fact holds counts per key (``residents: {CA: 600}``): once the
    mapping is known, a key it does not list counts as 0 (no residents of that state)."""
    current: Any = facts
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if isinstance(current, dict) and part in current and current[part] is not None:
            current = current[part]
        elif depth > 0 and isinstance(current, dict):
            return 0
        else:
            return MISSING
    return current


@dataclass(frozen=True)
class Verdict:
    """Three-valued result: ``value`` is True, False or None (unknown), with the facts behind it."""

    value: bool | None
    used: tuple[str, ...] = ()  # descriptions of the conditions that decided it
    missing: tuple[str, ...] = ()  # facts that were not known


def _compare(op: str, actual: Any, operand: Any) -> bool:
    if op == "equals":
        return actual == operand
    if op == "not_equals":
        return actual != operand
    if op == "one_of":
        return actual in operand
    if op == "contains":
        return isinstance(actual, (list, tuple, set, str)) and operand in actual
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        raise ValueError(f"expected a number for fact compared with {op}, got {_show(actual)!r}")
    return {"gt": actual > operand, "gte": actual >= operand, "lt": actual < operand, "lte": actual <= operand}[op]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def readable(condition: FactCondition, actual: Any) -> bool:
    """Whether ``actual`` is of the kind the condition compares with. A value of another kind (the text "ja"
    where true or false is expected, a number where a word is) cannot be read: the fact counts as unknown,
    so a duty is assumed rather than switched off."""
    op = condition.operator
    if op in _NUMERIC:
        return _kind(actual) == "number"
    if op == "contains":
        return True
    operands = condition.operand if op == "one_of" else [condition.operand]
    return any(_kind(actual) == _kind(o) for o in operands)


def evaluate(condition: Condition, facts: dict[str, Any], derived: Mapping[str, str] | None = None) -> Verdict:
    """``derived``: fact name -> why, for facts derived from the affected systems and not confirmed yet. Such a
    fact may make a condition hold (said so in the reason), never fail: a failing derived value is undecided."""
    derived = derived or {}
    if isinstance(condition, FactCondition):
        actual = lookup(facts, condition.fact)
        if actual is MISSING or not readable(condition, actual):
            return Verdict(None, missing=(condition.fact,))
        try:
            result = _compare(condition.operator, actual, condition.operand)
        except ValueError as exc:
            raise ValueError(f"fact {condition.fact}: {exc}") from None
        shown = condition.describe() if condition.operator == "equals" and result else \
            f"{condition.describe()} (is {_show(actual)})"
        why = derived.get(condition.fact.split(".")[0])
        if why is not None:
            if not result:  # a derived value never switches a duty off: not known until a person confirms
                return Verdict(None, used=(f"{shown}: derived, not confirmed",), missing=(condition.fact,))
            shown = f"{shown} (derived, not confirmed: because {why})"
        return Verdict(result, used=(shown,))
    if isinstance(condition, Not):
        inner = evaluate(condition.not_, facts, derived)
        if inner.value is None:  # undecided: what held inside does not make the negation hold
            return Verdict(None, missing=inner.missing)
        if derived and inner.value is True and any(f.split(".")[0] in derived for f in fact_paths([condition.not_])):
            # "not X" failing because of a derived X would switch a duty off: undecided instead
            return Verdict(None, missing=tuple(f for f in fact_paths([condition.not_]) if f.split(".")[0] in derived))
        return Verdict(not inner.value, tuple(f"not {u}" for u in inner.used))
    parts = [evaluate(c, facts, derived) for c in (condition.any_of if isinstance(condition, AnyOf) else condition.all_of)]
    return combine(parts, any_mode=isinstance(condition, AnyOf))


def combine(parts: list[Verdict], *, any_mode: bool) -> Verdict:
    decisive = True if any_mode else False
    hits = [p for p in parts if p.value is decisive]
    if hits:
        return Verdict(decisive, used=tuple(u for p in hits for u in p.used))
    missing = tuple(dict.fromkeys(m for p in parts for m in p.missing))
    if missing:
        # Undecided: keep only what held (or is itself undecided). In any_of mode the limbs that failed are
        # not a reason it applies, so they must not be listed as one ("applies because x = true (is false)").
        held = tuple(u for p in parts if p.value is not False for u in p.used)
        return Verdict(None, held, missing)
    return Verdict(not decisive, tuple(u for p in parts for u in p.used))


def evaluate_all(conditions: list[Condition], facts: dict[str, Any], derived: Mapping[str, str] | None = None) -> Verdict:
    """All conditions must hold (an empty list always holds)."""
    return combine([evaluate(c, facts, derived) for c in conditions], any_mode=False)


def fact_paths(conditions: list[Condition]) -> list[str]:
    """The fact paths (residents.CA) the conditions read."""
    out: list[str] = []
    for c in conditions:
        if isinstance(c, FactCondition):
            out.append(c.fact)
        elif isinstance(c, Not):
            out += fact_paths([c.not_])
        else:
            out += fact_paths(c.any_of if isinstance(c, AnyOf) else c.all_of)
    return out


def fact_conditions(conditions: list[Condition]) -> list[FactCondition]:
    """The fact tests inside ``conditions``, depth first."""
    out: list[FactCondition] = []
    for c in conditions:
        if isinstance(c, FactCondition):
            out.append(c)
        elif isinstance(c, Not):
            out += fact_conditions([c.not_])
        else:
            out += fact_conditions(c.any_of if isinstance(c, AnyOf) else c.all_of)
    return out


def fact_names(conditions: list[Condition]) -> set[str]:
    names: set[str] = set()
    for c in conditions:
        if isinstance(c, FactCondition):
            names.add(c.fact.split(".")[0])
        elif isinstance(c, Not):
            names |= fact_names([c.not_])
        else:
            names |= fact_names(c.any_of if isinstance(c, AnyOf) else c.all_of)
    return names
