"""Recording pages and what people do with them; every change is a timeline event.

``record_plan`` stores the first level of a :class:`PagePlan` (held pages with
their release time); ``escalate`` pages the next level after an ack timeout or
a decline, re-planning at that moment so the labor rules see the present; an
acknowledgement starts an engagement (a call-out) and its end starts the rest
period the rules count from.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.audit.config_versions import record_version
from bot.audit.trail import DECLINED, append_event, events
from bot.config.version import version_stamp
from bot.clock import ensure_utc
from bot.oncall.history import load_history
from bot.oncall.planner import ExceptionRequest, PagePlan, PlanStep, plan_level, resolve_policy
from bot.oncall.tables import Engagement, ExceptionUse, Page
from bot.oncall.team import team_of

OPEN = ("planned", "held", "sent")


def _page_row(incident_id: int | None, plan: PagePlan, step: PlanStep, level: int, at: datetime,
              page_at: datetime | None = None, alert_group_id: int | None = None) -> Page:
    reason = step.role if not step.deputy_for else f"deputy for {step.deputy_for}"
    if step.notes:
        reason += "; " + "; ".join(step.notes)
    return Page(incident_id=incident_id, alert_group_id=alert_group_id, target=plan.rota, level=level, person_id=step.person, slack_user=step.slack_user,
                role=step.role, status="held" if step.held else "planned", severity=plan.severity, urgency=plan.urgency,
                page_at=page_at or step.page_at, ack_timeout_minutes=step.ack_timeout_minutes, reason=reason[:2000],
                exception_id=step.exception, created_at=at)


def _planned_under(plan: PagePlan) -> dict:
    """The configuration version the plan was made under (rota, labor rules), for the plan's events."""
    return {"config_version": plan.config_version} if plan.config_version else {}


def _record_steps(session: Session, *, incident_id: int | None, plan: PagePlan, steps: list[PlanStep], level: int,
                  actor: str, at: datetime, page_now: bool = False, alert_group_id: int | None = None) -> list[Page]:
    rows: list[Page] = []
    group = {"alert_group": alert_group_id} if alert_group_id is not None else {}
    for step in steps:
        row = _page_row(incident_id, plan, step, level, at, at if (page_now and not step.held) else None,
                        alert_group_id)
        session.add(row)
        session.flush()
        rows.append(row)
        verb = "held until " + row.page_at.isoformat() if row.status == "held" else "paging"
        append_event(session, incident_id=incident_id, actor=actor, kind=f"page.{row.status}", at=at,
                     summary=f"{verb} {step.person} ({row.reason}) for {plan.rota}, level {level}",
                     data={"page_id": row.id, "person": step.person, "level": level, "target": plan.rota,
                           "page_at": row.page_at.isoformat(), "exception": step.exception,
                           "urgency": row.urgency, **group, **_planned_under(plan)})
        for used in plan.exceptions_used:
            if used.person != step.person:
                continue
            use = ExceptionUse(person_id=used.person, incident_id=incident_id, page_id=row.id, exception_id=used.exception,
                               rules_waived=list(used.rules_waived), justification=used.justification,
                               declared_by=used.declared_by, at=at, compensatory_rest_hours=used.compensatory_rest_hours,
                               citation=used.citation)
            session.add(use)
            session.flush()
            append_event(session, incident_id=incident_id, actor=used.declared_by, kind="oncall.exception_used", at=at,
                         summary=f"exception {used.exception} ({used.citation}) used to page {used.person}: "
                                 f"{used.justification}",
                         data={"exception_use_id": use.id, "person": used.person, "rules_waived": used.rules_waived,
                               "justification": used.justification,
                               "compensatory_rest_hours": used.compensatory_rest_hours, **_planned_under(plan)})
    return rows


def _record_skips(session: Session, *, incident_id: int | None, plan: PagePlan, actor: str, at: datetime,
                  level: int | None = None, alert_group_id: int | None = None) -> None:
    """Who may not be paged and why (rule and citation), for the auditor: at declaration and at each escalation."""
    if not (plan.skipped or plan.warnings):
        return
    where = f"level {level}: " if level is not None else ""
    append_event(session, incident_id=incident_id, actor=actor, kind="page.skipped", at=at,
                 summary=(where + "; ".join([f"{s.person} {s.reason}" for s in plan.skipped] + plan.warnings))[:4000],
                 data={"target": plan.rota, "level": level, "skipped": [s.to_json() for s in plan.skipped],
                       "warnings": plan.warnings, **({"alert_group": alert_group_id} if alert_group_id else {}),
                       **_planned_under(plan)})


