"""Recording a delay notice the law allows on a legal deadline (e.g. the SEC Item 1.05(c) Attorney General delay).

The notice is an outside authority's document: it is recorded with its reference by a permitted person, its
limits are checked against the catalog (a longer delay than the law allows is refused with the reason), the
due time moves, the reminders follow, and the change is an event on the incident's chain.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.clock import ensure_utc
from bot.incidents import addressing, collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import obligation_view, require_open, subject
from bot.incidents.views import Outcome, Post


def record_delay(ctx: Context, obligation_id: int, delay: str, until: datetime, reference: str, *, actor: str,
                 key: str, incident_number: int | None = None) -> Outcome:
    reference = (reference or "").strip()
    if not reference:
        raise InvalidRequest("expected the reference of the delay notice (e.g. the Attorney General's letter), "
                             "got nothing")
    try:
        until = ensure_utc(until)
    except ValueError:
        raise InvalidRequest('expected the end of the delay with a UTC offset, like "2026-08-07T17:30:00-04:00"') from None

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)  # another incident's (or a hidden private) one is refused
        row, incident = addressing.obligation(session, obligation_id, incident_number, sees)
        authorize(config, "record_delay", actor, subject(session, incident, ctx.members))
        require_open(incident, "record delays")
        if row.status not in ("open", "qualitative"):
            raise Conflict(f"{row.obligation_id} is {row.status.replace('_', ' ')}; only an open deadline can be delayed")
        if until <= at - timedelta(minutes=5):
            raise InvalidRequest(f"expected a delay that ends in the future, got {until.isoformat()}")
        try:
            updated = collaborators.record_delay(session, incident, obligation_id, delay=delay, until=until, reference=reference,
                                                 by=actor, at=at)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        outcome = conclude(session, config, incident, at)
        text = (f"{updated.obligation_id}: delayed to {updated.due_at.isoformat()} by the notice {reference} "
                f"({delay}); the reminders follow the new time")
        return Outcome(incident=outcome.incident, obligations=(obligation_view(session, updated),), message=text,
                       posts=(Post("incident_channel", "", messages.in_channel(outcome.incident, "obligation_delayed",
                                                                               text), f"{key}:post:0"),))

    return run_once(ctx, key, "record_delay", Outcome, work)
