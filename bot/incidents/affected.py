"""Which systems an incident affects, the facts they imply, and a person confirming those facts.

``/incident affects billing-db crm`` (or the declare form) records the affected systems from
``config/catalog.yaml``.  The facts they imply (``config/derivations.yaml``) are stored as derived, each with its
reason ("because billing-db holds payment-card data of EU/EEA data subjects (DE, FR)"); they can make a duty apply,
never stop one (see ``bot.deadlines.conditions``).  A person with the ``confirm_fact`` permission confirms a
derived fact, which then counts like any recorded fact; a different value is recorded with ``set_fact``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, PermissionDenied
from bot.incidents.facts import normalise_fact
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize, may
from bot.incidents.records import label, load, obligation_views, require_open, subject
from bot.incidents.triggers import clock_posts
from bot.incidents.views import Outcome, Post
from bot.ports import Notice

MAX_LINES = 12


def check_systems(config: Any, names: list[str]) -> list[str]:
    """The ids, each known in config/catalog.yaml, or :class:`InvalidRequest` naming the unknown one."""
    from bot.deadlines.systems import hint, system_ids

    known = system_ids(config)
    ids = [n.strip() for n in names if n and n.strip()]
    if not ids:
        raise InvalidRequest("expected one or more system ids from config/catalog.yaml, e.g. "
                             f"\"{next(iter(sorted(known)), 'billing-db')}\", got nothing")
    for name in ids:
        if name not in known:
            raise InvalidRequest(f'unknown system "{name}"{hint(name, known)}; systems in config/catalog.yaml: '
                                 f"{', '.join(sorted(known)) or 'none'}")
    return list(dict.fromkeys(ids))


def derived_from(config: Any, systems: list[str]) -> dict[str, Any]:
    """The derived facts of the systems, as stored on the incident (name -> value, because, likelihood ...)."""
    from bot.deadlines.derivation import derive

    return {name: fact.to_json() for name, fact in derive(config, systems).items()} if systems else {}


def derived_lines(derived: dict[str, Any], confirmed: dict[str, Any]) -> list[str]:
    """One line per derived fact not confirmed yet: value, likelihood and why."""
    lines = []
    for name, data in sorted(derived.items()):
        if name in confirmed:
            continue
        likely = " (likely)" if data.get("likelihood") == "likely" else ""
        lines.append(f"{name} = {_show(data.get('value'))}{likely}: because {data.get('because', '')}")
    return lines


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def _notice(view: Any, title: str, lines: list[str], suggestion: str, tally: str) -> Notice:
    body = lines[:MAX_LINES] + ([f"... and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
    if suggestion:
        body.append(suggestion.capitalize())
    body.append(f"Legal duties now: {tally}.")
    return messages.in_channel(view, "systems_affected", title, *body,
                               footer="Derived facts switch duties on, never off, until legal or the DPO confirms "
                                      "them (/incident confirm FACT). Not legal advice.")


def systems_notice(session: Session, config: Any, view: Any) -> Notice:
    """The channel post about what was hit: derived facts with reasons, suggested severity, the duty tally."""
    from bot.incidents.severity_hint import describe, suggestions

    tally = messages.duty_tally(collaborators.obligations_of(session, view.id))
    lines = derived_lines(dict(view.derived_facts), dict(view.facts))
    title = f"{view.label}: affected systems {', '.join(view.systems) or 'none'}"
    return _notice(view, title, lines, describe(suggestions(config, list(view.systems))), tally)


def affects(ctx: Context, number: int, names: list[str], *, actor: str, key: str, remove: bool = False) -> Outcome:
    def work(session: Session) -> Outcome:
        from bot.incidents.severity_hint import describe, suggestions

        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "set_systems", actor, subject(session, incident, ctx.members))
        require_open(incident, "change the affected systems")
        ids = check_systems(config, names)
        before = list(incident.systems or [])
        after = [s for s in before if s not in ids] if remove else list(dict.fromkeys(before + ids))
        if after == before:
            raise Conflict(f"{label(number)} already {'does not list' if remove else 'lists'} {', '.join(ids)}")
        derived = derived_from(config, after)
        incident.systems, incident.derived_facts = after, derived
        append_event(session, incident_id=incident.id, actor=actor, kind="systems.affected", at=at,
                     summary=f"affected systems: {', '.join(after) or 'none'}",
                     data={"before": before, "after": after,
                           "derived": {n: {"value": d["value"], "because": d["because"], "likelihood": d["likelihood"]}
                                       for n, d in derived.items()}})
        obligations = collaborators.recompute(session, config, incident, actor=actor, why="affected systems changed",
                                              at=at)
        outcome = conclude(session, config, incident, at)
        views = obligation_views(session, obligations)
        tally = messages.duty_tally(collaborators.obligations_of(session, incident.id))
        hint = describe(suggestions(config, after)) if not remove else ""
        lines = derived_lines(derived, incident.facts or {})
        posts = (Post("incident_channel", "", systems_notice(session, config, outcome.incident), f"{key}:post:0"),)
        posts += clock_posts(config, outcome.incident, views, "updated (affected systems)", key)
        text = f"{'removed' if remove else 'added'} {', '.join(ids)}; {len(lines)} fact(s) derived; {tally}"
        return Outcome(incident=outcome.incident, obligations=views, posts=posts,
                       message=text + (f"; {hint}" if hint else ""))

    return run_once(ctx, key, "affects", Outcome, work)


def _turned_off(session: Session, config: Any, incident: Any, unresolved: set[str], confirmed: dict[str, Any],
                lines: list[str], *, actor: str, at: Any) -> None:
    """A confirmation that turns legal duties off is a fact change like any other: only someone allowed to
    ``remove_legal_duty`` makes it, and an ``obligation.turned_off`` event says which duties, by whom and why."""
    removed = sorted(o.obligation_id for o in collaborators.obligations_of(session, incident.id)
                     if o.obligation_id in unresolved and o.status == "not_applicable")
    if not removed:
        return
    why = f"confirming {', '.join(confirmed)} turns off {', '.join(removed)}"
    if not may(config, "remove_legal_duty", actor, subject(session, incident)):
        raise PermissionDenied(f"{why}; you may not turn legal duties off alone. Record the fact with a reason "
                               "(/incident fact NAME VALUE because ...): a second person then approves it.",
                               action="remove_legal_duty")
    reason = "; ".join(lines)
    append_event(session, incident_id=incident.id, actor=actor, kind="obligation.turned_off", at=at,
                 summary=f"{why}: {reason}"[:4000],
                 data={"fact": ", ".join(confirmed),
                       "after": confirmed if len(confirmed) > 1 else next(iter(confirmed.values())),
                       "obligations": removed, "reason": reason, "approved_by": None, "approval_id": None})


def confirm_facts(ctx: Context, number: int, names: list[str], *, actor: str, key: str) -> Outcome:
    """Confirm derived facts (all or none: an unknown or already recorded one refuses the whole request)."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    if not wanted:
        raise InvalidRequest("expected one or more derived facts to confirm, e.g. residents, got nothing")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "confirm_fact", actor, subject(session, incident, ctx.members))
        require_open(incident, "confirm facts")
        derived, recorded = dict(incident.derived_facts or {}), dict(incident.facts or {})
        for fact in wanted:
            if fact not in derived:
                open_ones = [n for n in sorted(derived) if n not in recorded]
                raise InvalidRequest(f'"{fact}" is not a derived fact of {label(number)}; derived and not confirmed: '
                                     f"{', '.join(open_ones) or 'none'} (record other facts with /incident fact)")
            if fact in recorded:
                raise Conflict(f"{fact} is already recorded as {_show(recorded[fact])} in {label(number)}")
        unresolved = {o.obligation_id for o in collaborators.obligations_of(session, incident.id)
                      if o.status in ("open", "qualitative") and o.legal}
        lines = []
        for name in wanted:
            data = derived[name]
            fact, value = normalise_fact(config, name, data.get("value"))
            recorded[fact] = value
            append_event(session, incident_id=incident.id, actor=actor, kind="fact.confirmed", at=at,
                         summary=f"confirmed derived fact {fact} = {_show(value)} ({data.get('because', '')})",
                         data={"fact": fact, "before": None, "after": value, "because": data.get("because", ""),
                               "citation": data.get("citation", ""), "systems": data.get("systems", [])})
            lines.append(f"{fact} = {_show(value)}: because {data.get('because', '')}")
        incident.facts = recorded
        what = ", ".join(wanted)
        obligations = collaborators.recompute(session, config, incident, actor=actor, why=f"confirmed {what}", at=at)
        _turned_off(session, config, incident, unresolved, {n: recorded[n] for n in wanted}, lines, actor=actor, at=at)
        outcome = conclude(session, config, incident, at)
        views = obligation_views(session, obligations)
        tally = messages.duty_tally(collaborators.obligations_of(session, incident.id))
        left = derived_lines(derived, recorded)
        notice = messages.in_channel(
            outcome.incident, "facts_confirmed", f"{label(number)}: derived facts confirmed", *lines,
            f"Still derived, not confirmed: {', '.join(n for n in sorted(derived) if n not in recorded)}"
            if left else "", f"Legal duties now: {tally}.",
            footer="A confirmed fact counts like a recorded one: it may also stop a duty from applying. Not legal "
                   "advice.")
        posts = (Post("incident_channel", "", notice, f"{key}:post:0"),)
        posts += clock_posts(config, outcome.incident, views, f"updated ({what} confirmed)", key)
        return Outcome(incident=outcome.incident, obligations=views, posts=posts,
                       message=f"confirmed {what}; {tally}")

    return run_once(ctx, key, "confirm_facts", Outcome, work)
