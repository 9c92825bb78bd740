"""The outbox worker: claims due rows on one thread, does them in Slack on a bounded pool.

* One dispatch thread claims due rows in batches (one short transaction per
  batch, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers take
  different rows, no Slack) and hands each claimed row to a pool of
  ``threads`` senders; one recorder thread records the rows whose call
  finished, together in one transaction.  The dispatcher runs when woken
  (a command wrote effects in this process, a delivery finished, the
  scheduler's tick or a reminder's date job) and otherwise sleeps until the
  next row is due, at most ``poll_seconds``.
* Nothing here waits on Slack: a sender makes one short call per row; a
  failure puts the row back with its back-off.  So the scheduler's tick, the
  listeners and the acknowledgements never wait for Slack either.
* Rows of one lane go one at a time, oldest first (the dispatcher only claims
  a row when no older row of its lane is open); a finished delivery wakes the
  dispatcher so the next row of that lane goes at once.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from bot.outbox.tables import Reminder
from bot.ports import ChatError
from bot.scheduling.claim_ahead import ClaimAhead
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.execute import Done

log = logging.getLogger(__name__)


class OutboxWorker:
    def __init__(self, dispatcher: Dispatcher, *, threads: int = 8, poll_seconds: float = 1.0,
                 queued_per_sender: int = 8, gather_seconds: float = 0.01, ahead_seconds: float = 0.5) -> None:
        """``queued_per_sender``: rows in flight per sender (being sent or claimed and waiting for a free
        sender) until the worker has timed its calls, so a burst is claimed in a few batches rather than one
        row per free sender. Then :class:`ClaimAhead` sizes it by the calls' time: rows its senders will start
        within about ``ahead_seconds``. ``gather_seconds``: how long the recorder lets a few finished rows wait
        for others still in flight, so that a burst is recorded in batches, not a transaction for every row or
        two."""
        self.dispatcher = dispatcher
        self.threads = threads
        self.claim_ahead = ClaimAhead(threads, initial_per_sender=queued_per_sender, ahead_seconds=ahead_seconds)
        self.poll_seconds = poll_seconds
        self.gather_seconds = gather_seconds
        self._queued = 0  # claimed rows no sender has started yet
        self._finished: list[tuple[Reminder, Done | Exception, datetime]] = []
        self._record_wake = threading.Event()
        self._recorder: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    @property
    def in_flight(self) -> int:
        """How many rows this worker holds at most: being sent, or claimed and waiting for a sender."""
        return self.claim_ahead.limit()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="outbox-send")
        self._thread = threading.Thread(target=self._loop, name="outbox-dispatch", daemon=True)
        self._thread.start()
        self._recorder = threading.Thread(target=self._record_loop, name="outbox-record", daemon=True)
        self._recorder.start()
        self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # queued rows see the stop and go back to 'pending' at once
            self._pool = None
        self._record_wake.set()
        if self._recorder is not None:
            self._recorder.join(timeout)  # records what the senders finished before it ends
            self._recorder = None

    def wake(self) -> None:
        """Something may be due now: look at once (cheap; callable from any thread)."""
        self._wake.set()

    def submit(self, fn: Any, *args: Any) -> None:
        """Run other outbox work (recovering a stuck row) on the senders' pool."""
        if self._pool is not None:
            self._pool.submit(self._guarded, fn, *args)

    # --- the dispatch thread -----------------------------------------------------------

    def _loop(self) -> None:
        try:
            self.dispatcher.warm_up()
        except Exception:  # noqa: BLE001 - only a saving: the first claim builds what it needs
            log.warning("could not prepare the outbox's statements ahead of the first claim", exc_info=True)
        held_back = False
        while not self._stop.is_set():
            # Held back by rows in flight: their recording wakes us, so there is no need to ask when the next
            # row is due (a query) every time a few of them are recorded.
            self._wake.wait(self.poll_seconds if held_back else self._sleep_seconds())
            self._wake.clear()
            if self._stop.is_set():
                return
            held_back = False
            try:
                held_back = self._dispatch()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("outbox dispatch failed; trying again")
                self._stop.wait(min(1.0, self.poll_seconds))

    def _sleep_seconds(self) -> float:
        """Until the next row is due (by the injected clock, in real seconds), at most ``poll_seconds``."""
        try:
            nearest = self.dispatcher.next_due_at()
        except Exception:  # noqa: BLE001
            return self.poll_seconds
        if nearest is None:
            return self.poll_seconds
        clock = self.dispatcher.clock
        ahead = (nearest - clock.now()).total_seconds() / float(getattr(clock, "speed", 1.0) or 1.0)
        return min(self.poll_seconds, max(0.0, ahead) + 0.005)

    def _dispatch(self) -> bool:
        """Claim due rows while there is room for them; True when held back by the rows in flight."""
        while not self._stop.is_set():
            in_flight = self.in_flight
            with self._lock:
                free = in_flight - len(self._busy)
                fed = self._queued >= self.threads  # every sender has a claimed row waiting for it
            if free <= 0 or (fed and free < in_flight // 2):
                return True  # a recorded delivery wakes us; claiming a few rows at a time costs a transaction each
            rows = self.dispatcher.claim_batch(free)
            if not rows:
                return False  # nothing due, or everything due was held, dropped or taken: wait for a wake or due time
            self.dispatcher.expect_posts(rows)  # their pace slots together, before the senders post
            with self._lock:
                self._busy.update(int(row.id or 0) for row in rows)
                self._queued += len(rows)
            assert self._pool is not None
            for row in rows:
                self._pool.submit(self._send, row)
        return False

    def _send(self, row: Reminder) -> None:
        with self._lock:
            self._queued -= 1
        if self._stop.is_set():  # claimed ahead but the worker is stopping: back to 'pending' as it was
            outcome = (row, ChatError("the worker stopped before doing it", code="stopping", transient=True,
                                      retry_after=0), self.dispatcher.clock.now())
            with self._lock:
                self._finished.append(outcome)
            self._record_wake.set()
            return
        started = time.monotonic()
        try:
            outcome = self.dispatcher.attempt(row)
        except Exception as exc:  # noqa: BLE001 - recorded as a failed attempt
            outcome = (row, exc, self.dispatcher.clock.now())
        if isinstance(outcome[1], Done):  # a failure is quick or a timeout: neither tells how long a call takes
            self.claim_ahead.timed(time.monotonic() - started)
        with self._lock:
            self._finished.append(outcome)
        self._record_wake.set()

    # --- the recorder thread ------------------------------------------------------------

    def _record_loop(self) -> None:
        while True:
            self._record_wake.wait(self.poll_seconds)
            self._record_wake.clear()
            last = self._stop.is_set() and self._pool is None  # every sender has finished: drain once more
            with self._lock:
                few = 0 < len(self._finished) < self.threads and len(self._busy) > len(self._finished)
            if few and not last:
                self._stop.wait(self.gather_seconds)  # others are in flight: record them together
            with self._lock:
                finished, self._finished = self._finished, []
            if finished:
                self._record(finished)
            elif last:
                return

    def _record(self, finished: list[tuple[Reminder, Done | Exception, datetime]]) -> None:
        try:
            self.dispatcher.record_batch(finished)
        except Exception:  # noqa: BLE001 - rows left in 'sending' are resolved like after a crash
            log.exception("recording %d outbox deliveries failed", len(finished))
        finally:
            with self._lock:
                self._busy.difference_update(int(row.id or 0) for row, _, _ in finished)
            self.wake()

    def _guarded(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001
            log.exception("outbox work %s failed", getattr(fn, "__name__", fn))
        finally:
            self.wake()
