"""A ``page:`` route: page a rotation or escalation policy for an alert group, without an incident.

The pages are planned by the same labor-aware planner as an incident's (``bot.oncall.planner.plan_pages``:
rest, leave, holidays, contact bans with their citations; low urgency held until the person's working hours;
the policy's levels and ack timeouts) and recorded by the same ``record_plan``, pointing at the alert group.
Their outbox rows (send, escalate, update) are written in the same unit of work by
``bot.scheduling.kinds.alert_pages.sync_group``.

No labor exception is ever used for them: an exception needs a person's justification, and an alert has
none.  A person who must page someone the rules skip declares an incident ("Declare incident" on the page),
whose playbook may declare one.  The pages are planned under the severity ``"alert"``, which no exception
lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.alerts.events import AlertEvent
from bot.alerts.tables import AlertGroup

SEVERITY = "alert"


def has_pages(session: Session, group_id: int) -> bool:
    """Whether the group (without an incident) was paged by a ``page:`` route."""
    from bot.oncall.tables import Page

    return session.exec(select(Page.id).where(Page.alert_group_id == group_id).limit(1)).first() is not None


def page_group(session: Session, config: Any, group: AlertGroup, route: Any, event: AlertEvent, at: datetime,
               *, actor: str) -> dict[str, Any]:
    """Plan and record the first level of pages for ``group`` on ``route.page``; returns what the disposition
    records: the target, the urgency and where it came from, who is paged now, who is held until when, who was
    skipped under which rule."""
    from bot.audit.config_versions import record_version
    from bot.oncall.directory import person_ids
    from bot.oncall.history import load_history
    from bot.oncall.paging import record_plan
    from bot.oncall.planner import plan_pages
    from bot.outbox.resync import sync_group

    record_version(session, config, at)  # the files behind the stamp each page.planned event records
    urgency = route.urgency_for(event.severity)
    history = load_history(session, sorted(person_ids(config)), at)
    plan = plan_pages(config, route.page, at, SEVERITY, urgency=urgency, history=history)
    rows = record_plan(session, incident_id=None, plan=plan, actor=actor, at=at, alert_group_id=group.id)
    sync_group(session, config, group.id, at)
    return {"target": route.page, "urgency": urgency,
            "urgency_from": "severity label" if (event.severity or "") in route.severity_urgency else "route",
            "pages": [{"page": p.id, "person": p.person_id, "status": p.status, "page_at": p.page_at.isoformat(),
                       "urgency": p.urgency, "target": p.target, "level": p.level} for p in rows],
            "skipped": [s.to_json() for s in plan.skipped], "warnings": list(plan.warnings)}


def who_is_paged(paged: dict[str, Any]) -> str:
    """"anna (planned), ben (held until 2026-12-15T06:00:00+00:00)" for the disposition's summary."""
    return ", ".join(f"{p['person']} ({p['status']}" + (f" until {p['page_at']}" if p["status"] == "held" else "") + ")"
                     for p in paged["pages"]) or "nobody (see the page plan's skips)"


def end_callouts(session: Session, config: Any, group_id: int, at: datetime, *, incident_id: int | None = None) -> None:
    """The group is over for the people who took its pages: their call-outs end now (the rest period the labor
    rules count starts, and the rest ledger learns of it).  With ``incident_id`` (an incident was declared from
    the group) the call-outs move to the incident instead, whose release ends them."""
    from sqlmodel import select

    from bot.oncall.paging import record_callout_end
    from bot.oncall.tables import Engagement, Page

    page_ids = list(session.exec(select(Page.id).where(Page.alert_group_id == group_id)).all())
    if not page_ids:
        return
    rows = session.exec(select(Engagement).where(Engagement.page_id.in_(page_ids),  # type: ignore[union-attr]
                                                 Engagement.end.is_(None))).all()  # type: ignore[union-attr]
    if incident_id is not None:
        for row in rows:
            row.incident_id = incident_id
            session.add(row)
        return
    for person in sorted({r.person_id for r in rows}):
        record_callout_end(session, person, None, at, config=config, page_ids=page_ids)
