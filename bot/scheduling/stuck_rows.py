"""Rows left in 'sending' by a stopped process: noted with the claim that left them there, then resolved.

A row is recovered only while it still holds that claim (attempt count and claim time): once a recovery
put it back to 'pending' and a worker claimed it again, that worker is sending it, and a recovery would
repeat it (an answer through a ``response_url`` cannot be looked up in Slack, so it would reach the person
twice). Rows claimed by a live worker, this process's included, are never noted.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Callable, Iterable

from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher

log = logging.getLogger(__name__)


class StuckRows:
    def __init__(self, dispatcher: Dispatcher, *, submit: Callable[..., None], alive: Callable[[str], bool]) -> None:
        """``submit(fn, row)`` runs a recovery on the worker's pool (asking Slack can take a while); ``alive``
        tells whether the worker that claimed a row still runs."""
        self.dispatcher, self._submit, self._alive = dispatcher, submit, alive
        self._stuck: dict[int, tuple[int, datetime]] = {}
        self._recovering: set[int] = set()
        self._lock = threading.Lock()

    def note_all(self) -> int:
        """At take-over: every row in 'sending' whose worker is gone. Returns how many."""
        found = _claims(self.dispatcher.stuck(alive=self._alive))
        with self._lock:
            self._stuck = found
        return len(found)

    def note_stale(self, claimed_before: datetime) -> None:
        """While running: rows claimed before the cutoff (a failure, not a slow send) or by a gone worker."""
        found = _claims(self.dispatcher.stuck(claimed_before=claimed_before, alive=self._alive))
        with self._lock:
            self._stuck.update(found)

    def recover(self) -> None:
        """Resolve the noted rows that still hold the claim that left them stuck."""
        with self._lock:
            if not self._stuck:
                return
            rows = [row for row in self.dispatcher.stuck() if self._stuck.get(int(row.id or 0)) == _claim(row)]
            self._stuck = _claims(rows)
            todo = [row for row in rows if int(row.id or 0) not in self._recovering]
            self._recovering.update(int(row.id or 0) for row in todo)
        for row in todo:
            self._submit(self._recover_one, row)

    def _recover_one(self, row: Reminder) -> Any:
        row_id = int(row.id or 0)
        outcome = "unresolved"
        try:
            outcome = self.dispatcher.recover_one(row)
            log.info("stuck row %s: %s", row.key, outcome)
        finally:
            with self._lock:
                self._recovering.discard(row_id)
                if outcome != "unresolved":  # sent, or back to 'pending' for the worker: no longer stuck
                    self._stuck.pop(row_id, None)
        return outcome


def _claim(row: Reminder) -> tuple[int, datetime]:
    """Which claim of ``row`` this is: every claim counts an attempt and stamps the time."""
    return row.attempts, row.updated_at


def _claims(rows: Iterable[Reminder]) -> dict[int, tuple[int, datetime]]:
    return {int(row.id or 0): _claim(row) for row in rows}
