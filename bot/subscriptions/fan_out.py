"""A published statement's mails: one ``status_mail`` row per confirmed subscriber, written in the statement's own
unit of work (:func:`bot.incidents.statements._publish`), so a statement is never published without its mails
nor its mails written for a statement that was not.  The key (event, subscriber) makes it once per subscriber
whatever retries the request; a subscriber confirmed after the statement's instant is not sent it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.subscriptions.tables import StatusMail, StatusSubscriber


def statement_mails(session: Session, *, event_id: int, incident_id: int, at: datetime) -> int:
    """Write the mails of the ``statement.published`` event ``event_id``; how many."""
    at = ensure_utc(at)
    ids = session.exec(select(StatusSubscriber.id).where(StatusSubscriber.state == "confirmed",
                                                         StatusSubscriber.confirmed_at <= at)  # type: ignore[operator]
                       .order_by(StatusSubscriber.id)).all()
    if ids:
        session.execute(insert(StatusMail), [
            dict(key=f"statement:{event_id}:{sid}", kind="statement", subscriber_id=sid, event_id=event_id,
                 incident_id=incident_id, state="pending", attempts=0, next_attempt_at=at, created_at=at,
                 updated_at=at) for sid in ids])
    return len(ids)
