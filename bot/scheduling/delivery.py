"""Delivering due reminders exactly once, as observed in the chat.

The protocol for one reminder (see ``docs/scheduling.md``):

1. **claim** (one unit of work): lock the row, check it is ``pending`` and due,
   let its kind decide (send / hold / drop), then store the rendered message
   and the resolved address and set ``state = 'sending'``.  Side effects of
   the kind (escalating a page) commit together with the claim.
2. **send** with the reminder's key as idempotency key (the chat adapter puts
   it into the message metadata).
3. **record** (one unit of work): ``state = 'sent'`` with the message
   timestamp, the kind's own bookkeeping (the page is now sent), a timeline
   event, and a re-sync of the incident (an escalation may now be wanted).

A crash between 1 and 3 leaves the row in ``sending``.  :meth:`Dispatcher.recover`
(run whenever this process becomes the active scheduler) asks the chat whether
a message with that key exists: found -> recorded as sent; not found -> sent
now.  So every reminder is delivered once and recorded once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from sqlalchemy import update
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.clock import Clock
from bot.ports import ChatError, ChatPort
from bot.scheduling.notice_codec import notice_from_json, notice_to_json
from bot.scheduling.notices import span
from bot.scheduling.tables import Reminder
from bot.scheduling.wanted import Drop, Hold, ReminderKind, Send
from bot.store.database import Store

log = logging.getLogger(__name__)

RETRY_BACKOFF = (timedelta(seconds=10), timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                 timedelta(minutes=5))
MAX_ATTEMPTS = 8
LATE_NOTE_AFTER = timedelta(seconds=60)


class _Lost(Exception):
    """Another worker claimed the reminder first; roll the claim back."""


def lateness_note(late: timedelta) -> str:
    return f"Sent {span(late)} late: the scheduler was not running when this was due."


def _on_time(row: Reminder) -> datetime:
    """When sending would have been on time: the planned attempt (due time, or later when held or retried),
    or the creation if it was created already due. Lateness past this is the scheduler's own."""
    return max(row.due_at, row.next_attempt_at, row.created_at)