def record_plan(session: Session, *, incident_id: int | None, plan: PagePlan, actor: str, at: datetime,
                alert_group_id: int | None = None) -> list[Page]:
    """Store the first level of ``plan`` as Page rows; skips, warnings and exceptions go on the timeline.
    ``alert_group_id``: the pages of an alert group paged without an incident (their events go on the global
    chain, naming the group)."""
    at = ensure_utc(at)
    _record_skips(session, incident_id=incident_id, plan=plan, actor=actor, at=at, alert_group_id=alert_group_id)
    first = min((s.level for s in plan.plan), default=1)
    steps = plan.level_steps(first)
    if plan.declared and incident_id is not None and not any(s.exception for s in steps):
        # not needed by the first level: kept on the timeline so that escalation can still use it
        d = plan.declared
        append_event(session, incident_id=incident_id, actor=d.declared_by, kind="oncall.exception_declared", at=at,
                     summary=f"exception {d.exception_id or '(whichever the profile names)'} declared for {plan.rota}, "
                             f"not needed so far: {d.justification}",
                     data={"target": plan.rota, "exception_id": d.exception_id, "declared_by": d.declared_by,
                           "justification": d.justification, **_planned_under(plan)})
    if not steps:
        return []
    return _record_steps(session, incident_id=incident_id, plan=plan, steps=steps, level=first, actor=actor, at=at,
                         alert_group_id=alert_group_id)


def _get(session: Session, page_id: int) -> Page:
    """The page as committed now, locked until this transaction ends. Every status change reads through here:
    on PostgreSQL a transaction that read the page earlier (the scheduler recording it as sent, an escalation
    coming due) would otherwise write its stale status back over a concurrent acknowledgement."""
    page = session.get(Page, page_id, with_for_update=True, populate_existing=True)
    if page is None:
        raise KeyError(f"no page with id {page_id}")
    return page


def _locked(query: Any) -> Any:
    """Rows about to change status, read as committed now and locked in id order (no deadlock between two
    transactions locking the same pages)."""
    return query.order_by(Page.id).with_for_update().execution_options(populate_existing=True)


def _same_cause(page: Page) -> Any:
    """The condition for the pages of ``page``'s incident (or, without one, of its alert group)."""
    if page.incident_id is not None:
        return Page.incident_id == page.incident_id
    if page.alert_group_id is not None:
        return Page.alert_group_id == page.alert_group_id
    return Page.id == page.id


def mark_sent(session: Session, page_id: int, *, at: datetime) -> Page:
    page = _get(session, page_id)
    if page.status in ("planned", "held"):
        page.status, page.sent_at = "sent", ensure_utc(at)
        session.add(page)
        append_event(session, incident_id=page.incident_id, actor="system", kind="page.sent", at=at,
                     summary=f"page to {page.person_id} sent", data={"page_id": page.id})
    return page


def acknowledge(session: Session, page_id: int, *, by: str, at: datetime) -> Page:
    """The person takes it: the page is acked and a call-out (engagement) starts now."""
    at = ensure_utc(at)
    page = _get(session, page_id)
    if page.status == "acked":
        return page
    page.status, page.acked_at = "acked", at
    session.add(page)
    session.add(Engagement(person_id=page.person_id, start=at, incident_id=page.incident_id, page_id=page.id))
    append_event(session, incident_id=page.incident_id, actor=by, kind="page.acked", at=at,
                 summary=f"{page.person_id} acknowledged the page for {page.target}", data={"page_id": page.id})
    others = session.exec(_locked(select(Page).where(_same_cause(page), Page.target == page.target,
                                                     Page.id != page.id, Page.status.in_(OPEN)))).all()  # type: ignore[attr-defined]
    for other in others:
        other.status = "cancelled"
        session.add(other)
    session.flush()
    return page


def decline(session: Session, page_id: int, *, by: str, at: datetime, reason: str) -> Page:
    page = _get(session, page_id)
    page.status = "declined"
    page.reason = (page.reason + f"{DECLINED}{reason}")[:2000]
    session.add(page)
    append_event(session, incident_id=page.incident_id, actor=by, kind="page.declined", at=at,
                 summary=f"{page.person_id} declined the page for {page.target}: {reason}",
                 data={"page_id": page.id, "reason": reason})
    session.flush()
    return page


def declared_exception(session: Session, incident_id: int | None) -> ExceptionRequest | None:
    if incident_id is None:
        return None
    use = session.exec(select(ExceptionUse).where(ExceptionUse.incident_id == incident_id)
                       .order_by(ExceptionUse.id.desc())).first()  # type: ignore[union-attr]
    if use:
        return ExceptionRequest(use.declared_by, use.justification, use.exception_id)
    declared = [e for e in events(session, incident_id) if e.kind == "oncall.exception_declared"]
    if declared:
        data = declared[-1].data
        return ExceptionRequest(data["declared_by"], data["justification"], data.get("exception_id"))
    return None


