"""Sending the status page's mails (confirmations, published statements): claim -> send -> record.

The same protocol as the page steps (:mod:`bot.notify.delivery`), over ``status_mail`` rows
(:mod:`bot.subscriptions.tables`), through the email :class:`~bot.notify.ports.NotifierPort` (SMTP):

1. **claim** (one unit of work): the row is ``pending`` and due, its subscriber still wants it (confirmed for a
   statement; for a confirmation, still pending with the same link), the statement's event still matches its
   seal; set ``sending``.  Otherwise ``cancelled`` (or ``failed``, with why).  A mail that cannot be prepared
   at all (a bug) is tried at the next sweeps, then failed with why after three, and counted in the report.
2. **send**: the mail, with a Message-ID made from the row, so a mail sent again is recognisably the same one;
   a statement carries the unsubscribe link and the RFC 8058 headers.
3. **record** (one unit of work): ``sent``, or the failure: the mail server failing for now (connection, 4xx) is
   retried after :data:`RETRY_BACKOFF`, up to :data:`MAX_ATTEMPTS`; a refusal (5xx) fails it at once.  Every
   failure is kept on the row (the address masked), never only logged.  Once the last mail of a statement is
   settled, the incident's channel is told how many were sent and how many failed (one post per statement).

SMTP cannot be asked what it delivered: a row a crash left in ``sending`` is sent again (:meth:`recover`), at
least once, with the same Message-ID.  Addresses are never logged; rows are named by id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import update
from sqlmodel import Session, select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import digest_matches, hash_matches
from bot.clock import Clock
from bot.notify.sweep import Sweep
from bot.notify.ports import NotifierPort, NotifyError, Outgoing, masked_failure
from bot.store.database import Store
from bot.subscriptions.links import SubscriptionLinks
from bot.subscriptions.mail_report import MAX_ATTEMPTS, report_when_done
from bot.subscriptions.tables import StatusMail, StatusSubscriber

log = logging.getLogger(__name__)

RETRY_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))


def _mail(row: StatusMail, address: str, subject: str, text: str, *headers: tuple[str, str]) -> Outgoing:
    """The row's mail; its reference (and so its Message-ID) is the row's, the same when it is sent again."""
    return Outgoing(method="email", to=address, ref=f"status-{row.id}", page_id=0, subject=subject, text=text,
                    headers=headers)


class StatusMailDispatcher(Sweep):
    what = "status mail"

    def __init__(self, store: Store, config: Callable[[], Any], mailer: NotifierPort, clock: Clock, *,
                 links: SubscriptionLinks, public_url: str) -> None:
        """``public_url``: the web view's address (``WEB_PUBLIC_URL``); the status page is ``<public_url>/status``."""
        self.store, self.config, self.mailer, self.clock = store, config, mailer, clock
        self.links = links
        super().__init__()
        self.page = f"{public_url.rstrip('/')}/status"

    def now(self) -> datetime:
        return self.clock.now()

    def due_ids(self, now: datetime) -> list[int]:
        with self.store.session() as s:
            return [int(i) for i in s.exec(select(StatusMail.id).where(
                StatusMail.state == "pending", StatusMail.next_attempt_at <= now)  # type: ignore[operator]
                .order_by(StatusMail.next_attempt_at, StatusMail.id)).all()]

    def fail_unprepared(self, row_id: int, why: str) -> bool:
        """Fail a mail that could not be prepared, counted in the channel's report."""
        with self.store.session() as s:
            row = s.exec(select(StatusMail).where(StatusMail.id == row_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return False
            self._finish(s, row, self.clock.now(), "failed", why)
            return True

    def recover(self) -> dict[str, int]:
        """Rows a stopped process left in ``sending``: due again now (SMTP cannot say whether they went)."""
        with self.store.session() as s:
            done = s.execute(update(StatusMail).where(StatusMail.state == "sending")  # type: ignore[arg-type]
                             .values(state="pending", next_attempt_at=self.clock.now()))
            return {"resent": int(done.rowcount or 0)}

    def fire(self, row_id: int) -> str:
        claimed = self._claim(row_id)
        if isinstance(claimed, str):
            return claimed
        row, message = claimed
        try:
            ref = self.mailer.send(message)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried or failed
            return self._failed_attempt(row, exc, message.to)
        self._settle(row, "sent", None, provider_ref=ref)
        return "sent"

    # --- claim -------------------------------------------------------------------------------------

    def _claim(self, row_id: int) -> tuple[StatusMail, Outgoing] | str:
        with self.store.session() as s:
            now = self.clock.now()
            row = s.exec(select(StatusMail).where(StatusMail.id == row_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return "not-pending"
            sub = s.get(StatusSubscriber, row.subscriber_id)
            wanted = sub is not None and bool(sub.address) and (
                sub.state == "confirmed" if row.kind == "statement"
                else sub.state == "pending" and row.key == f"confirm:{sub.id}:{sub.nonce}")
            if not wanted:
                self._finish(s, row, now, "cancelled", "the subscriber left, or a newer confirmation replaced it")
                return "cancelled"
            try:
                message = self._message(s, row, sub)
            except LookupError as exc:
                self._finish(s, row, now, "failed", str(exc))
                return "failed"
            attempts = row.attempts + 1
            done = s.execute(update(StatusMail).where(StatusMail.id == row.id,  # type: ignore[arg-type]
                                                      StatusMail.state == "pending")
                             .values(state="sending", attempts=attempts, claimed_at=now, updated_at=now))
            if not done.rowcount:
                return "lost"
            s.expunge(row)
            row.state, row.attempts = "sending", attempts
            return row, message

    def _message(self, s: Session, row: StatusMail, sub: StatusSubscriber) -> Outgoing:
        organisation = self.config().settings.organisation
        address = str(sub.address)
        if row.kind == "confirm":
            link = f"{self.page}/confirm?t={self.links.confirm_token(int(sub.id or 0), sub.nonce)}"
            text = (f"Someone, we hope you, asked for {organisation}'s public statements about incidents to be "
                    f"emailed to this address.\n\nTo confirm, open this link within 24 hours and press the "
                    f"button on the page:\n{link}\n\nIf it was not you, ignore this mail: nothing more is sent "
                    f"unless the link is confirmed.\n")
            return _mail(row, address, f"Confirm your subscription to {organisation}'s status updates", text)
        event = s.get(TimelineEvent, row.event_id)
        if event is None or event.kind != "statement.published" or event.redacted:
            raise LookupError("the statement's record is gone or was redacted; nothing was sent")
        if not (hash_matches(event) and digest_matches(event)):
            raise LookupError("the statement no longer matches its audit record (withheld, as on the status page)")
        first = s.exec(select(TimelineEvent.hash).where(TimelineEvent.incident_id == event.incident_id,
                                                        TimelineEvent.kind == "statement.published")
                       .order_by(TimelineEvent.at, TimelineEvent.id)).first() or event.hash
        public_id, status = first[:12], str((event.data or {}).get("status", ""))
        leave = f"{self.page}/unsubscribe?t={self.links.leave_token(int(sub.id or 0), sub.nonce)}"
        text = (f"{status.capitalize()} - incident {public_id}, {event.at:%Y-%m-%d %H:%M} UTC\n\n"
                f"{(event.data or {}).get('text', '')}\n\nEvery update: {self.page}#i-{public_id}\n"
                f"Audit record: {event.hash}\n\n--\nYou get this because you subscribed to {organisation}'s status "
                f"updates. Unsubscribe: {leave}\n")
        return _mail(row, address, f"[{organisation} status] {status.capitalize()}: incident {public_id}", text,
                     ("List-Unsubscribe", f"<{leave}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))

    # --- record ------------------------------------------------------------------------------------

    def _failed_attempt(self, row: StatusMail, exc: Exception, address: str) -> str:
        transient = exc.transient if isinstance(exc, NotifyError) else True
        error = masked_failure(exc, address)[:1000]
        if transient and row.attempts < MAX_ATTEMPTS:
            now = self.clock.now()
            wait = RETRY_BACKOFF[min(row.attempts, len(RETRY_BACKOFF)) - 1]
            with self.store.session() as s:
                s.execute(update(StatusMail).where(StatusMail.id == row.id,  # type: ignore[arg-type]
                                                   StatusMail.state == "sending")
                          .values(state="pending", next_attempt_at=now + wait, outcome=error, updated_at=now))
            log.warning("status mail %s not sent (attempt %d), retrying in %s: %s", row.id, row.attempts, wait, error)
            return "retry"
        self._settle(row, "failed", error)
        log.error("status mail %s failed for good after %d attempt(s): %s", row.id, row.attempts, error)
        return "failed"

    def _settle(self, row: StatusMail, state: str, outcome: str | None, *, provider_ref: str | None = None) -> None:
        with self.store.session() as s:
            now = self.clock.now()
            done = s.execute(update(StatusMail).where(StatusMail.id == row.id,  # type: ignore[arg-type]
                                                      StatusMail.state == "sending")
                             .values(state=state, outcome=outcome, provider_ref=(provider_ref or None),
                                     sent_at=now if state == "sent" else None, updated_at=now))
            if done.rowcount:
                self._report_when_done(s, row, now)

    def _finish(self, s: Session, row: StatusMail, now: datetime, state: str, outcome: str) -> None:
        s.execute(update(StatusMail).where(StatusMail.id == row.id)  # type: ignore[arg-type]
                  .values(state=state, outcome=outcome[:1000], updated_at=now))
        self._report_when_done(s, row, now)

    def _report_when_done(self, s: Session, row: StatusMail, now: datetime) -> None:
        """The last mail of a statement settled: tell the incident's channel, once, how many went."""
        if row.kind == "statement":
            report_when_done(s, row.event_id, row.incident_id, now)
