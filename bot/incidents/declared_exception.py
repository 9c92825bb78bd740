"""The labor-law exception a declaration declares, from its playbook: one rule for doing it and for showing it.

A playbook's paging entry may declare a named exception (ArbZG §14 ``notfall`` for a sev1). The
declaration applies it with the playbook's justification; ``incident-bot oncall --severity S`` shows
the same plan before anything is declared, marked as coming from the playbook. A justification typed
on the command line follows the playbook's own rule (at least 20 characters).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.incidents.playbook import ExceptionSpec, PageSpec, playbook_for
from bot.oncall.planner import ExceptionRequest


def paging_entry(config: Any, severity: str, rota: str) -> PageSpec | None:
    """The playbook's paging entry that would page ``rota``: it names it, or a policy that pages it."""
    from bot.oncall.team import team_of

    playbook = playbook_for(config, severity)
    if playbook is None:
        return None
    for spec in playbook.paging:
        if spec.target == rota:
            return spec
    policies = team_of(config).policies
    for spec in playbook.paging:
        policy = policies.get(spec.target)
        if policy is not None and rota in {t.rotation or t.deputies_of for level in policy.levels
                                           for t in level.targets}:
            return spec
    return None


def request_for(spec: PageSpec | None, *, declared_by: str, about: str) -> ExceptionRequest | None:
    """The exception request a declaration makes for this paging entry; ``about`` names the incident."""
    if spec is None or spec.exception is None:
        return None
    return ExceptionRequest(declared_by=declared_by, justification=f"{spec.exception.justification} ({about})",
                            exception_id=spec.exception.id)


def justification_problem(text: str | None) -> str | None:
    """What is wrong with a justification under the playbook's rule, or None."""
    try:
        ExceptionSpec(justification=(text or "").strip())
    except ValidationError as exc:
        limit = exc.errors()[0].get("ctx", {}).get("min_length", 20)
        return (f"a justification says why the exception is necessary in at least {limit} characters "
                f"(as in a playbook); got {len((text or '').strip())}")
    return None