def escalate(session: Session, config, page_id: int, *, at: datetime) -> list[Page]:
    """Page the next level (or deputy) after ``page_id`` timed out or was declined; returns the new pages."""
    at = ensure_utc(at)
    page = _get(session, page_id)
    if page.status == "acked":
        return []
    record_version(session, config, at)  # the files behind the stamp each new plan records
    if page.status in OPEN:
        page.status = "escalated"
        session.add(page)
    team = team_of(config)
    pol = resolve_policy(team, page.target)
    n = len(pol.levels)
    siblings = session.exec(select(Page).where(_same_cause(page), Page.target == page.target)).all()
    if any(p.level > page.level for p in siblings):
        return []  # already escalated past this page
    history = load_history(session, list(team.people), at)
    declared = declared_exception(session, page.incident_id)
    declined = {p.person_id for p in siblings if p.status == "declined"}  # said no: never re-paged for this target
    level = page.level + 1
    while (level - 1) // n <= pol.repeat:
        cycle_start = ((level - 1) // n) * n
        # Within one cycle (levels 1..n, then the repeat cycles) nobody is paged twice: whoever was paged and
        # did not answer is passed over, so a deputy level takes the next eligible deputy.  A repeat cycle
        # pages the levels again from the top (that is what `repeat` means).
        paged = {p.person_id for p in siblings if p.level > cycle_start and p.status != "cancelled"}
        plan = plan_level(config, page.target, (level - 1) % n + 1, at, page.severity, urgency=page.urgency,
                          history=history, exception=declared, exclude=paged | declined)
        _record_skips(session, incident_id=page.incident_id, plan=plan, actor="system", at=at, level=level,
                      alert_group_id=page.alert_group_id)
        if plan.plan:
            append_event(session, incident_id=page.incident_id, actor="system", kind="page.escalated", at=at,
                         summary=f"no acknowledgement from {page.person_id}; escalating {page.target} to level {level}",
                         data={"page_id": page.id, "level": level})
            return _record_steps(session, incident_id=page.incident_id, plan=plan, steps=plan.plan, level=level,
                                 actor="system", at=at, page_now=True, alert_group_id=page.alert_group_id)
        level += 1
    fallback = team.person(pol.fallback)
    if any(p.person_id == fallback.id and p.status != "cancelled" for p in siblings):
        return []
    append_event(session, incident_id=page.incident_id, actor="system", kind="page.escalation_exhausted", at=at,
                 summary=f"nobody acknowledged {page.target}; paging the fallback manager {fallback.id}",
                 data={"page_id": page.id})
    step = PlanStep(level, fallback.id, fallback.slack, page.ack_timeout_minutes, at, "fallback")
    plan = PagePlan(page.target, pol.id, at, page.severity, page.urgency, [], [step], [], [],
                    config_version=version_stamp(config))
    return _record_steps(session, incident_id=page.incident_id, plan=plan, steps=[step], level=level,
                         actor="system", at=at, page_now=True, alert_group_id=page.alert_group_id)


def record_callout_end(session: Session, person_id: str, incident_id: int | None, at: datetime, *,
                       config=None, page_ids: list[int] | None = None) -> None:
    """The person is released: the engagement ends, owed compensatory rest gets its end time and, with the
    ``config``, enters the rest ledger (exceptions used, rest interrupted under ``on_interrupt: compensate``).
    ``page_ids``: only the call-outs of these pages (an alert group's, which have no incident)."""
    at = ensure_utc(at)
    cause = Engagement.incident_id == incident_id if page_ids is None else Engagement.page_id.in_(page_ids)  # type: ignore[union-attr]
    open_rows = session.exec(select(Engagement).where(Engagement.person_id == person_id, cause,
                                                      Engagement.end.is_(None))).all()  # type: ignore[union-attr]
    for row in open_rows:
        row.end = at
        session.add(row)
    used = ExceptionUse.incident_id == incident_id if page_ids is None else ExceptionUse.page_id.in_(page_ids)  # type: ignore[union-attr]
    owed = session.exec(select(ExceptionUse).where(ExceptionUse.person_id == person_id, used,
                                                   ExceptionUse.compensatory_rest_until.is_(None))).all()  # type: ignore[union-attr]
    for use in owed:
        use.compensatory_rest_until = at + timedelta(hours=use.compensatory_rest_hours)
        session.add(use)
    append_event(session, incident_id=incident_id, actor="system", kind="oncall.callout_ended", at=at,
                 summary=f"{person_id} released; rest period starts"
                         + "".join(f"; {u.compensatory_rest_hours:g} h compensatory rest owed ({u.exception_id})" for u in owed),
                 data={"person": person_id, "engagements": [r.id for r in open_rows]})
    session.flush()
    if config is not None:
        from bot.oncall.rest_ledger import owe_for_callout

        team = team_of(config)
        for row in open_rows:
            owe_for_callout(session, team, row, now=at)


def cancel_pending(session: Session, incident_id: int | None, *, by: str, at: datetime,
                   alert_group_id: int | None = None) -> list[Page]:
    """Cancel the open pages of the incident (or, with ``incident_id`` None, of the alert group)."""
    cause = Page.incident_id == incident_id if incident_id is not None else Page.alert_group_id == alert_group_id
    if incident_id is None and alert_group_id is None:
        raise ValueError("expected an incident or an alert group, got neither")
    rows = session.exec(_locked(select(Page).where(cause, Page.status.in_(OPEN)))).all()  # type: ignore[attr-defined]
    for row in rows:
        row.status = "cancelled"
        session.add(row)
    if rows:
        group = {"alert_group": alert_group_id} if incident_id is None else {}
        append_event(session, incident_id=incident_id, actor=by, kind="page.cancelled", at=at,
                     summary=f"cancelled {len(rows)} pending page(s)", data={"page_ids": [r.id for r in rows], **group})
    session.flush()
    return list(rows)
