"""Step 3 of a delivery: recording what Slack answered, or the failed attempt, on the outbox row.

A delivery is recorded in one unit of work with the kind's bookkeeping and a
timeline event; the outbox worker records the deliveries that finished
together in one unit of work (:meth:`Recorder.record_batch`), and a failed
attempt goes back to ``pending`` with its back-off or fails for good (see
``docs/scheduling.md``).  :class:`bot.scheduling.delivery.Dispatcher` is a
:class:`Recorder`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import update
from sqlmodel import Session

from bot.audit.trail import NewEvent, append_rows
from bot.clock import Clock
from bot.outbox.tables import EFFECT_KINDS, Reminder
from bot.ports import ChatError, ChatPort
from bot.scheduling import execute, failures, queries
from bot.scheduling.notices import LATE_NOTE_AFTER
from bot.scheduling.wanted import ReminderKind
from bot.store.database import Store
from bot.store.error_text import failure_text

log = logging.getLogger(__name__)

RETRY_BACKOFF = (timedelta(seconds=10), timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                 timedelta(minutes=5))
MAX_ATTEMPTS = 8  # transient failures (5xx, network) before a row with a fallback fails for good: about 18 minutes
# A row with no fallback (a channel, a post, an invite: nothing else can do it) rides out an outage: it keeps
# trying every 5 minutes until this long after it was first due, and only then fails for good and is told.
RIDE_OUT = timedelta(hours=24)


def first_due(row: Reminder) -> datetime:
    """When the row was first due: its due time, or its creation if it was created already due."""
    return max(row.due_at, row.created_at)


def on_time(row: Reminder) -> datetime:
    """When sending would have been on time: the planned attempt (due time, or later when held or retried),
    or the creation if it was created already due. Lateness past this is the scheduler's own."""
    return max(row.due_at, row.next_attempt_at, row.created_at)


