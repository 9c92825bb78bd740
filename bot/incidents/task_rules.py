"""Checklist tasks done by the state they ask for (a playbook task's ``done_when``).

"Record when we became aware" is done once the ``aware`` trigger is recorded, whoever recorded it and however
(the slash command, an approved change, the CLI); "Decide per regulation: notify or document why not" once every
obligation that needs a decision has one; "Prepare a holding statement approved by legal" once a public statement
is published (``statement_published``: signed off where the playbook asks, :mod:`bot.incidents.statements`). Evaluated from the incident's state at the common end of every
lifecycle operation (:func:`bot.incidents.finish.conclude`), in the same unit of work as the change that reached
it, so the task and its cause are recorded together or not at all.

A task done this way is done by ``system``, and its ``task.completed`` event says which rule completed it; the
change that satisfied it comes just before it on the chain, with its person. A task done stays done: when a later fact
adds an obligation, that obligation has its own reminders. Obligations the assessment found not applicable or
informational need no decision and are not counted; with none left that needs one the task stays open for a
person to tick (the bot cannot tell "nothing applies" was decided).
"""

from __future__ import annotations

import fnmatch
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.deadlines.tables import CLOSED_STATES, Obligation
from bot.incidents.tables import ChecklistTask, Incident, PublicStatement

NEEDS_NO_DECISION = ("not_applicable", "informational")
ACTOR = "system"


def reached(rule: dict[str, Any], incident: Incident, obligations: list[Obligation], published: int = 0) -> str | None:
    """Why ``rule`` holds for the incident now, in words for the timeline; None while it does not (``published``:
    how many public statements about it are published)."""
    if rule.get("statement_published"):
        return f"a public statement was published ({published} so far)" if published else None
    trigger = rule.get("trigger")
    if trigger:
        at = (incident.triggers or {}).get(trigger)
        return f"the {trigger} trigger was recorded: {at}" if at else None
    patterns = rule.get("obligations_settled") or []
    matched = [o for o in obligations if o.status not in NEEDS_NO_DECISION
               and any(fnmatch.fnmatchcase(o.obligation_id, p) for p in patterns)]
    if not matched or any(o.status not in CLOSED_STATES for o in matched):
        return None
    notified = sum(o.status == "notified" for o in matched)
    return (f"every obligation matching {', '.join(patterns)} is settled: {notified} notified, "
            f"{len(matched) - notified} not required")


def complete_reached(session: Session, incident: Incident, at: datetime) -> list[ChecklistTask]:
    """Mark done the open tasks of ``incident`` whose ``done_when`` holds; each gets a chained event."""
    if incident.id is None:
        return []
    open_ruled = list(session.exec(select(ChecklistTask).where(
        ChecklistTask.incident_id == incident.id, ChecklistTask.done_at == None,  # noqa: E711
        ChecklistTask.done_when != None)).all())  # noqa: E711
    if not open_ruled:
        return []
    obligations: list[Obligation] | None = None
    published: int | None = None
    done = []
    for task in open_ruled:
        rule = task.done_when or {}
        if rule.get("obligations_settled") and obligations is None:
            obligations = list(session.exec(select(Obligation).where(Obligation.incident_id == incident.id)).all())
        if rule.get("statement_published") and published is None:
            published = len(session.exec(select(PublicStatement.id).where(
                PublicStatement.incident_id == incident.id, PublicStatement.state == "published")).all())
        because = reached(rule, incident, obligations or [], published or 0)
        if because is None:
            continue
        task.done_at, task.done_by = at, ACTOR
        session.add(task)
        append_event(session, incident_id=incident.id, actor=ACTOR, kind="task.completed", at=at,
                     summary=f"done: {task.title}; {because}",
                     data={"task": task.task, "before": "open", "after": "done", "done_when": rule,
                           "because": because})
        done.append(task)
    return done
