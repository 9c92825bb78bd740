"""Delivering due outbox rows exactly once, as observed in the chat.

The protocol for one row, reminder or effect alike (see ``docs/scheduling.md``):

1. **claim** (one unit of work): lock the row, check it is ``pending``, due,
   and not waiting for an older row of its lane or for the row it comes
   after; let its kind decide (send / act / hold / drop), then store what to
   do and where and set ``state = 'sending'``.  Side effects of the kind
   (escalating a page) commit together with the claim.
2. **do it** in Slack (:mod:`bot.scheduling.execute`), messages with the row's
   key as idempotency key (the chat adapter puts it into the message metadata).
3. **record** (one unit of work): ``state = 'sent'`` with what Slack answered,
   the kind's own bookkeeping (the page is now sent, the channel is recorded),
   a timeline event, and a re-sync of the incident (an escalation may now be
   wanted).

A crash between 1 and 3 leaves the row in ``sending``.  :meth:`Dispatcher.recover`
(run whenever this process becomes the active scheduler) asks the chat whether
a message with that key exists: found -> recorded as sent; not found -> sent
now; other operations are repeated, which Slack sees once (``execute``).  So
every row is delivered once and recorded once.

Nothing here waits on Slack: a failed attempt goes back to ``pending`` with a
back-off (at least what a 429's ``Retry-After`` asked for); the worker
(:mod:`bot.scheduling.worker`) runs attempts on a bounded pool.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.clock import Clock
from bot.ports import ChatError, ChatPort
from bot.scheduling import execute, failures
from bot.scheduling.notices import span
from bot.scheduling.tables import EFFECT_KINDS, OPEN_STATES, Reminder
from bot.scheduling.wanted import Act, Drop, Hold, ReminderKind, Send
from bot.store.database import Store

log = logging.getLogger(__name__)

RETRY_BACKOFF = (timedelta(seconds=10), timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                 timedelta(minutes=5))
MAX_ATTEMPTS = 8  # transient failures (5xx, network) before a row fails for good: about 18 minutes
LATE_NOTE_AFTER = timedelta(seconds=60)


class _Lost(Exception):
    """Another worker claimed the reminder first; roll the claim back."""


LATE_SUFFIX = "the scheduler was not running when this was due."


def lateness_note(late: timedelta) -> str:
    return f"Sent {span(late)} late: {LATE_SUFFIX}"


def _waiting() -> Any:
    """SQL condition: an older row of the same lane, or the row this one comes after, is still open."""
    older, first = aliased(Reminder), aliased(Reminder)
    lane_busy = exists().where(older.lane == Reminder.lane, older.id < Reminder.id,  # type: ignore[arg-type]
                               older.state.in_(OPEN_STATES))  # type: ignore[attr-defined]
    before_busy = exists().where(first.key == Reminder.after_key, first.state.in_(OPEN_STATES))  # type: ignore[attr-defined]
    return lane_busy | before_busy


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
        """Pending rows due by ``now`` whose lane and predecessor let them go, oldest first."""
        with self.store.session() as s:
            query = (select(Reminder.id).where(Reminder.state == "pending", Reminder.next_attempt_at <= now,
                                               ~_waiting())
                     .order_by(Reminder.next_attempt_at, Reminder.id).limit(limit or self.batch_size))
            return [int(i) for i in s.exec(query).all()]

    def next_due_at(self) -> datetime | None:
        """When the earliest pending row is due (the worker sleeps until then at most)."""
        from sqlmodel import func

        with self.store.session() as s:
            return s.exec(select(func.min(Reminder.next_attempt_at)).where(Reminder.state == "pending")).one()

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
        """Deliver one row if it is pending and due. Returns what happened."""
        claimed = self.claim(reminder_id)
        if isinstance(claimed, str):
            return claimed
        return self.deliver(claimed)

    def claim(self, reminder_id: int) -> Reminder | str:
        """Step 1: the claimed row (a detached copy), or why it was not claimed ("held", "not-due" ...)."""
        now = self.clock.now()
        try:
            return self._claim(reminder_id, now)
        except _Lost:
            return "lost"
        except Exception as exc:  # noqa: BLE001 - a kind failed to prepare: nothing was claimed or changed
            return self._prepare_failed(reminder_id, exc, now)

    def deliver(self, row: Reminder) -> str:
        """Steps 2 and 3 for a claimed row: do it in Slack, record the result (or the failure)."""
        return self._send_and_record(row, self.clock.now())

    def _claim(self, reminder_id: int, now: datetime) -> Reminder | str:
        with self.store.session() as s:
            row = s.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return "not-pending"
            if row.next_attempt_at > now:
                return "not-due"
            if s.exec(select(Reminder.id).where(Reminder.id == reminder_id, _waiting())).first() is not None:
                return "waiting"
            kind = self.kinds.get(row.kind)
            if kind is None:
                self._finish(s, row, now, state="failed", error=f"unknown reminder kind {row.kind!r}")
                return "failed"
            config = self.config()
            if getattr(kind, "RESEND_AS_CLAIMED", False) and row.message and row.attempts and row.delivered_to:
                # An earlier claim prepared it (and did the kind's side effects): send exactly that again.
                outcome = execute.as_claimed(row)
            else:
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
            assert isinstance(outcome, (Send, Act))
            if isinstance(outcome, Send) and not outcome.notice.footer.endswith(LATE_SUFFIX):
                late = now - _on_time(row)
                if late > LATE_NOTE_AFTER:
                    notice = outcome.notice
                    footer = f"{notice.footer}\n{lateness_note(late)}" if notice.footer else lateness_note(late)
                    outcome = replace(outcome, notice=replace(notice, footer=footer))
            message = execute.claimed_message(outcome)
            attempts = row.attempts + 1
            done = s.execute(
                update(Reminder).where(Reminder.id == row.id, Reminder.state == "pending")  # type: ignore[arg-type]
                .values(state="sending", attempts=attempts, delivered_to=outcome.address, message=message,
                        updated_at=now)
            )
            if not done.rowcount:
                raise _Lost()
            # A detached copy of what was just written (no reload, no write-back on commit).
            s.expunge(row)
            row.state, row.attempts, row.delivered_to = "sending", attempts, outcome.address
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

    def _send_and_record(self, row: Reminder, now: datetime, *, recovering: bool = False) -> str:
        try:
            done = execute.perform(self.chat, row, recovering=recovering)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried or failed
            return self._failed_attempt(row, exc)
        self._record_sent(row, done, sent_at=now)
        return "sent"

    def _failed_attempt(self, row: Reminder, exc: Exception) -> str:
        now = self.clock.now()
        transient = exc.transient if isinstance(exc, ChatError) else True  # unknown errors: retry, bounded
        asked = exc.retry_after if isinstance(exc, ChatError) else None
        error = f"{type(exc).__name__}: {exc}"[:1000]
        with self.store.session() as s:
            current = s.get(Reminder, row.id)
            if current is None or current.state != "sending":
                return "not-pending"
            if asked is not None:
                # Rate limited: Slack did nothing and said when to come back. Not a failed attempt: a busy
                # workspace must not make an effect fail for good.
                wait = timedelta(seconds=asked)
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(state="pending", next_attempt_at=now + wait, attempts=max(0, current.attempts - 1),
                                  last_error=error, updated_at=now))
                log.info("%s rate limited, trying again in %s", row.key, wait)
                return "retry"
            if transient and current.attempts < MAX_ATTEMPTS:
                wait = RETRY_BACKOFF[min(current.attempts, len(RETRY_BACKOFF)) - 1]
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(state="pending", next_attempt_at=now + wait, last_error=error, updated_at=now))
                log.warning("%s not done (attempt %d), retrying in %s: %s", row.key, current.attempts, wait, error)
                return "retry"
            self._finish(s, current, now, state="failed", error=error)
            failures.record(s, self.kinds, current, now, error)
            log.error("%s failed for good: %s", row.key, error)
            kind = self.kinds.get(current.kind)
            on_failed = getattr(kind, "on_failed", None)
            if on_failed is not None:  # e.g. a page that cannot be delivered escalates at once
                config = self.config()
                on_failed(s, config, current, now)
                self._resync(s, config, current.incident_id, now)
            return "failed"

    def _record_sent(self, row: Reminder, done: execute.Done, *, sent_at: datetime) -> None:
        try:
            self._record_sent_fully(row, done, sent_at=sent_at)
        except Exception as exc:  # noqa: BLE001 - it is done in Slack: never leave it to be done again
            log.exception("%s was done (ts %s) but its bookkeeping failed; recording the delivery only",
                          row.key, done.ts)
            late = max(0.0, (sent_at - _on_time(row)).total_seconds())
            with self.store.session() as s:
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(state="sent", sent_at=sent_at, message_ts=done.ts[:32] or None, late_by_seconds=late,
                                  last_error=f"sent, but recording failed: {type(exc).__name__}: {exc}"[:1000],
                                  updated_at=self.clock.now()))

    def _record_sent_fully(self, row: Reminder, done: execute.Done, *, sent_at: datetime) -> None:
        now = self.clock.now()
        late = max(0.0, (sent_at - _on_time(row)).total_seconds())
        message = {**(row.message or {}), "result": done.result} if done.result else row.message
        with self.store.session() as s:
            finished = s.execute(
                update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                .values(state="sent", sent_at=sent_at, message_ts=done.ts[:32] or None, late_by_seconds=late,
                        message=message, updated_at=now)
            )
            if not finished.rowcount:
                return
            current = row  # the claimed copy: key, kind, incident, target, payload, address are final
            current.message, current.message_ts = message, done.ts or None
            config = self.config()
            kind = self.kinds.get(current.kind)
            if kind is not None:
                kind.after_sent(s, config, current, sent_at)
            if current.kind in EFFECT_KINDS:
                append_event(s, incident_id=current.incident_id, actor="system", kind="effect.done", at=sent_at,
                             summary=failures.describe(self.kinds, current)[:500],
                             data={"key": current.key, "kind": current.kind, "to": current.delivered_to,
                                   "ts": done.ts, "result": done.result})
            else:
                late_text = f", {late:.0f} s late" if late >= LATE_NOTE_AFTER.total_seconds() else ""
                append_event(s, incident_id=current.incident_id, actor="system", kind="reminder.sent", at=sent_at,
                             summary=f"Sent {current.kind.replace('_', ' ')} reminder to {current.delivered_to}{late_text}",
                             data={"key": current.key, "kind": current.kind, "to": current.delivered_to, "ts": done.ts,
                                   "late_by_seconds": round(late, 3)})
            if getattr(kind, "RESYNC_AFTER_SENT", False):
                self._resync(s, config, current.incident_id, now)

    def _resync(self, session: Session, config: Any, incident_id: int, now: datetime) -> None:
        from bot.scheduling.sync import sync_incident

        planned = tuple(k for k in self.kind_modules if getattr(k, "PLANNED", True))
        sync_incident(session, config, incident_id, now, kinds=planned)

    @staticmethod
    def _finish(session: Session, row: Reminder, now: datetime, *, state: str, error: str | None) -> None:
        session.execute(update(Reminder).where(Reminder.id == row.id)  # type: ignore[arg-type]
                        .values(state=state, last_error=error, updated_at=now))

    # --- after a crash -----------------------------------------------------------------

    def stuck(self, *, claimed_before: datetime | None = None) -> list[Reminder]:
        """Rows left in ``sending`` (at start: all of them; while running: those claimed before the cutoff)."""
        with self.store.session() as s:
            query = select(Reminder).where(Reminder.state == "sending")
            if claimed_before is not None:
                query = query.where(Reminder.updated_at < claimed_before)
            rows = list(s.exec(query.order_by(Reminder.id)).all())
            for row in rows:
                s.expunge(row)
            return rows

    def recover_one(self, row: Reminder) -> str:
        """Resolve one row left in ``sending``: "found" (it reached Slack), "resent", or "unresolved"."""
        if not execute.is_message(row):
            outcome = self._send_and_record(row, self.clock.now(), recovering=True)  # repeating is safe
            log.info("%s was claimed before a crash; repeated: %s", row.key, outcome)
            return "resent" if outcome == "sent" else "unresolved"
        try:
            ts = execute.find_done(self.chat, row)
        except Exception as exc:  # noqa: BLE001 - the chat is unreachable: leave it for the next check
            log.warning("could not check whether %s was delivered: %s", row.key, exc)
            return "unresolved"
        if ts:
            # The message went out after the claim; the claim time is the best record of when.
            self._record_sent(row, execute.Done(ts), sent_at=row.updated_at)
            log.info("%s was delivered before a crash (ts %s); recorded it", row.key, ts)
            return "found"
        outcome = self._send_and_record(row, self.clock.now())
        log.info("%s was claimed but not delivered before a crash; %s now", row.key, outcome)
        return "resent" if outcome == "sent" else "unresolved"

    def recover(self, *, claimed_before: datetime | None = None) -> dict[str, int]:
        """Resolve rows left in ``sending`` by a crashed process (ask the chat, then record or re-send).

        At start every ``sending`` row is stuck; while running, only those claimed before ``claimed_before``
        (a delivery in progress is never that old)."""
        counts = {"found": 0, "resent": 0, "unresolved": 0}
        for row in self.stuck(claimed_before=claimed_before):
            counts[self.recover_one(row)] += 1
        return counts
