"""The triage worker: a thread that triages stored receipts as they arrive, and any left by a crash at start."""

from __future__ import annotations

import logging
import threading

from bot.alerts.triage import Triage

log = logging.getLogger(__name__)


class TriageWorker:
    def __init__(self, triage: Triage, wake: threading.Event, *, poll_seconds: float = 5.0) -> None:
        self.triage, self.wake, self.poll = triage, wake, poll_seconds
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
            try:
                self.triage.check_heartbeats()
                self.triage.run_pending()
            except Exception:  # a database hiccup: the receipts stay stored and are triaged on the next pass
                log.exception("alert triage failed; retrying")
            self.wake.wait(self.poll)
