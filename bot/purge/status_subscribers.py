"""The status page's subscribers after they leave: nothing kept longer than it serves.

An unsubscribe clears the address and its hash at once (:func:`bot.subscriptions.subscribers.unsubscribe`); the
row that is left (no personal data: when, and the mails' counts) goes with the purge after the retention period.  An address whose confirmation link expired unused was never given to us for mail: it goes
at the first purge after that.  Mails settled before the cutoff go too (they hold no address, only counts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from bot.subscriptions.links import CONFIRM_LIFETIME
from bot.subscriptions.tables import StatusMail, StatusSubscriber


def forget_subscribers(session: Session, *, cutoff: datetime, now: datetime, dry_run: bool = False) -> int:
    """Delete unsubscribed subscribers older than ``cutoff`` and unconfirmed ones whose link expired, with their
    mails, and settled mails older than ``cutoff``; how many subscribers were (or would be) deleted."""
    gone = or_((StatusSubscriber.state == "unsubscribed") & (StatusSubscriber.unsubscribed_at < cutoff),  # type: ignore[operator]
               (StatusSubscriber.state == "pending")
               & (StatusSubscriber.requested_at < now - CONFIRM_LIFETIME))  # type: ignore[operator]
    ids = [int(i) for i in session.exec(select(StatusSubscriber.id).where(gone)).all()]
    if dry_run:
        return len(ids)
    if ids:
        session.exec(delete(StatusMail).where(StatusMail.subscriber_id.in_(ids)))  # type: ignore[call-overload,union-attr]
        session.exec(delete(StatusSubscriber).where(StatusSubscriber.id.in_(ids)))  # type: ignore[call-overload,union-attr]
    settled = StatusMail.state.in_(("sent", "failed", "cancelled")), StatusMail.created_at < cutoff  # type: ignore[attr-defined,operator]
    if session.exec(select(func.count()).select_from(StatusMail).where(*settled)).one():
        session.exec(delete(StatusMail).where(*settled))  # type: ignore[call-overload]
    return len(ids)
