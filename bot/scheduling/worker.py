"""The outbox worker: claims due rows on one thread, does them in Slack on a bounded pool.

* One dispatch thread claims rows (short database transactions, no Slack) and
  hands each claimed row to a pool of ``threads`` senders.  It runs when woken
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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.scheduling.delivery import Dispatcher
from bot.scheduling.tables import Reminder

log = logging.getLogger(__name__)


class OutboxWorker:
    def __init__(self, dispatcher: Dispatcher, *, threads: int = 8, poll_seconds: float = 1.0) -> None:
        self.dispatcher = dispatcher
        self.threads = threads
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="outbox-send")
        self._thread = threading.Thread(target=self._loop, name="outbox-dispatch", daemon=True)
        self._thread.start()
        self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def wake(self) -> None:
        """Something may be due now: look at once (cheap; callable from any thread)."""
        self._wake.set()

    def submit(self, fn: Any, *args: Any) -> None:
        """Run other outbox work (recovering a stuck row) on the senders' pool."""
        if self._pool is not None:
            self._pool.submit(self._guarded, fn, *args)

    # --- the dispatch thread -----------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._sleep_seconds())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._dispatch()
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

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                free = self.threads - len(self._busy)
                busy = set(self._busy)
            if free <= 0:
                return  # a finishing delivery wakes us
            ids = [i for i in self.dispatcher.due_ids(self.dispatcher.clock.now(), limit=free + len(busy))
                   if i not in busy][:free]
            if not ids:
                return
            claimed = 0
            for reminder_id in ids:
                row = self.dispatcher.claim(reminder_id)
                if isinstance(row, Reminder):
                    claimed += 1
                    with self._lock:
                        self._busy.add(reminder_id)
                    assert self._pool is not None
                    self._pool.submit(self._deliver, row)
            if not claimed:
                return  # everything due was held, dropped or taken: wait for the next wake or due time

    def _deliver(self, row: Reminder) -> None:
        try:
            self.dispatcher.deliver(row)
        except Exception:  # noqa: BLE001 - recorded on the row by the dispatcher where possible
            log.exception("delivering %s failed unexpectedly", row.key)
        finally:
            with self._lock:
                self._busy.discard(int(row.id or 0))
            self.wake()

    def _guarded(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001
            log.exception("outbox work %s failed", getattr(fn, "__name__", fn))
        finally:
            self.wake()
