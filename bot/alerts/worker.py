"""The triage worker: a thread that triages stored receipts as they arrive, and any left by a crash at start.

It runs where the deployment runs its background work: inside ``serve`` in the
one-process setup (the intake wakes it after each stored receipt), or in the
``scheduler`` worker process when web processes run ``serve --no-scheduler``
(it then polls, and the web processes' Python interpreters only answer).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from bot.alerts.triage import Triage

log = logging.getLogger(__name__)


# After a pass that found receipts, the next waits this long for more to gather: during an alert storm each
# transaction then takes tens of receipts instead of the few that came in while the last one ran, and its
# fixed cost (locks, queries, commit) is shared by them.  A backlog (a full pass) is worked through at once.
GATHER_SECONDS = 0.1
PASS_LIMIT = 2000


class TriageWorker:
    def __init__(self, triage: Triage, wake: threading.Event, *, poll_seconds: float = 5.0,
                 gather_seconds: float = GATHER_SECONDS) -> None:
        self.triage, self.wake, self.poll, self.gather = triage, wake, poll_seconds, gather_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="alert-triage", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            done = 0
            try:
                if self.triage.config().loaded("alerts"):  # alerts.yaml may come (or go) with a reload
                    self.triage.check_heartbeats()
                    done = len(self.triage.run_pending(limit=PASS_LIMIT))
            except Exception:  # a database hiccup: the receipts stay stored and are triaged on the next pass
                log.exception("alert triage failed; retrying")
            if not done:
                self.wake.wait(self.poll)
            elif done < PASS_LIMIT:
                self._stop.wait(self.gather)


def worker_process_triage(store, config: Callable[[], Any], clock, incidents, *,
                          on_declared: Callable[[Any], None] | None = None,
                          poll_seconds: float = 1.0) -> TriageWorker:
    """Triage in a process without the intake (the ``scheduler`` worker).  The web processes' intake never
    waits for it: on PostgreSQL rows are locked, on SQLite the receipts are in a file of their own
    (:mod:`bot.alerts.receipts`).  On SQLite its transactions take turns on the main file with the triage of
    other processes (:mod:`bot.store.write_turns`), and it leaves a gap after each transaction as long as the
    transaction, as it cannot see the web processes' requests: on 2 cores this kept the intake's p99 at
    500 alerts/s near 45 ms instead of 90 ms (5 % new groups), at the cost of a slower drain
    (docs/alerts.md, Performance)."""
    from bot.store.write_turns import write_turns_for

    turns = write_turns_for(store.engine)
    triage = Triage(store, config, clock, incidents, on_declared=on_declared, write_lock=turns,
                    intake_busy=(lambda: True) if turns is not None else None, pause=1.0)
    return TriageWorker(triage, threading.Event(), poll_seconds=poll_seconds)
