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
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import update
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.audit.unit_time import happens_at
from bot.audit.wanted_effects import dropped_incident_gone
from bot.clock import Clock
from bot.outbox.tables import Reminder
from bot.ports import ChatError, ChatPort
from bot.scheduling import execute, queries
from bot.scheduling.notices import LATE_NOTE_AFTER, LATE_SUFFIX, lateness_note
from bot.scheduling.recording import MAX_ATTEMPTS, RETRY_BACKOFF, Recorder, on_time
from bot.scheduling.wanted import Act, Drop, Hold, ReminderKind, Send
from bot.store.database import Store
from bot.store.error_text import failure_text

log = logging.getLogger(__name__)

__all__ = ["Dispatcher", "LATE_NOTE_AFTER", "MAX_ATTEMPTS", "RETRY_BACKOFF", "lateness_note"]


class _Lost(Exception):
    """Another worker claimed the reminder first; roll the claim back."""


def _load_incidents(session: Session, incident_ids: set[int]) -> list[Any]:
    """A batch's incidents in one query."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    return list(session.execute(queries.incidents(postgresql), {"ids": sorted(incident_ids)}).scalars().all())


class Dispatcher(Recorder):
    """Finds due reminders and delivers them (claim -> send -> record)."""

    def __init__(self, store: Store, config: Callable[[], Any], chat: ChatPort, clock: Clock, *,
                 kinds: Iterable[ReminderKind] | None = None, batch_size: int = 200,
                 worker_id: str | None = None) -> None:
        """``worker_id``: recorded on the rows this dispatcher claims (``claimed_by``), so that after a crash
        only the rows of a worker that is gone are resolved (see :meth:`stuck`)."""
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
        self.worker_id = worker_id

    # --- finding work ----------------------------------------------------------

    def due_ids(self, now: datetime, limit: int | None = None) -> list[int]:
        """Pending rows due by ``now`` whose lane and predecessor let them go, oldest first."""
        with self.store.session() as s:
            query = (select(Reminder.id).where(Reminder.state == "pending", Reminder.next_attempt_at <= now,
                                               ~queries.waiting())
                     .order_by(Reminder.next_attempt_at, Reminder.id).limit(limit or self.batch_size))
            return [int(i) for i in s.exec(query).all()]

    def next_due_at(self) -> datetime | None:
        """When the earliest pending row is due (the worker sleeps until then at most)."""
        with self.store.session() as s:
            return s.execute(queries.next_due()).scalar_one()

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

    def warm_up(self) -> None:
        """Build what the first claim and record would build (the statements' compiled forms, the ORM's mappers),
        so that a burst waiting at start does not pay for it: about 0.1 s of CPU a process, measured. Claims,
        reads and locks nothing."""
        postgresql = self.store.dialect == "postgresql"
        with self.store.session() as s:
            s.execute(queries.due_rows(postgresql), {"now": self.clock.now(), "limit": 0}).all()
            _load_incidents(s, set())
            for kind in self.kind_modules:
                if hasattr(kind, "preload"):
                    kind.preload(s, [])
            s.execute(queries.lock_sending(postgresql), {"ids": []}).all()

    def expect_posts(self, rows: list[Reminder]) -> None:
        """Tell the chat which channels the claimed ``rows`` are about to post to, so that it can take their pace
        slots together (``ChatPort.expect_posts``). Only a saving: if it fails, each post paces itself."""
        channels = [channel for channel in map(execute.posted_to, rows) if channel]
        expect = getattr(self.chat, "expect_posts", None)  # optional for chats that do not pace
        if not channels or expect is None:
            return
        try:
            expect(channels)
        except Exception as exc:  # noqa: BLE001 - the posts still take their slots one by one
            log.warning("could not take the pace of %d claimed posts ahead (%s)", len(channels), exc)

    def attempt(self, row: Reminder) -> tuple[Reminder, execute.Done | Exception, datetime]:
        """Step 2 alone, for a claimed row: what Slack answered (or the exception), and when it was asked."""
        now = self.clock.now()
        try:
            return row, execute.perform(self.chat, row), now
        except Exception as exc:  # noqa: BLE001 - recorded on the row as a failed attempt
            return row, exc, now

    def _claim(self, reminder_id: int, now: datetime) -> Reminder | str:
        with self.store.session() as s:
            row = s.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()
            if row is None or row.state != "pending":
                return "not-pending"
            if row.next_attempt_at > now:
                return "not-due"
            if s.exec(select(Reminder.id).where(Reminder.id == reminder_id, queries.waiting())).first() is not None:
                return "waiting"
            return self._prepare_claimed(s, row, now, self.config())

    def claim_batch(self, limit: int) -> list[Reminder]:
        """Step 1 for up to ``limit`` due rows in one unit of work: the claimed rows (detached copies).

        The rows are locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers claiming at the same
        time take different rows instead of waiting for each other.  If a kind fails to prepare its row, the
        whole batch is rolled back and its rows are claimed one by one (:meth:`claim`), so the failing row
        backs off alone."""
        now = self.clock.now()
        query = queries.due_rows(self.store.dialect == "postgresql")
        ids: list[int] = []
        try:
            with self.store.session() as s:
                rows = [queries.ClaimedRow(*r) for r in s.execute(query, {"now": now, "limit": limit})]
                ids = [int(r.id or 0) for r in rows]
                if not rows:
                    return []
                # Loaded in one query each and held here (the session keeps unchanged objects only while they
                # are referenced): the kinds' ``session.get`` then finds them without a query per row.
                loaded: list[Any] = _load_incidents(s, {r.incident_id for r in rows if r.incident_id is not None})
                for kind in {self.kinds.get(r.kind) for r in rows}:
                    if hasattr(kind, "preload"):
                        loaded += kind.preload(s, [r for r in rows if self.kinds.get(r.kind) is kind])
                config = self.config()
                deferred: list[dict[str, Any]] = []
                claimed = [c for c in (self._prepare_claimed(s, row, now, config, deferred=deferred) for row in rows)
                           if not isinstance(c, str)]
                if deferred:
                    # Still 'pending' (an earlier row's kind may have cancelled a later one): claim those at once.
                    waiting = {d["rid"] for d in deferred}
                    pending = queries.in_state(self.store.dialect == "postgresql")
                    still = set(s.execute(pending, {"ids": sorted(waiting), "state": "pending"}).scalars())
                    if still:
                        queries.claim_rows(s.connection(), [
                            {**d, "worker": self.worker_id, "now": now} for d in deferred if d["rid"] in still])
                    claimed = [c for c in claimed if c.id in still or c.id not in waiting]
            return claimed
        except Exception as exc:  # noqa: BLE001 - nothing of the batch was claimed: one by one, failures alone
            log.warning("claiming %d rows together failed (%s); claiming them one by one", len(ids), exc)
            return [c for c in (self.claim(i) for i in ids) if not isinstance(c, str)]

    def _prepare_claimed(self, s: Session, row: Reminder, now: datetime, config: Any, *,
                         deferred: list[dict[str, Any]] | None = None) -> Reminder | str:
        """Let the row's kind decide and, for a send or an act, mark the (locked, due) row ``sending``."""
        happens_at(s, now)  # a kind may change an evidence row without an event (an escalation's page)
        kind = self.kinds.get(row.kind)
        if kind is None:
            self._finish(s, row, now, state="failed", error=f"unknown reminder kind {row.kind!r}")
            return "failed"
        if getattr(kind, "RESEND_AS_CLAIMED", False) and row.message and row.attempts and row.delivered_to:
            # An earlier claim prepared it (and did the kind's side effects): send exactly that again.
            outcome = execute.as_claimed(row)
        else:
            outcome = kind.prepare(s, config, row, now)
        if isinstance(outcome, Drop):
            self._finish(s, row, now, state="cancelled", error=None)
            dropped_incident_gone(s, row, now, outcome.reason)  # on the chain, whatever the kind's reason
            log.info("reminder %s dropped: %s", row.key, outcome.reason)
            return "dropped"
        if isinstance(outcome, Hold):
            s.execute(update(Reminder).where(Reminder.id == row.id)  # type: ignore[arg-type]
                      .values(next_attempt_at=outcome.until, updated_at=now))
            log.info("reminder %s held until %s: %s", row.key, outcome.until.isoformat(), outcome.reason)
            return "held"
        assert isinstance(outcome, (Send, Act))
        if isinstance(outcome, Send) and not outcome.notice.footer.endswith(LATE_SUFFIX):
            late = now - on_time(row)
            if late > LATE_NOTE_AFTER:
                notice = outcome.notice
                footer = f"{notice.footer}\n{lateness_note(late)}" if notice.footer else lateness_note(late)
                outcome = replace(outcome, notice=replace(notice, footer=footer))
        message = execute.claimed_message(outcome)
        attempts = row.attempts + 1
        resync = getattr(kind, "RESYNC_AFTER_CLAIM", False)
        if deferred is not None and not resync:  # a batch writes its claims together (see claim_batch)
            deferred.append({"rid": row.id, "attempts": attempts, "to": outcome.address, "message": message})
        else:
            self._mark_sending(s, row, attempts, outcome.address, message, now)
        # A detached copy of what was just written (no reload, no write-back on commit); a batch's rows are
        # plain copies already (queries.ClaimedRow).
        if isinstance(row, Reminder):
            s.expunge(row)
        row.state, row.attempts, row.delivered_to = "sending", attempts, outcome.address
        row.message, row.updated_at, row.claimed_by = message, now, self.worker_id
        if resync:
            self._resync(s, config, row.incident_id, now)
        return row

    def _mark_sending(self, s: Session, row: Reminder, attempts: int, to: str, message: dict[str, Any],
                      now: datetime) -> None:
        done = s.execute(
            update(Reminder).where(Reminder.id == row.id, Reminder.state == "pending")  # type: ignore[arg-type]
            .values(state="sending", attempts=attempts, delivered_to=to, message=message,
                    claimed_by=self.worker_id, updated_at=now)
        )
        if not done.rowcount:
            raise _Lost()

    def _prepare_failed(self, reminder_id: int, exc: Exception, now: datetime) -> str:
        """Preparing failed (everything it did was rolled back): try again later, give up after the limit."""
        error = failure_text(exc)[:1000]
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

    # --- after a crash -----------------------------------------------------------------

    def stuck(self, *, claimed_before: datetime | None = None,
              alive: Callable[[str], bool] | None = None) -> list[Reminder]:
        """Rows left in ``sending``: all of them, or those claimed before the cutoff, or (``alive``) also those
        whose worker is gone (``alive(claimed_by)`` is false; rows claimed by no named worker count as gone)."""
        with self.store.session() as s:
            query = select(Reminder).where(Reminder.state == "sending")
            rows = list(s.exec(query.order_by(Reminder.id)).all())
            for row in rows:
                s.expunge(row)
        verdicts: dict[str, bool] = {}

        def gone(row: Reminder) -> bool:
            if alive is None or not row.claimed_by:
                return alive is not None
            if row.claimed_by not in verdicts:
                verdicts[row.claimed_by] = not alive(row.claimed_by)
            return verdicts[row.claimed_by]

        if claimed_before is None and alive is None:
            return rows
        return [r for r in rows if (claimed_before is not None and r.updated_at < claimed_before) or gone(r)]

    def recover_one(self, row: Reminder) -> str:
        """Resolve one row left in ``sending``: "found" (it reached Slack), "resent", "failed" (Slack refuses for
        good to show where it would be: told like any failure), or "unresolved" (asked again at the next check)."""
        if not execute.is_message(row):
            outcome = self._send_and_record(row, self.clock.now(), recovering=True)  # repeating is safe
            log.info("%s was claimed before a crash; repeated: %s", row.key, outcome)
            return "resent" if outcome == "sent" else "unresolved"
        try:
            ts = execute.find_done(self.chat, row)
        except ChatError as exc:
            if exc.transient:  # Slack is unreachable or busy: leave it for the next check
                log.warning("could not check whether %s was delivered: %s", row.key, exc)
                return "unresolved"
            # The channel is gone or closed to the bot (channel_not_found, not_in_channel, is_archived ...): no
            # later check can tell, and a post there would be refused too. Asked at every check, it would stay
            # 'sending' for good with nobody told; it fails now, recorded and told, saying what is not known.
            self._failed_attempt(row, ChatError(f"could not find out whether it was delivered: {exc}", code=exc.code))
            return "failed"
        except Exception as exc:  # noqa: BLE001 - e.g. the network: leave it for the next check
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
        counts = {"found": 0, "resent": 0, "unresolved": 0}  # and "failed" when one failed for good
        for row in self.stuck(claimed_before=claimed_before):
            outcome = self.recover_one(row)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts
