"""``bot check`` on config/rotas.yaml across the other files: unknown people, rotations and policies,
participants without an on-call agreement, then the plan-time compliance checks
(:mod:`bot.oncall.compliance`) and who a night rota could not phone (:mod:`bot.oncall.reach_checks`)."""

from __future__ import annotations

from dataclasses import replace

from bot.oncall.compliance import check_rotas
from bot.oncall.reach_checks import night_reach
from bot.oncall.rota import RotasFile


def cross_check(config) -> list:
    lf = config.loaded("rotas")[0]
    model: RotasFile = lf.model
    people_file = config.one("people")
    people = {p.id: p for p in people_file.people} if people_file else {}
    issues = []

    def person(path, pid):
        if pid not in people:
            issues.append(lf.issue(path, f'unknown person "{pid}"; people are defined in config/people.yaml'))

    ids: dict[str, str] = {}
    for kind, items in (("rotation", model.rotations), ("escalation policy", model.escalation_policies)):
        for i, item in enumerate(items):
            if item.id in ids:
                issues.append(lf.issue(("rotations" if kind == "rotation" else "escalation_policies", i, "id"),
                                       f'id "{item.id}" is already used by a {ids[item.id]}; rotations and policies '
                                       "share one name space (playbooks page them by id)"))
            ids.setdefault(item.id, kind)
    rotations = {r.id for r in model.rotations}
    policies = {p.id for p in model.escalation_policies}
    for i, rot in enumerate(model.rotations):
        for j, pid in enumerate(rot.participants):
            person(("rotations", i, "participants", j), pid)
            if pid in people and not people[pid].contract.oncall_agreement:
                issues.append(lf.issue(("rotations", i, "participants", j),
                                       f"{pid} has no on-call agreement (people.yaml contract.oncall_agreement); "
                                       "on-call duty needs a contractual basis and compensation", "warning"))
        if len(set(rot.participants)) != len(rot.participants):
            issues.append(lf.issue(("rotations", i, "participants"), "a participant is listed twice"))
        if isinstance(rot.deputies, list):
            for j, pid in enumerate(rot.deputies):
                person(("rotations", i, "deputies", j), pid)
        person(("rotations", i, "fallback"), rot.fallback)
        if rot.escalation and rot.escalation not in policies:
            issues.append(lf.issue(("rotations", i, "escalation"), f'unknown escalation policy "{rot.escalation}"'))
    for i, ov in enumerate(model.overrides):
        if ov.rotation not in rotations:
            issues.append(lf.issue(("overrides", i, "rotation"), f'unknown rotation "{ov.rotation}"'))
        person(("overrides", i, "person"), ov.person)
        if ov.replaces:
            person(("overrides", i, "replaces"), ov.replaces)
    for role, pids in model.roles.items():
        for j, pid in enumerate(pids):
            person(("roles", role, j), pid)
    for i, pol in enumerate(model.escalation_policies):
        person(("escalation_policies", i, "fallback"), pol.fallback)
        for j, level in enumerate(pol.levels):
            for k, tgt in enumerate(level.targets):
                path = ("escalation_policies", i, "levels", j, "targets", k)
                if tgt.person:
                    person(path + ("person",), tgt.person)
                ref = tgt.rotation or tgt.deputies_of
                if ref and ref not in rotations:
                    issues.append(lf.issue(path, f'unknown rotation "{ref}"; rotations: {", ".join(sorted(rotations))}'))
    if issues or not people_file:
        return issues
    return [replace(i, category="compliance") for i in check_rotas(config, lf)] + night_reach(config, lf)
