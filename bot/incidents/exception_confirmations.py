"""Labor-law exceptions applied at declaration are unconfirmed until a person allowed to ``declare_exception``
confirms each one with a justification they type themselves (the playbook's canned text is not a reason). Neither
the person whose declaration applied it nor the person paged under it may confirm it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import incident_view, load_by_id, subject
from bot.incidents.views import Outcome


def confirm(ctx: Context, exception_use_id: int, justification: str, *, actor: str, key: str) -> Outcome:
    justification = (justification or "").strip()
    if not justification:
        raise InvalidRequest("expected your own justification for the exception (why this emergency could not wait "
                             "for someone rested), got nothing")

    def work(session: Session) -> Outcome:
        from bot.oncall.tables import ExceptionUse

        now = ctx.now()
        use = session.exec(select(ExceptionUse).where(ExceptionUse.id == exception_use_id).with_for_update()).first()
        if use is None or use.incident_id is None:
            raise NotFound(f"there is no exception use #{exception_use_id} in an incident")
        incident = load_by_id(session, use.incident_id)
        authorize(ctx.config(), "declare_exception", actor, subject(session, incident, ctx.members))
        if actor == use.declared_by:
            raise PermissionDenied(f"{actor} declared the incident that applied this exception and cannot confirm it "
                                   "too (segregation of duties); another person allowed to declare exceptions must",
                                   action="declare_exception")
        if _paged_under_it(ctx.config(), use, actor):
            raise PermissionDenied(f"{actor} was paged under this exception and cannot confirm it for themselves "
                                   "(segregation of duties); another person allowed to declare exceptions must",
                                   action="declare_exception")
        if use.confirmed_by is not None:
            raise Conflict(f"exception use #{exception_use_id} was already confirmed by {use.confirmed_by}")
        use.confirmed_by, use.confirmed_at, use.confirmation = actor, now, justification[:4000]
        session.add(use)
        append_event(session, incident_id=incident.id, actor=actor, kind="oncall.exception_confirmed", at=now,
                     summary=f"confirmed exception {use.exception_id} for {use.person_id}: {justification}",
                     data={"exception_use_id": use.id, "person": use.person_id, "exception": use.exception_id,
                           "justification": justification})
        return Outcome(incident=incident_view(session, ctx.config(), incident),
                       message=f"exception {use.exception_id} for {use.person_id} confirmed")

    return run_once(ctx, key, "confirm_exception", Outcome, work)


def _paged_under_it(config: Any, use: Any, actor: str) -> bool:
    """Whether ``actor`` (a Slack user) is the person the exception was applied to."""
    from bot.oncall.directory import slack_user_of

    try:
        return slack_user_of(config, use.person_id) == actor
    except (KeyError, ValueError):  # no longer in people.yaml: nobody can be them
        return False


def unconfirmed(ctx: Context) -> list[tuple[int, int, str, str]]:
    """(exception use id, incident number, person, exception) of every exception nobody confirmed yet."""
    from bot.incidents.tables import Incident
    from bot.oncall.tables import ExceptionUse

    with ctx.store.session() as s:
        rows = s.exec(select(ExceptionUse.id, Incident.number, ExceptionUse.person_id, ExceptionUse.exception_id)
                      .join(Incident, Incident.id == ExceptionUse.incident_id)
                      .where(ExceptionUse.confirmed_by.is_(None)).order_by(ExceptionUse.id)).all()  # type: ignore[union-attr]
    return [(int(i), int(n), p, e) for i, n, p, e in rows]


@dataclass(frozen=True)
class ToConfirm:
    """An exception use ``reader`` may confirm: they may declare exceptions in its incident, did not apply it and
    were not paged under it."""

    use_id: int
    number: int
    person: str
    exception: str
    declared_by: str
    used_at: datetime


def to_confirm(ctx: Context, reader: str) -> list[ToConfirm]:
    """The unconfirmed exception uses ``reader`` is allowed to confirm, oldest first (the same checks as
    :func:`confirm`, so every one listed can be confirmed by them)."""
    from bot.incidents.tables import Incident
    from bot.oncall.tables import ExceptionUse

    out: list[ToConfirm] = []
    with ctx.store.session() as s:
        rows = s.exec(select(ExceptionUse, Incident).join(Incident, Incident.id == ExceptionUse.incident_id)
                      .where(ExceptionUse.confirmed_by.is_(None)).order_by(ExceptionUse.id)).all()  # type: ignore[union-attr]
        for use, incident in rows:
            if use.declared_by == reader or _paged_under_it(ctx.config(), use, reader):
                continue
            try:
                authorize(ctx.config(), "declare_exception", reader, subject(s, incident, ctx.members))
            except (PermissionDenied, NotFound):  # NotFound: a private incident the reader may not see
                continue
            out.append(ToConfirm(int(use.id or 0), incident.number, use.person_id, use.exception_id, use.declared_by,
                                 use.at))
    return out
