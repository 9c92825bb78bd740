"""Completing checklist tasks."""

from __future__ import annotations

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.incidents import addressing
from bot.incidents.context import Context
from bot.incidents.errors import Conflict
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import current_roles, require_open, subject, task_view
from bot.incidents.views import Outcome


def complete_task(ctx: Context, task_id: int, *, actor: str, key: str, incident_number: int | None = None) -> Outcome:
    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        task, incident = addressing.task(session, task_id, incident_number, sees)
        owner = current_roles(session, incident.id).get(task.owner_role or "")
        authorize(config, "complete_task", actor,
                  subject(session, incident, ctx.members, task_owner=owner.user if owner else None))
        require_open(incident, "tick checklist tasks")
        if task.done_at is not None:
            raise Conflict(f'"{task.title}" was already done by {task.done_by}')
        task.done_at, task.done_by = at, actor
        session.add(task)
        append_event(session, incident_id=incident.id, actor=actor, kind="task.completed", at=at,
                     summary=f"done: {task.title}", data={"task": task.task, "before": "open", "after": "done"})
        outcome = conclude(session, config, incident, at)
        return Outcome(incident=outcome.incident, tasks=(task_view(task),), message=f'"{task.title}" done')

    return run_once(ctx, key, "complete_task", Outcome, work)
