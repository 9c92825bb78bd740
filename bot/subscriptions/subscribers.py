"""Subscribing to the status page by email, double opt-in, and leaving it.

* :func:`subscribe` writes (or renews) the subscriber and its confirmation mail in one unit of work; the mail is
  sent by the status-mail worker.  Against mail-bombing: at most one confirmation mail per address per
  :data:`PER_ADDRESS_WINDOW`, and at most ``per_hour`` over every address (:class:`TooManyRequests`, which says
  nothing about the address).  An address already confirmed, or asked for within the window, gets no mail and
  the same answer as a new one: the form tells nobody who subscribed.
* :func:`confirm` takes the signed, expiring link's claim; only a confirmed subscriber is sent statements, and
  only those published after the confirmation (:mod:`bot.subscriptions.fan_out`).
* :func:`unsubscribe` clears the address and its hash at once and cancels the mails not yet sent; the row (no
  personal data) stays until the retention purge, and the answer is the same whether or not the person was still
  subscribed.

None of these is on the audit chain: they are the customer's own choices about their address, not decisions
an auditor reviews, and a chain event would keep the address the person asked us to delete.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, update
from sqlmodel import select

from bot.clock import Clock, ensure_utc
from bot.store.advisory import hold_until_commit
from bot.store.database import Store
from bot.subscriptions.address import address_hash, normalised
from bot.subscriptions.links import Confirmation, LinkRefused
from bot.subscriptions.mail_report import report_when_done
from bot.subscriptions.tables import StatusMail, StatusSubscriber

PER_ADDRESS_WINDOW = timedelta(hours=24)
CAP_WINDOW = timedelta(hours=1)
LOCK = "status-subscriptions"  # PostgreSQL: subscriptions one at a time, so the caps hold under concurrency


class TooManyRequests(Exception):
    """The hourly cap over every address is reached; ``retry_after``: seconds until a slot frees."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many subscription requests in the last hour; try again later")
        self.retry_after = retry_after


def subscribe(store: Store, clock: Clock, typed: str, *, per_hour: int) -> None:
    """Ask for a confirmation mail to ``typed`` (:class:`~bot.subscriptions.address.InvalidAddress` when it is
    not an address; :class:`TooManyRequests` over the cap); returns the same whatever the address's state."""
    address = normalised(typed)
    digest = address_hash(address)
    with store.session() as s:
        hold_until_commit(s, LOCK)
        now = clock.now()
        recent = StatusMail.kind == "confirm", StatusMail.created_at > now - CAP_WINDOW  # type: ignore[operator]
        if int(s.exec(select(func.count()).select_from(StatusMail).where(*recent)).one()) >= per_hour:
            oldest = s.exec(select(func.min(StatusMail.created_at)).where(*recent)).one()
            wait = ensure_utc(oldest) + CAP_WINDOW - now if oldest is not None else CAP_WINDOW
            raise TooManyRequests(max(1, int(wait.total_seconds()) + 1))
        row = s.exec(select(StatusSubscriber).where(StatusSubscriber.address_hash == digest)
                     .with_for_update()).first()
        if row is not None and row.state == "confirmed":
            return
        if row is not None and row.state == "pending" and ensure_utc(row.requested_at) > now - PER_ADDRESS_WINDOW:
            return
        if row is None:
            row = StatusSubscriber(address_hash=digest, requested_at=now, created_at=now)
        row.address, row.state, row.nonce, row.requested_at = address, "pending", secrets.token_hex(8), now
        row.confirmed_at = row.unsubscribed_at = None
        s.add(row)
        s.flush()
        _cancel_pending(s, int(row.id or 0), now, "replaced by a newer confirmation mail")
        s.add(StatusMail(key=f"confirm:{row.id}:{row.nonce}", kind="confirm", subscriber_id=row.id,
                         next_attempt_at=now, created_at=now, updated_at=now))


def confirm(store: Store, clock: Clock, claim: Confirmation) -> None:
    """The confirmation link's claim (checked by :meth:`SubscriptionLinks.confirmation`): from now on the
    subscriber is sent every statement published.  :class:`LinkRefused` for a link replaced or withdrawn."""
    with store.session() as s:
        row = s.exec(select(StatusSubscriber).where(StatusSubscriber.id == claim.subscriber_id)
                     .with_for_update()).first()
        if row is None or row.state == "unsubscribed" or not row.address or row.nonce != claim.nonce:
            raise LinkRefused("this confirmation link is no longer valid (a newer one was sent, or the subscription "
                              "was ended); subscribe again on the status page")
        if row.state == "pending":
            row.state, row.confirmed_at = "confirmed", clock.now()
            s.add(row)


def unsubscribe(store: Store, clock: Clock, claim: Confirmation) -> None:
    """End the subscription the signed link names (its row and nonce: a link of an earlier subscription of the
    row does nothing): the address and its hash are deleted now and no further mail goes."""
    subscriber_id = claim.subscriber_id
    with store.session() as s:
        row = s.exec(select(StatusSubscriber).where(StatusSubscriber.id == subscriber_id).with_for_update()).first()
        if row is None or row.state == "unsubscribed" or row.nonce != claim.nonce:
            return
        now = clock.now()
        row.state, row.address, row.nonce, row.unsubscribed_at = "unsubscribed", None, "", now
        row.address_hash = f"left:{row.id}:{secrets.token_hex(8)}"  # the hash of an address can be reversed
        s.add(row)
        statements = set(s.exec(select(StatusMail.event_id, StatusMail.incident_id).where(
            StatusMail.subscriber_id == subscriber_id, StatusMail.state == "pending",
            StatusMail.kind == "statement")).all())
        _cancel_pending(s, subscriber_id, now, "unsubscribed")
        for event_id, incident_id in statements:  # the cancelled mail may have been a statement's last open one
            report_when_done(s, event_id, incident_id, now)


def _cancel_pending(s, subscriber_id: int, now, why: str) -> None:  # type: ignore[no-untyped-def]
    s.execute(update(StatusMail).where(StatusMail.subscriber_id == subscriber_id,  # type: ignore[arg-type]
                                       StatusMail.state == "pending")
              .values(state="cancelled", outcome=why, updated_at=now))
