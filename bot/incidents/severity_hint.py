"""Which severity the affected systems suggest: each playbook may say when it fits (``suggest_when``).

A suggestion, never a decision: the person declaring chooses; the suggestion and why are shown next to the
choice ("sev1: billing-db is critical").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.incidents.playbook import playbooks


@dataclass(frozen=True)
class Suggestion:
    severity: str
    name: str
    rank: int
    because: str  # "billing-db is critical"


def suggestions(config: Any, affected: list[str]) -> list[Suggestion]:
    """Playbooks whose ``suggest_when`` matches one of the affected systems, most severe first."""
    from bot.deadlines.systems import catalog_of

    catalog = catalog_of(config)
    systems = [s for s in (catalog.system(i) for i in dict.fromkeys(affected)) if s is not None]
    out = []
    for pb in playbooks(config).values():
        rule = pb.suggest_when
        if rule is None:
            continue
        reasons = []
        for system in systems:
            if system.id in rule.systems:
                reasons.append(f"{system.id} is affected")
            if system.criticality in rule.criticality:
                reasons.append(f"{system.id} is {system.criticality}")
            held = [d.class_ for d in system.data if d.class_ in rule.data]
            if held:
                reasons.append(f"{system.id} holds {', '.join(dict.fromkeys(held))} data")
        if reasons:
            out.append(Suggestion(pb.id, pb.name, pb.rank, "; ".join(dict.fromkeys(reasons))))
    return sorted(out, key=lambda s: (s.rank, s.severity))


def describe(found: list[Suggestion]) -> str:
    """One line: "suggested severity: sev1 (billing-db is critical), security (billing-db holds payment-card data)"."""
    if not found:
        return ""
    return "suggested severity: " + ", ".join(f"{s.severity} ({s.because})" for s in found)
