"""Delivering notification steps exactly once as seen by the recipient: claim -> send -> record.

The same protocol as the Slack outbox (``bot/scheduling/delivery.py``), for the SMS, voice and email
steps of pages (:class:`~bot.notify.tables.Notification` rows):

1. **claim** (one unit of work): lock the row, check it is ``pending`` and due, check the page still
   wants it (not acknowledged, declined, cancelled; the incident active), check the labor rules still
   allow contacting the person now (else ``suppressed``, on every method), find the address in
   ``config/people.yaml`` (none: ``failed``, and the next step falls through to now), set ``sending``.
2. **send** through the method's :class:`~bot.notify.ports.NotifierPort`.
3. **record** (one unit of work): ``sent`` with the provider's id, a ``page.notified`` timeline event.

The retry of an attempt that got no answer (a timeout may hide a message the provider took) asks the
provider first whether it went out after all, the same lookup as after a crash.

Later, the provider may report that a sent SMS was not delivered after all (Twilio's status callback):
:func:`delivery_report` then fails the step the same way, and the next one goes at once.

A crash between 1 and 3 leaves the row in ``sending``: :meth:`NotificationDispatcher.recover` asks the
provider for a message with the step's reference sent since the claim (found: recorded, not sent
again; not found: sent now).  A failure between them that the process survives (the database refusing
the record of a sent SMS) is resolved the same way by the next sweep.  A step whose fate cannot be found
out (the provider's lookup fails, the method is no longer configured) holds up no other step: it stays in
``sending``, is asked about again at every sweep, and the operations channel is told once.  A provider failure
is retried a little (a page is urgent: seconds, not minutes), then the step is ``failed``, recorded on the
timeline, told in the incident channel (the ``page_method`` reminder kind), and the page's next step is due
at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from sqlalchemy import update
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.clock import Clock, ensure_utc
from bot.notify import plan
from bot.notify.failover import fail_step
from bot.oncall.notification_rules import METHOD_NAMES
from bot.notify.links import LinkSigner
from bot.notify.messages import page_message
from bot.notify.ports import NotifierPort, NotifyError, Outgoing, mask, masked_failure
from bot.notify.sweep import Sweep
from bot.notify.tables import Notification
from bot.store.database import Store
from bot.store.outage import about_the_database

log = logging.getLogger(__name__)

RETRY_BACKOFF = (timedelta(seconds=10), timedelta(seconds=20))
MAX_ATTEMPTS = 3  # then the step fails and the next method is tried at once
RECOVERY_MARGIN = timedelta(minutes=1)  # clock difference with the provider when looking a message up


class NotificationDispatcher(Sweep):
    what = "notification"

    def __init__(self, store: Store, config: Callable[[], Any], notifiers: Mapping[str, NotifierPort], clock: Clock,
                 *, links: LinkSigner | None = None, public_url: str = "") -> None:
        """``notifiers`` maps a method (sms, voice, email) to its adapter; a method without one fails over
        to the next step (and says that it is not configured).  ``links`` and ``public_url`` make the
        acknowledgement links in emails."""
        self.store = store
        self.config = config
        self.notifiers = dict(notifiers)
        self.clock = clock
        self.links = links
        self.public_url = public_url.rstrip("/")
        super().__init__()
        self._refused: set[int] = set()  # steps whose last attempt the provider answered with an error: nothing went

    # --- finding work --------------------------------------------------------------

    def due_ids(self, now: datetime) -> list[int]:
        with self.store.session() as s:
            return [int(i) for i in s.exec(select(Notification.id).where(Notification.state == "pending",
                                                                          Notification.next_attempt_at <= now)
                                           .order_by(Notification.next_attempt_at, Notification.id)).all()]

    def now(self) -> datetime:
        return self.clock.now()

    def fail_unprepared(self, row_id: int, why: str) -> bool:
        """Fail a step that could not be prepared like a step the provider refused (:func:`fail_step`: recorded,
        told, the next method at once)."""
        with self.store.session() as s:
            row = s.exec(select(Notification).where(Notification.id == row_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return False
            fail_step(s, self.config(), row, self.clock.now(), why)
            return True

    # --- one step ------------------------------------------------------------------

    def fire(self, row_id: int) -> str:
        claimed = self._claim(row_id, self.clock.now())
        if isinstance(claimed, str):
            return claimed
        row, message = claimed
        if row.attempts > 1 and row.id not in self._refused:
            outcome = self._retry(row, message)
        else:
            outcome = self._send_and_record(row, message)
        if outcome != "retry":
            self._refused.discard(int(row.id or 0))
        return outcome

    def _retry(self, row: Notification, message: Outgoing) -> str:
        """The last attempt failed without the provider's answer (a timeout, a connection cut while its answer was
        on the way; or in another process), so the provider may have taken the message: it is asked first, as
        after a crash, and the person is not reached twice.  While it cannot be asked, this attempt fails like a
        send would (retried, then the next method): a second SMS is not sent on a guess.  An attempt the provider
        answered with an error (5xx, 429) sent nothing, so its retry is not looked up: a call has no text to
        search, and any call to the number counts, e.g. another page's call."""
        since = ensure_utc(row.claimed_at or row.updated_at) - RECOVERY_MARGIN
        try:
            found = self.notifiers[row.method].find_sent(message, since)
        except Exception as exc:  # noqa: BLE001 - recorded, retried or failed over like a failed send
            return self._failed_attempt(row, exc, message.to, answered=False)  # still unknown whether it went
        if not found:
            return self._send_and_record(row, message)
        self._record_sent(row, message, found, self.clock.now())
        log.info("page %s: %s had been sent by an earlier attempt (%s); recorded it", row.page_id, row.method, found)
        return "found"

    def _message(self, session: Session, row: Notification, page: Any, incident: Any, to: str) -> Outgoing:
        if page is None:
            from bot.notify.test_page import trial_text

            subject, text = trial_text(row.method, row.person_id)
            return Outgoing(method=row.method, to=to, ref=f"T{row.id}", subject=subject, text=f"{text} Ref T{row.id}",
                            page_id=0)
        ack_url = None
        if row.method == "email" and self.links is not None and self.public_url:
            ack_url = f"{self.public_url}/page/ack?t={self.links.token(page.id, 'ack', row.key)}"
        group = None
        if incident is None and page.alert_group_id is not None:  # a page route's page: no incident
            from bot.alerts.tables import AlertGroup

            group = session.get(AlertGroup, page.alert_group_id)
        return page_message(method=row.method, to=to, page=page, incident=incident, step=row.step, ack_url=ack_url,
                            group=group)

    def _claim(self, row_id: int, now: datetime) -> tuple[Notification, Outgoing] | str:
        from bot.incidents.tables import Incident
        from bot.oncall.tables import Page

        with self.store.session() as s:
            row = s.exec(select(Notification).where(Notification.id == row_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return "not-pending"
            if ensure_utc(row.next_attempt_at) > now:
                return "not-due"
            if row.page_id is None:  # a test page the person asked for: no labor check, nothing to stop it
                return self._claim_test(s, row, now)
            page = s.get(Page, row.page_id)
            incident = s.get(Incident, row.incident_id) if row.incident_id is not None else None
            acked = {p.target for p in s.exec(select(Page).where(Page.incident_id == row.incident_id,
                                                                 Page.status == "acked"))} if incident else set()
            stop = plan.stop_reason(page, incident, acked) if page is not None else "the page is gone"
            if stop is not None:
                self._finish(s, row, now, "cancelled", stop)
                return "cancelled"
            config = self.config()
            blocked = plan.contact_block(s, config, page, now)
            if blocked is not None:
                self._finish(s, row, now, "suppressed", blocked)
                append_event(s, incident_id=row.incident_id, actor="system", kind="page.method_suppressed", at=now,
                             summary=f"{METHOD_NAMES[row.method]} to {row.person_id} not sent: {blocked}",
                             data={"page_id": page.id, "method": row.method, "step": row.step, "reason": blocked})
                return "suppressed"
            contact, _ = plan.person_contact(config, row.person_id)
            address = contact.address(row.method)
            problem = None
            if not address:
                problem = f"no {'phone number' if row.method in ('sms', 'voice') else 'email address'} for " \
                          f"{row.person_id} in config/people.yaml"
            elif row.method not in self.notifiers:
                problem = f"{METHOD_NAMES[row.method]} is not configured (docs/paging.md)"
            if problem is not None:
                self._failed(s, row, now, problem)
                return "failed"
            return self._mark_sending(s, row, now, self._message(s, row, page, incident, address))

    def _claim_test(self, s: Session, row: Notification, now: datetime) -> tuple[Notification, Outgoing] | str:
        contact, _ = plan.person_contact(self.config(), row.person_id)
        address = contact.address(row.method)
        if not address or row.method not in self.notifiers:
            self._finish(s, row, now, "failed", f"no address for {row.method}" if not address
                         else f"{METHOD_NAMES[row.method]} is not configured (docs/paging.md)")
            return "failed"
        return self._mark_sending(s, row, now, self._message(s, row, None, None, address))

    def _mark_sending(self, s: Session, row: Notification, now: datetime,
                      message: Outgoing) -> tuple[Notification, Outgoing] | str:
        attempts = row.attempts + 1
        # the first attempt's claim: where a retry or a recovery starts looking for a message already sent
        claimed_at = row.claimed_at if attempts > 1 and row.claimed_at is not None else now
        done = s.execute(update(Notification).where(Notification.id == row.id,  # type: ignore[arg-type]
                                                    Notification.state == "pending")
                         .values(state="sending", attempts=attempts, claimed_at=claimed_at, updated_at=now))
        if not done.rowcount:
            return "lost"
        s.expunge(row)
        row.state, row.attempts, row.claimed_at = "sending", attempts, claimed_at
        return row, message

    def _send_and_record(self, row: Notification, message: Outgoing) -> str:
        try:
            provider_ref = self.notifiers[row.method].send(message)
        except Exception as exc:  # noqa: BLE001 - every provider failure is recorded, retried or failed over
            answered = isinstance(exc, NotifyError) and bool(exc.code)  # an error answer: nothing was sent
            return self._failed_attempt(row, exc, message.to, answered=answered)
        self._record_sent(row, message, provider_ref, self.clock.now())
        return "sent"

    def _record_sent(self, row: Notification, message: Outgoing, provider_ref: str, at: datetime) -> None:
        with self.store.session() as s:
            done = s.execute(update(Notification).where(Notification.id == row.id,  # type: ignore[arg-type]
                                                        Notification.state == "sending")
                             .values(state="sent", sent_at=at, provider_ref=provider_ref[:64], outcome=None,
                                     updated_at=self.clock.now()))
            if not done.rowcount:
                return
            test = row.page_id is None
            append_event(s, incident_id=row.incident_id, actor="system", kind="page.test_sent" if test
                         else "page.notified", at=at,
                         summary=f"{'test ' if test else ''}{METHOD_NAMES[row.method]} to {row.person_id} "
                                 f"({mask(message.to)}) sent" + ("" if test else f", step {row.step} of the page"),
                         data={"page_id": row.page_id, "method": row.method, "step": row.step,
                               "provider_ref": provider_ref, "ref": message.ref})
        log.info("page %s: %s to %s sent (%s)", row.page_id, row.method, mask(message.to), provider_ref)

    def _failed_attempt(self, row: Notification, exc: Exception, address: str, *, answered: bool) -> str:
        """``answered``: the provider answered with an error, so nothing was sent (its retry need not ask)."""
        (self._refused.add if answered else self._refused.discard)(int(row.id or 0))
        now = self.clock.now()
        transient = exc.transient if isinstance(exc, NotifyError) else True
        error = masked_failure(exc, address)[:1000]
        with self.store.session() as s:
            current = s.get(Notification, row.id)
            if current is None or current.state != "sending":
                return "not-pending"
            if transient and current.attempts < MAX_ATTEMPTS:
                wait = RETRY_BACKOFF[min(current.attempts, len(RETRY_BACKOFF)) - 1]
                s.execute(update(Notification).where(Notification.id == row.id,  # type: ignore[arg-type]
                                                     Notification.state == "sending")
                          .values(state="pending", next_attempt_at=now + wait, outcome=error, updated_at=now))
                log.warning("page %s: %s not sent (attempt %d), retrying in %s: %s", row.page_id, row.method,
                            current.attempts, wait, error)
                return "retry"
            self._failed(s, current, now, error)
            return "failed"

    def _failed(self, s: Session, row: Notification, now: datetime, error: str) -> None:
        fail_step(s, self.config(), row, now, error)

    @staticmethod
    def _finish(s: Session, row: Notification, now: datetime, state: str, outcome: str) -> None:
        s.execute(update(Notification).where(Notification.id == row.id)  # type: ignore[arg-type]
                  .values(state=state, outcome=outcome[:1000], updated_at=now))

    # --- after a crash ---------------------------------------------------------------

    def recover(self) -> dict[str, int]:
        """Resolve steps left in ``sending`` by a crashed process: ask the provider, then record or send.

        A step whose fate cannot be found out now (the provider's lookup fails, its page cannot be read) holds
        up no other step, nor the sweep's new pages: it stays in ``sending``, is asked about again at the next
        sweep, and the operations channel is told once (:meth:`_unresolved`)."""
        from bot.incidents.tables import Incident
        from bot.oncall.tables import Page

        counts = {"found": 0, "resent": 0}  # and "unresolved" when a step's fate is still unknown
        with self.store.session() as s:
            stuck = list(s.exec(select(Notification).where(Notification.state == "sending")
                                .order_by(Notification.id)).all())
            work = []
            for row in stuck:
                s.expunge(row)
                try:
                    page = s.get(Page, row.page_id)
                    incident = s.get(Incident, row.incident_id) if row.incident_id is not None else None
                    contact, _ = plan.person_contact(self.config(), row.person_id)
                    address = contact.address(row.method) or ""
                    work.append((row, self._message(s, row, page, incident, address)))
                except Exception as exc:  # noqa: BLE001 - this step alone: asked about again, told once
                    if about_the_database(exc):
                        raise
                    work.append((row, exc))
        for row, message in work:
            try:
                if isinstance(message, Exception):
                    raise message
                outcome = self._recover_one(row, message)
                if outcome is not None:
                    counts[outcome] += 1
            except Exception as exc:  # noqa: BLE001 - this step alone: asked about again, told once
                if about_the_database(exc):
                    raise
                counts["unresolved"] = counts.get("unresolved", 0) + 1
                self._unresolved(row, exc, message.to if isinstance(message, Outgoing) else "")
        return counts

    def _recover_one(self, row: Notification, message: Outgoing) -> str | None:
        """"found" (recorded), "resent", or None: sending it again failed and was recorded like any attempt."""
        notifier = self.notifiers.get(row.method)
        if notifier is None:
            raise NotifyError(f"{METHOD_NAMES.get(row.method, row.method)} is not configured any more "
                              "(docs/paging.md)", transient=True)
        since = ensure_utc(row.claimed_at or row.updated_at) - RECOVERY_MARGIN
        found = notifier.find_sent(message, since)
        if found:
            self._record_sent(row, message, found, ensure_utc(row.claimed_at or row.updated_at))
            log.info("page %s: %s was sent before a crash (%s); recorded it", row.page_id, row.method, found)
            return "found"
        return "resent" if self._send_and_record(row, message) == "sent" else None

    def _unresolved(self, row: Notification, exc: Exception, address: str) -> None:
        """A step left in ``sending`` whose fate could not be found out: asked about again at the next sweep;
        the operations channel is told once per step (it may not have reached the person), never the address."""
        from bot.notify.step_notices import fate_unknown
        from bot.outbox.operator_notices import tell_operators

        self._left_sending = True
        error = masked_failure(exc, address)[:300]
        notice = fate_unknown(row, METHOD_NAMES.get(row.method, row.method), exc)
        try:
            with self.store.session() as s:
                told = tell_operators(s, self.config(), cause=f"page-step-unknown:{row.id}", notice=notice,
                                      at=self.clock.now())
        except Exception:  # noqa: BLE001 - the database too: told at a later sweep
            log.exception("page %s: telling the operators about its %s step failed", row.page_id, row.method)
            told = False
        if told:
            log.error("page %s: whether its %s step %s was sent is unknown (%s); asked again at every sweep",
                      row.page_id, row.method, row.step, error, exc_info=not isinstance(exc, NotifyError))
        else:
            log.warning("page %s: whether its %s step %s was sent is still unknown (%s)", row.page_id, row.method,
                        row.step, error)

