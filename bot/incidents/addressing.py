"""Rows given by number (a page, an obligation, a checklist task, a trigger-change request) belong to
the incident the request is about.

A command typed in INC-2's channel that names obligation #1 acts on INC-2's obligation #1 or on
nothing: when the number belongs to another incident, or to none, the request is refused and the
addressed incident's candidates are listed.  The refusal never says which incident the number
belongs to (it may be a private one), and someone who may not read the addressed incident gets the
not-found answer for the incident itself, not its candidates.  ``incident=None`` skips the check: a
button on a message the bot sent about that very row (a page or a nudge in a DM) identifies its
incident itself.

The row is returned as it is once the incident's lock is held, read again after the lock: on
PostgreSQL another request can change it between the first read and the lock (two people recording
the same obligation at once), and a check made on the earlier copy would let the second record a
duty already notified again, or mark it not required on top of the notification.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session, select

from bot.incidents import collaborators
from bot.incidents.errors import InvalidRequest, NotFound
from bot.incidents.permissions import hidden, may_read
from bot.incidents.records import label, load, load_by_id, subject, tasks_of
from bot.incidents.tables import ChecklistTask, Incident, TriggerApproval

MAX_CANDIDATES = 12
Reader = Callable[[Incident], bool]  # whether the person asking may see an incident
FINISHED_PAGES = ("acked", "declined", "escalated", "cancelled")


def reader(session: Session, ctx: Any, actor: str) -> Reader:
    """Whether ``actor`` may see an incident (``read_private`` for a private one), as the service decides it."""
    return lambda incident: may_read(ctx.config(), actor, subject(session, incident, ctx.members))


def _refuse(incident: Incident, what: str, number: int, candidates: list[str]) -> NotFound:
    listed = ", ".join(candidates[:MAX_CANDIDATES]) + (f" and {len(candidates) - MAX_CANDIDATES} more"
                                                        if len(candidates) > MAX_CANDIDATES else "")
    return NotFound(f"{label(incident.number)} has no {what} #{number}. "
                    + (f"Its open {what}s: {listed}." if candidates else f"It has no open {what}s.")
                    + " To act on another incident, name it first (INC-n).")


def _owned(session: Session, row: Any, row_incident_id: int | None, incident: int | None, what: str, number: int,
           candidates: Callable[[Session, Incident], list[str]], sees: Reader | None) -> tuple[Any, Incident]:
    if incident is not None:
        addressed = load(session, incident)
        if sees is not None and not sees(addressed):
            raise hidden(label(addressed.number))
        if row is None or row_incident_id != addressed.id:
            raise _refuse(addressed, what, number, candidates(session, addressed))
        session.refresh(row)  # as it is now that the incident is locked, see the module's docstring
        return row, addressed
    if row is None:
        raise NotFound(f"there is no {what} #{number}")
    if row_incident_id is None:
        raise InvalidRequest(f"{what} #{number} does not belong to an incident")
    owner = load_by_id(session, row_incident_id)
    session.refresh(row)
    return row, owner


def page(session: Session, page_id: int, incident: int | None, sees: Reader | None = None) -> tuple[Any, Incident]:
    row = collaborators.page_row(session, page_id)

    def open_pages(s: Session, inc: Incident) -> list[str]:
        return [f"#{p.id} to {p.slack_user or p.person_id}" for p in collaborators.pages_of(s, inc.id)
                if p.status not in FINISHED_PAGES]

    return _owned(session, row, row.incident_id if row else None, incident, "page", page_id, open_pages, sees)


def obligation(session: Session, obligation_id: int, incident: int | None,
               sees: Reader | None = None) -> tuple[Any, Incident]:
    from bot.deadlines.tables import UNRESOLVED_STATES

    row = collaborators.obligation_row(session, obligation_id)

    def open_obligations(s: Session, inc: Incident) -> list[str]:
        return [f"{o.obligation_id} (#{o.id})" for o in collaborators.obligations_of(s, inc.id)
                if o.status in UNRESOLVED_STATES]

    return _owned(session, row, row.incident_id if row else None, incident, "obligation", obligation_id,
                  open_obligations, sees)


def task(session: Session, task_id: int, incident: int | None,
         sees: Reader | None = None) -> tuple[ChecklistTask, Incident]:
    row = session.get(ChecklistTask, task_id)

    def open_tasks(s: Session, inc: Incident) -> list[str]:
        return [f'"{t.title}" (#{t.id})' for t in tasks_of(s, inc.id) if t.done_at is None]

    return _owned(session, row, row.incident_id if row else None, incident, "checklist task", task_id, open_tasks,
                  sees)


def approval(session: Session, approval_id: int, incident: int | None,
             sees: Reader | None = None) -> tuple[TriggerApproval, Incident]:
    row = session.get(TriggerApproval, approval_id)

    def pending(s: Session, inc: Incident) -> list[str]:
        rows = s.exec(select(TriggerApproval).where(TriggerApproval.incident_id == inc.id,
                                                    TriggerApproval.status == "pending")).all()
        return [f"#{r.id} ({r.trigger} to {r.proposed})" for r in rows]

    return _owned(session, row, row.incident_id if row else None, incident, "trigger change request", approval_id,
                  pending, sees)
