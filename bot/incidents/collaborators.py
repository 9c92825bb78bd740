"""The lifecycle's calls into the on-call and deadlines packages and the outbox, in one place.

Each function is a thin adapter over the other package's documented API so
the lifecycle modules stay readable and the seams are easy to see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlmodel import Session, select

from bot.incidents import review_port
from bot.incidents.tables import Incident
from bot.outbox import effects as outbox_effects, resync


# --- on-call ---------------------------------------------------------------------

def slack_user_of(config: Any, person_id: str) -> str | None:
    if not config.loaded("people"):
        return None
    from bot.oncall.directory import slack_user_of as lookup

    try:
        return lookup(config, person_id)
    except (KeyError, ValueError):
        return None


def role_deputies(config: Any, role: str) -> list[str]:
    if not config.loaded("rotas"):
        return []
    from bot.oncall.directory import role_deputies as lookup

    try:
        return list(lookup(config, role))
    except (KeyError, ValueError):
        return []


def person_name(config: Any, person_id: str) -> str:
    """Display name of a person if the people file has one, else the id."""
    people = config.one("people")
    for person in getattr(people, "people", []) or []:
        if getattr(person, "id", None) == person_id:
            return getattr(person, "name", None) or person_id
    return person_id


def namer(config: Any) -> Callable[[str], str]:
    """Slack user id -> the person's name from config/people.yaml (the id itself when unknown)."""
    if not config.loaded("people"):
        return lambda user: user
    from bot.oncall.directory import person_by_slack

    def name(user: str) -> str:
        person = person_by_slack(config, user)
        return person_name(config, person) if person else user

    return name


def page_targets(session: Session, config: Any, incident: Incident, targets: list[Any], *, actor: str,
                 at: datetime) -> list[Any]:
    """Plan and record pages for each playbook page target; returns the new Page rows."""
    if not targets:
        return []
    from bot.oncall.directory import person_ids
    from bot.oncall.history import load_history
    from bot.oncall.paging import record_plan
    from bot.oncall.planner import plan_pages

    history = load_history(session, sorted(person_ids(config)), at)
    rows: list[Any] = []
    for spec in targets:
        plan = plan_pages(config, spec.target, at, incident.severity, urgency=spec.urgency, history=history,
                          exception=_exception_request(spec, incident, actor))
        rows += record_plan(session, incident_id=incident.id, plan=plan, actor=actor, at=at)
    return rows


def _exception_request(spec: Any, incident: Incident, actor: str) -> Any:
    """The playbook's exception, declared by ``actor``: the person whose declaration or escalation pages under it
    (not the reporter, who may not be the one who escalated), so that person can never confirm it too."""
    from bot.incidents.declared_exception import request_for

    return request_for(spec, declared_by=actor,
                       about=f"INC-{incident.number} {incident.severity}: {incident.title}")


def page_row(session: Session, page_id: int) -> Any:
    from bot.oncall.tables import Page

    return session.get(Page, page_id)


def pages_of(session: Session, incident_id: int) -> list[Any]:
    from bot.oncall.tables import Page

    return list(session.exec(select(Page).where(Page.incident_id == incident_id).order_by(Page.id)).all())


def acknowledge(session: Session, page_id: int, *, by: str, at: datetime) -> Any:
    from bot.oncall.paging import acknowledge as ack

    return ack(session, page_id, by=by, at=at)


def decline(session: Session, config: Any, page_id: int, *, by: str, at: datetime, reason: str) -> list[Any]:
    """Decline and page the next level at once; returns the declined page and the new pages."""
    from bot.oncall.paging import decline as dec, escalate

    declined = dec(session, page_id, by=by, at=at, reason=reason)
    return [declined, *escalate(session, config, page_id, at=at)]


def end_callouts(session: Session, config: Any, incident_id: int, at: datetime) -> None:
    """Engagements of people who acknowledged end when the incident is resolved (rest periods start, owed
    compensatory rest enters the rest ledger)."""
    from bot.oncall.paging import record_callout_end

    for person in sorted({p.person_id for p in pages_of(session, incident_id) if p.status == "acked"}):
        record_callout_end(session, person, incident_id, at, config=config)


def cancel_pending_pages(session: Session, incident_id: int, *, actor: str, at: datetime) -> list[Any]:
    from bot.oncall.paging import cancel_pending

    return list(cancel_pending(session, incident_id, by=actor, at=at))


# --- deadlines --------------------------------------------------------------------

def recompute(session: Session, config: Any, incident: Incident, *, actor: str, why: str, at: datetime) -> list[Any]:
    """Create or update the incident's obligations for its regimes (never cancels one already started)."""
    if not incident.regimes:
        return []
    from bot.deadlines.tracker import recompute as run

    return list(run(session, config, incident, regimes=list(incident.regimes), actor=actor, why=why, at=at))


def obligation_row(session: Session, obligation_id: int) -> Any:
    from bot.deadlines.tables import Obligation

    return session.get(Obligation, obligation_id)


def obligations_of(session: Session, incident_id: int) -> list[Any]:
    from bot.deadlines.tables import Obligation

    return list(session.exec(select(Obligation).where(Obligation.incident_id == incident_id)
                             .order_by(Obligation.id)).all())


def mark_notified(session: Session, incident: Incident, obligation_id: int, *, by: str, submitted_at: datetime,
                  reference: str, evidence_url: str, at: datetime) -> Any:
    from bot.deadlines.tracker import mark_notified as run

    return run(session, obligation_id, incident=incident, by=by, submitted_at=submitted_at, reference=reference,
               evidence_url=evidence_url, at=at)


def mark_not_required(session: Session, obligation_id: int, *, by: str, reason: str, at: datetime) -> Any:
    from bot.deadlines.tracker import mark_not_required as run

    return run(session, obligation_id, by=by, reason=reason, at=at)


def must_go_first(session: Session, row: Any) -> list[Any]:
    """Open obligations of the incident the law requires before ``row`` ("the AG before the consumers")."""
    from bot.deadlines.ordering import open_predecessors

    return open_predecessors(obligations_of(session, row.incident_id), row)


def record_delay(session: Session, incident: Incident, obligation_id: int, *, delay: str, until: datetime,
                 reference: str, by: str, at: datetime) -> Any:
    from bot.deadlines.tracker import record_delay as run

    return run(session, obligation_id, incident=incident, delay=delay, until=until, reference=reference, by=by, at=at)


def fact_catalog(config: Any) -> dict[str, str]:
    from bot.deadlines.catalog import fact_catalog as catalog

    return catalog(config)


def fact_types(config: Any) -> dict[str, Any]:
    from bot.deadlines.catalog import fact_types as types

    return types(config)


# --- learning ---------------------------------------------------------------------

def open_review(session: Session, config: Any, incident: Incident, *, actor: str, at: datetime) -> None:
    """The post-incident review the playbook requires, fixed at resolution (through the port learning provides)."""
    review_port.open_review(session, config, incident, actor=actor, at=at)


# --- the outbox ------------------------------------------------------------------

def sync_reminders(session: Session, config: Any, incident_id: int, at: datetime) -> None:
    """Re-derive the incident's reminder rows (through the port the scheduling package provides)."""
    resync.sync_incident(session, config, incident_id, at)


def wake_effects(session: Session, incident_id: int, at: datetime) -> None:
    """The incident's channel exists now: outbox rows that waited for it are due now."""
    outbox_effects.wake(session, incident_id, at)