class Recorder:
    store: Store
    config: Callable[[], Any]
    chat: ChatPort
    clock: Clock
    kinds: dict[str, ReminderKind]
    kind_modules: tuple[ReminderKind, ...]

    def _failed_attempt(self, row: Reminder, exc: Exception) -> str:
        now = self.clock.now()
        transient = exc.transient if isinstance(exc, ChatError) else True  # unknown errors: retry, bounded
        asked = exc.retry_after if isinstance(exc, ChatError) else None
        error = failure_text(exc)[:1000]
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
            riding_out = self._rides_out(current, now)
            if transient and (current.attempts < MAX_ATTEMPTS or riding_out):
                wait = RETRY_BACKOFF[min(current.attempts, len(RETRY_BACKOFF)) - 1]
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(state="pending", next_attempt_at=now + wait, last_error=error, updated_at=now))
                if current.attempts == MAX_ATTEMPTS:  # said once: the row outlives the attempts others get
                    log.error("%s still not done after %d attempts; nothing else can do it, so it keeps trying every "
                              "%s until %s, then fails for good: %s", row.key, current.attempts, wait,
                              (first_due(current) + RIDE_OUT).isoformat(timespec="minutes"), error)
                else:
                    log.warning("%s not done (attempt %d), retrying in %s: %s", row.key, current.attempts, wait, error)
                return "retry"
            self._finish(s, current, now, state="failed", error=error)
            failures.record(s, self.kinds, current, now, error, config=self.config())
            log.error("%s failed for good: %s", row.key, error)
            kind = self.kinds.get(current.kind)
            on_failed = getattr(kind, "on_failed", None)
            if on_failed is not None:  # e.g. a page that cannot be delivered escalates at once
                config = self.config()
                on_failed(s, config, current, now)
                self._resync(s, config, current.incident_id, now)
            return "failed"

    def _rides_out(self, row: Reminder, now: datetime) -> bool:
        """A row whose kind has no fallback (``on_failed``: a page escalates, a rest nudge tells another) is not
        given up while Slack is out: within :data:`RIDE_OUT` of its first due time it is tried again."""
        kind = self.kinds.get(row.kind)
        return getattr(kind, "on_failed", None) is None and now - first_due(row) < RIDE_OUT

    def _record_sent(self, row: Reminder, done: execute.Done, *, sent_at: datetime) -> None:
        try:
            self._record_sent_fully(row, done, sent_at=sent_at)
        except Exception as exc:  # noqa: BLE001 - it is done in Slack: never leave it to be done again
            self._bookkeeping_failed(row, done, sent_at, failure_text(exc)[:800])

    def _bookkeeping_failed(self, row: Reminder, done: execute.Done, sent_at: datetime, error: str) -> None:
        """Slack did it but recording it failed. Recording the delivery alone would leave its bookkeeping undone
        for good (a created channel the incident never learns, a page never marked sent), so the row stays
        ``sending`` for the recovery, which finds the message in Slack (or repeats the idempotent effect) and
        records it again. After :data:`MAX_ATTEMPTS` such failures the delivery alone is recorded, the failure
        goes on the timeline and the commander is told what was not recorded."""
        now = self.clock.now()
        log.error("%s was done (ts %s) but recording it failed; the recovery will record it: %s",
                  row.key, done.ts, error, exc_info=True)
        with self.store.session() as s:
            current = s.get(Reminder, row.id)
            if current is None or current.state != "sending":
                return
            attempts = current.attempts + 1
            note = f"done in Slack (ts {done.ts or '-'}), but recording it failed: {error}"[:1000]
            if attempts < MAX_ATTEMPTS:
                s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                          .values(attempts=attempts, last_error=note, updated_at=now))
                return
            late = max(0.0, (sent_at - on_time(current)).total_seconds())
            s.execute(update(Reminder).where(Reminder.id == row.id, Reminder.state == "sending")  # type: ignore[arg-type]
                      .values(state="sent", sent_at=sent_at, message_ts=done.ts[:32] or None, late_by_seconds=late,
                              attempts=attempts, last_error=note, updated_at=now))
            current.attempts, current.state = attempts, "sent"
            changed = "changed in the incident" if current.incident_id is not None else "changed"
            failures.record(s, self.kinds, current, now, f"{note} ({attempts} times); check what it should have "
                                                         f"{changed}", config=self.config())

    def _record_sent_fully(self, row: Reminder, done: execute.Done, *, sent_at: datetime) -> None:
        self._record_sent_together([(row, done, sent_at)])

    def record_batch(self, results: list[tuple[Reminder, execute.Done | Exception, datetime]]) -> dict[str, int]:
        """Step 3 for several rows done in Slack: failures one by one (each decides its back-off), deliveries
        in one unit of work (their timeline events chained with one look at each chain's head, written by one
        INSERT). If that fails, each delivery is recorded on its own, so one bad row cannot leave the others to
        be done again."""
        counts: dict[str, int] = {}
        done = [(row, outcome, at) for row, outcome, at in results if isinstance(outcome, execute.Done)]
        for row, outcome, _at in results:
            if not isinstance(outcome, execute.Done):
                result = self._failed_attempt(row, outcome)
                counts[result] = counts.get(result, 0) + 1
        if done:
            try:
                self._record_sent_together(done)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - recorded one by one below
                log.exception("recording %d deliveries together failed; recording each on its own", len(done))
                for row, outcome, at in done:
                    self._record_sent(row, outcome, sent_at=at)  # type: ignore[arg-type]
            counts["sent"] = counts.get("sent", 0) + len(done)
        return counts

    def _record_sent_together(self, items: list[tuple[Reminder, execute.Done, datetime]]) -> None:
        now = self.clock.now()
        events: list[NewEvent] = []
        resync: set[int] = set()
        with self.store.session() as s:
            ids = sorted(int(row.id or 0) for row, _, _ in items)
            # Lock the rows still 'sending' (a recovery may have finished one), then write them in one statement.
            still = set(s.execute(queries.lock_sending(self.store.dialect == "postgresql"), {"ids": ids}).scalars())
            mine = sorted((item for item in items if item[0].id in still),
                          key=lambda item: (item[0].incident_id or 0, item[0].id or 0))  # chains locked in one order
            if not mine:
                return
            values: dict[bool, list[dict[str, Any]]] = {True: [], False: []}  # with a changed message or not
            for row, done, sent_at in mine:
                late = max(0.0, (sent_at - on_time(row)).total_seconds())
                value = {"rid": row.id, "sent_at": sent_at, "ts": done.ts[:32] or None, "late": late, "now": now}
                if done.result:  # what the operation answered goes with the message the claim stored
                    row.message = value["message"] = {**(row.message or {}), "result": done.result}
                row.message_ts = done.ts or None  # the claimed copy: everything else is final
                values[bool(done.result)].append(value)
                events.append(self._sent_event(row, done, sent_at, late))
            for with_message, batch in values.items():
                if batch:  # the stored message is the claimed one: written again only when it changed
                    queries.record_rows(s.connection(), with_message, batch)
            config = self.config()
            for row, _done, sent_at in mine:
                kind = self.kinds.get(row.kind)
                if kind is not None:
                    kind.after_sent(s, config, row, sent_at)
                if getattr(kind, "RESYNC_AFTER_SENT", False):
                    resync.add(row.incident_id)
            append_rows(s, events)  # one INSERT: nothing here reads the events back
            for incident_id in sorted(resync):
                self._resync(s, config, incident_id, now)

    def _sent_event(self, row: Reminder, done: execute.Done, sent_at: datetime, late: float) -> NewEvent:
        if row.kind in EFFECT_KINDS:
            return NewEvent(row.incident_id, "system", "effect.done", sent_at, failures.describe(self.kinds, row)[:500],
                            {"key": row.key, "kind": row.kind, "to": row.delivered_to, "ts": done.ts,
                             "result": done.result})
        late_text = f", {late:.0f} s late" if late >= LATE_NOTE_AFTER.total_seconds() else ""
        what = row.kind.replace("_", " ")  # "cadence" → "cadence reminder"; "shift reminder" stays itself
        what = what if what.endswith("reminder") else f"{what} reminder"
        return NewEvent(row.incident_id, "system", "reminder.sent", sent_at,
                        f"Sent {what} to {row.delivered_to}{late_text}",
                        {"key": row.key, "kind": row.kind, "to": row.delivered_to, "ts": done.ts,
                         "late_by_seconds": round(late, 3)})

    def _resync(self, session: Session, config: Any, incident_id: int, now: datetime) -> None:
        from bot.scheduling.sync import sync_incident

        planned = tuple(k for k in self.kind_modules if getattr(k, "PLANNED", True))
        sync_incident(session, config, incident_id, now, kinds=planned)

    @staticmethod
    def _finish(session: Session, row: Reminder, now: datetime, *, state: str, error: str | None) -> None:
        session.execute(update(Reminder).where(Reminder.id == row.id)  # type: ignore[arg-type]
                        .values(state=state, last_error=error, updated_at=now))

