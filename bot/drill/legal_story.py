"""The legal steps of a drill story: the duty list shrinks from "assumed" to the real duties.

At the declaration the reporter knows only the organisation's standing answers, so every duty whose facts are
unknown is *assumed* (the welcome post counts them).  A few minutes in, the commander names the systems that were
hit (``/incident affects``): the facts the systems catalog implies are derived, each with its reason, and switch
duties on, never off.  When legal becomes aware, legal records what the investigation shows (the story's
``findings``, which may correct a derived fact) and confirms the derived facts that hold (``/incident confirm``);
only now may a duty stop applying, and the list is down to the real duties.  The story says which systems,
findings and confirmations (:mod:`bot.drill.stories`).

Everything is filtered by the configuration in use: a system or fact the organisation's catalog does not know is
left out, so the drill runs on any configuration.
"""

from __future__ import annotations

from typing import Any, Callable


def systems_in(config: Any, systems: tuple[str, ...]) -> list[str]:
    """The story's systems that the configuration's catalog lists (none: the drill names no system)."""
    from bot.deadlines.systems import system_ids

    known = system_ids(config)
    return [s for s in systems if s in known]


def name_systems(incidents: Any, number: int, systems: list[str], *, actor: str,
                 deliver: Callable[[Any], Any]) -> None:
    """The commander names what was hit; the channel sees the derived facts, their reasons and the duty tally."""
    if systems:
        deliver(incidents.affects(number, systems, actor=actor, key="drill:affects"))


def review_facts(incidents: Any, config: Any, number: int, findings: dict[str, Any], confirms: tuple[str, ...], *,
                 actor: str, deliver: Callable[[Any], Any]) -> None:
    """Legal records the findings the incident does not have yet and confirms the derived facts that hold."""
    from bot.deadlines.catalog import fact_names

    known = fact_names(config)
    recorded = dict(incidents.get(number).facts)
    for name, value in findings.items():
        if name in known and name not in recorded:
            deliver(incidents.set_fact(number, name, value, actor=actor, key=f"drill:fact:{name}"))
    derived = dict(incidents.get(number).derived_facts)
    confirm = [name for name in confirms if name in derived and name not in recorded]
    if confirm:
        deliver(incidents.confirm_facts(number, confirm, actor=actor, key="drill:confirm"))
