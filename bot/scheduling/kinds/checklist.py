"""Checklist nudges: a task with ``nudge_after`` that is still open that long after its phase began.

Tasks of the ``declared`` phase count from their creation and stop being
nudged once the incident is resolved; ``resolved`` and ``closing`` tasks
count from the resolution.  Done tasks and closed incidents want no nudge (a
pending one is cancelled).  Held outside the owner's working time.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.tables import Reminder
from bot.scheduling import notices, working_time
from bot.scheduling.recipients import INCIDENT_CHANNEL, resolve
from bot.scheduling.wanted import Drop, Outcome, Send, Wanted
from bot.store.one_of import one_of

name = "checklist"


def _phase_start(task: Any, incident: Any) -> datetime | None:
    if task.phase == "declared":
        return task.created_at if incident.status == "active" else None  # the response is over once resolved
    if incident.status == "resolved" and incident.resolved_at is not None:
        return max(task.created_at, incident.resolved_at)
    return None


@functools.cache
def _open_tasks() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    from bot.incidents.tables import ChecklistTask

    return select(ChecklistTask).where(
        ChecklistTask.incident_id == bindparam("incident"), ChecklistTask.done_at == None,  # noqa: E711
        ChecklistTask.nudge_after_minutes != None)  # noqa: E711


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    tasks = session.exec(_open_tasks(), params={"incident": incident.id}).all()
    out: list[Wanted] = []
    for task in tasks:
        start = _phase_start(task, incident)
        if start is None:
            continue
        out.append(Wanted(key=f"task:{task.id}:nudge", kind=name, target=task.id,
                          due_at=start + timedelta(minutes=task.nudge_after_minutes),
                          recipient=task.owner_role or INCIDENT_CHANNEL, payload={"since": start.isoformat()}))
    return out


@functools.cache
def _tasks(postgresql: bool) -> Any:
    """The checklist tasks of ``:ids`` (built once: building it cost more than running it)."""
    from bot.incidents.tables import ChecklistTask

    return select(ChecklistTask).where(one_of(ChecklistTask.id, "ids", postgresql=postgresql))


def preload(session: Session, reminders: list[Reminder]) -> list[Any]:
    """A batch's tasks in one query (while the caller holds them, ``prepare`` finds them loaded)."""
    ids = sorted({r.target for r in reminders if r.target is not None})
    return list(session.execute(_tasks(session.get_bind().dialect.name == "postgresql"), {"ids": ids}).scalars())


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.incidents.tables import ChecklistTask, Incident

    task = session.get(ChecklistTask, reminder.target)
    incident = session.get(Incident, reminder.incident_id)
    if task is None or incident is None or task.done_at is not None or incident.status == "closed":
        return Drop("the task is done or the incident is closed")
    to = resolve(session, incident, reminder.recipient)
    hold = working_time.hold_for(config, to, now)
    if hold is not None:
        return hold
    since = datetime.fromisoformat(reminder.payload.get("since") or task.created_at.isoformat())
    notice = notices.checklist_notice(incident, key=reminder.key, task_id=task.id, task=task.title,
                                      role=task.owner_role, holder=to.person, open_for=now - since)
    return Send(to.address, notice, to.direct)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None