class Dispatcher:
    """Finds due reminders and delivers them (claim -> send -> record)."""

    def __init__(self, store: Store, config: Callable[[], Any], chat: ChatPort, clock: Clock, *,
                 kinds: Iterable[ReminderKind] | None = None, batch_size: int = 200) -> None:
        if kinds is None:
            from bot.scheduling.kinds import ALL_KINDS

            kinds = ALL_KINDS
        self.store = store
        self.config = config
        self.chat = chat
        self.clock = clock
        self.kind_modules = tuple(kinds)
        self.kinds = {n: k for k in self.kind_modules for n in getattr(k, "names", (k.name,))}
        self.batch_size = batch_size

    # --- finding work ----------------------------------------------------------

    def due_ids(self, now: datetime, limit: int | None = None) -> list[int]:
        with self.store.session() as s:
            query = (select(Reminder.id).where(Reminder.state == "pending", Reminder.next_attempt_at <= now)
                     .order_by(Reminder.next_attempt_at, Reminder.id).limit(limit or self.batch_size))
            return [int(i) for i in s.exec(query).all()]

    def run_due(self) -> dict[str, int]:
        """Deliver everything due by the injected clock; returns counts per outcome."""
        counts: dict[str, int] = {}
        seen: set[int] = set()
        while True:
            ids = [i for i in self.due_ids(self.clock.now()) if i not in seen]
            if not ids:
                return counts
            for reminder_id in ids:
                seen.add(reminder_id)
                try:
                    outcome = self.fire(reminder_id)
                except Exception:  # noqa: BLE001 - one broken reminder must not hold up the others
                    log.exception("reminder %s could not be processed; the others go on", reminder_id)
                    outcome = "error"
                counts[outcome] = counts.get(outcome, 0) + 1

    # --- one reminder ------------------------------------------------------------

    def fire(self, reminder_id: int) -> str:
        """Deliver one reminder if it is pending and due. Returns what happened."""
        now = self.clock.now()
        try:
            claimed = self._claim(reminder_id, now)
        except _Lost:
            return "lost"
        except Exception as exc:  # noqa: BLE001 - a kind failed to prepare: nothing was claimed or changed
            return self._prepare_failed(reminder_id, exc, now)
        if isinstance(claimed, str):
            return claimed
        return self._send_and_record(claimed, now)

    def _claim(self, reminder_id: int, now: datetime) -> Reminder | str:
        with self.store.session() as s:
            row = s.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return "not-pending"
            if row.next_attempt_at > now:
                return "not-due"
            kind = self.kinds.get(row.kind)
            if kind is None:
                self._finish(s, row, now, state="failed", error=f"unknown reminder kind {row.kind!r}")
                return "failed"
            config = self.config()
            outcome = kind.prepare(s, config, row, now)
            if isinstance(outcome, Drop):
                self._finish(s, row, now, state="cancelled", error=None)
                log.info("reminder %s dropped: %s", row.key, outcome.reason)
                return "dropped"
            if isinstance(outcome, Hold):
                s.execute(update(Reminder).where(Reminder.id == row.id)  # type: ignore[arg-type]
                          .values(next_attempt_at=outcome.until, updated_at=now))
                log.info("reminder %s held until %s: %s", row.key, outcome.until.isoformat(), outcome.reason)
                return "held"
            assert isinstance(outcome, Send)
            notice = outcome.notice
            late = now - _on_time(row)
            if late > LATE_NOTE_AFTER:
                footer = f"{notice.footer}\n{lateness_note(late)}" if notice.footer else lateness_note(late)
                notice = replace(notice, footer=footer)
            message = notice_to_json(notice)
            message["direct"] = outcome.direct
            done = s.execute(
                update(Reminder).where(Reminder.id == row.id, Reminder.state == "pending")  # type: ignore[arg-type]
                .values(state="sending", attempts=row.attempts + 1, delivered_to=outcome.address, message=message,
                        updated_at=now)
            )
            if not done.rowcount:
                raise _Lost()
            # A detached copy of what was just written (no reload, no write-back on commit).
            s.expunge(row)
            row.state, row.attempts, row.delivered_to = "sending", row.attempts + 1, outcome.address
            row.message, row.updated_at = message, now
            if getattr(kind, "RESYNC_AFTER_CLAIM", False):
                self._resync(s, config, row.incident_id, now)
            return row

    def _prepare_failed(self, reminder_id: int, exc: Exception, now: datetime) -> str:
        """Preparing failed (everything it did was rolled back): try again later, give up after the limit."""
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.error("reminder %s could not be prepared: %s", reminder_id, error, exc_info=exc)
        with self.store.session() as s:
            row = s.get(Reminder, reminder_id)
            if row is None or row.state != "pending":
                return "not-pending"
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "pending")  # type: ignore[arg-type]
                          .values(state="failed", attempts=attempts, last_error=error, updated_at=now))
                append_event(s, incident_id=row.incident_id, actor="system", kind="reminder.failed", at=now,
                             summary=f"Could not prepare {row.kind} reminder {row.key} after {attempts} attempt(s): "
                                     f"{error}", data={"key": row.key, "kind": row.kind, "attempts": attempts})
                return "failed"
            wait = RETRY_BACKOFF[min(attempts, len(RETRY_BACKOFF)) - 1]
            s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "pending")  # type: ignore[arg-type]
                      .values(attempts=attempts, next_attempt_at=now + wait, last_error=error, updated_at=now))
            return "retry"

    def _send(self, row: Reminder) -> str:
        message = dict(row.message or {})
        direct = bool(message.pop("direct", False))
        notice = notice_from_json(message)
        assert row.delivered_to
        if direct:
            return self.chat.direct_message(row.delivered_to, notice, key=row.key)
        return self.chat.post(row.delivered_to, notice, key=row.key)

    def _send_and_record(self, row: Reminder, now: datetime) -> str:
        try:
            ts = self._send(row)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried or failed
            return self._failed_attempt(row, exc)
        self._record_sent(row, ts, sent_at=now)
        return "sent"

    def _failed_attempt(self, row: Reminder, exc: Exception) -> str:
        now = self.clock.now()
        transient = exc.transient if isinstance(exc, ChatError) else True  # unknown errors: retry, bounded
        error = f"{type(exc).__name__}: {exc}"[:1000]
        with self.store.session() as s:
            current = s.get(Reminder, row.id)
            if current is None or current.state != "sending":
                return "not-pending"
            if transient and current.attempts < MAX_ATTEMPTS:
                wait = RETRY_BACKOFF[min(current.attempts, len(RETRY_BACKOFF)) - 1]
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(state="pending", next_attempt_at=now + wait, last_error=error, updated_at=now))
                log.warning("reminder %s not delivered (attempt %d), retrying in %s: %s",
                            row.key, current.attempts, wait, error)
                return "retry"
            self._finish(s, current, now, state="failed", error=error)
            append_event(s, incident_id=current.incident_id, actor="system", kind="reminder.failed", at=now,
                         summary=f"Could not deliver {current.kind} reminder {current.key} after "
                                 f"{current.attempts} attempt(s): {error}",
                         data={"key": current.key, "kind": current.kind, "attempts": current.attempts})
            log.error("reminder %s failed for good: %s", row.key, error)
            kind = self.kinds.get(current.kind)
            on_failed = getattr(kind, "on_failed", None)
            if on_failed is not None:  # e.g. a page that cannot be delivered escalates at once
                config = self.config()
                on_failed(s, config, current, now)
                self._resync(s, config, current.incident_id, now)
            return "failed"

    def _record_sent(self, row: Reminder, ts: str, *, sent_at: datetime) -> None:
        try:
            self._record_sent_fully(row, ts, sent_at=sent_at)
        except Exception as exc:  # noqa: BLE001 - the message is out: never leave it to be sent again
            log.exception("reminder %s was sent (ts %s) but its bookkeeping failed; recording the delivery only",
                          row.key, ts)
            late = max(0.0, (sent_at - _on_time(row)).total_seconds())
            with self.store.session() as s:
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(state="sent", sent_at=sent_at, message_ts=ts, late_by_seconds=late,
                                  last_error=f"sent, but recording failed: {type(exc).__name__}: {exc}"[:1000],
                                  updated_at=self.clock.now()))

    def _record_sent_fully(self, row: Reminder, ts: str, *, sent_at: datetime) -> None:
        now = self.clock.now()
        late = max(0.0, (sent_at - _on_time(row)).total_seconds())
        with self.store.session() as s:
            done = s.execute(
                update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                .values(state="sent", sent_at=sent_at, message_ts=ts, late_by_seconds=late, updated_at=now)
            )
            if not done.rowcount:
                return
            current = row  # the claimed copy: key, kind, incident, target, payload, address are final
            config = self.config()
            kind = self.kinds.get(current.kind)
            if kind is not None:
                kind.after_sent(s, config, current, sent_at)
            late_text = f", {late:.0f} s late" if late >= LATE_NOTE_AFTER.total_seconds() else ""
            append_event(s, incident_id=current.incident_id, actor="system", kind="reminder.sent", at=sent_at,
                         summary=f"Sent {current.kind.replace('_', ' ')} reminder to {current.delivered_to}{late_text}",
                         data={"key": current.key, "kind": current.kind, "to": current.delivered_to, "ts": ts,
                               "late_by_seconds": round(late, 3)})
            if getattr(kind, "RESYNC_AFTER_SENT", False):
                self._resync(s, config, current.incident_id, now)

    def _resync(self, session: Session, config: Any, incident_id: int, now: datetime) -> None:
        from bot.scheduling.sync import sync_incident

        sync_incident(session, config, incident_id, now, kinds=self.kind_modules)

    @staticmethod
    def _finish(session: Session, row: Reminder, now: datetime, *, state: str, error: str | None) -> None:
        session.execute(update(Reminder).where(Reminder.id == row.id)  # type: ignore[arg-type]
                        .values(state=state, last_error=error, updated_at=now))

    # --- after a crash -----------------------------------------------------------------

    def recover(self, *, claimed_before: datetime | None = None) -> dict[str, int]:
        """Resolve reminders left in ``sending`` by a crashed process (ask the chat, then record or re-send).

        At start every ``sending`` row is stuck; while running, only those claimed before ``claimed_before``
        (a delivery in progress is never that old)."""
        counts = {"found": 0, "resent": 0, "unresolved": 0}
        with self.store.session() as s:
            query = select(Reminder).where(Reminder.state == "sending")
            if claimed_before is not None:
                query = query.where(Reminder.updated_at < claimed_before)
            stuck = list(s.exec(query.order_by(Reminder.id)).all())
        for row in stuck:
            try:
                ts = self.chat.find_sent(row.delivered_to or "", row.key) if row.delivered_to else None
            except Exception as exc:  # noqa: BLE001 - the chat is unreachable: leave it for the next check
                log.warning("could not check whether reminder %s was delivered: %s", row.key, exc)
                counts["unresolved"] += 1
                continue
            if ts:
                # The message went out after the claim; the claim time is the best record of when.
                self._record_sent(row, ts, sent_at=row.updated_at)
                counts["found"] += 1
                log.info("reminder %s was delivered before a crash (ts %s); recorded it", row.key, ts)
            else:
                outcome = self._send_and_record(row, self.clock.now())
                counts["resent"] += outcome == "sent"
                log.info("reminder %s was claimed but not delivered before a crash; %s now", row.key, outcome)
        return counts
