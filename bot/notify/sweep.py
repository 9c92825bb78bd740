"""One sweep over the rows due now, for the workers that claim, send and record one row at a time (the page steps,
:mod:`bot.notify.delivery`; the status page's mails, :mod:`bot.notify.status_mail`).

* A row whose outcome could not be recorded (sent, but the database refused the record) is resolved first at
  the next sweep, as after a crash (:meth:`recover`): the process goes on, so no restart would.
* One broken row never holds up the others; one that cannot be prepared at all (a bug, a row it cannot read)
  is tried at the next sweeps, then failed for good with why after :data:`PREPARE_ATTEMPTS` (:meth:`fail_unprepared`),
  rather than tried and logged at every sweep while nobody is told.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from datetime import datetime

from bot.store.outage import about_the_database

log = logging.getLogger(__name__)

PREPARE_ATTEMPTS = 3  # sweeps that could not prepare a row (a bug, a row it cannot read) before it fails


class Sweep(ABC):
    what = "row"  # how the logs name a row: "notification 12 could not be processed"

    def __init__(self) -> None:
        self._left_sending = False  # a row failed half-way in this process: it may be in 'sending'
        self._broken: dict[int, int] = {}  # row id -> sweeps in a row that could not prepare it

    # --- what each worker provides -----------------------------------------------------------

    @abstractmethod
    def now(self) -> datetime:
        ...

    @abstractmethod
    def due_ids(self, now: datetime) -> list[int]:
        ...

    @abstractmethod
    def fire(self, row_id: int) -> str:
        ...

    @abstractmethod
    def recover(self) -> dict[str, int]:
        ...

    @abstractmethod
    def fail_unprepared(self, row_id: int, why: str) -> bool:
        """Fail the row for good with ``why`` if it is still pending; False when it is not."""
        ...

    # --- the sweep ------------------------------------------------------------------------------

    def run_due(self) -> dict[str, int]:
        """Do every row due now; the counts of their outcomes."""
        if self._left_sending:
            self._left_sending = False
            try:
                self.recover()  # sets it again for a row whose fate it could not find out
            except Exception:
                self._left_sending = True
                raise
        counts: dict[str, int] = {}
        seen: set[int] = set()
        while True:
            ids = [i for i in self.due_ids(self.now()) if i not in seen]
            if not ids:
                return counts
            for row_id in ids:
                seen.add(row_id)
                try:
                    outcome = self.fire(row_id)
                    self._broken.pop(row_id, None)
                except Exception as exc:  # noqa: BLE001 - one broken row must not hold up the others
                    log.exception("%s %s could not be processed; the others go on", self.what, row_id)
                    self._left_sending = True  # the next sweep resolves it
                    outcome = self._broken_row(row_id, exc)
                counts[outcome] = counts.get(outcome, 0) + 1

    def _broken_row(self, row_id: int, exc: Exception) -> str:
        if about_the_database(exc):
            return "error"
        count = self._broken[row_id] = self._broken.get(row_id, 0) + 1
        if count < PREPARE_ATTEMPTS:
            return "error"
        why = f"the bot could not prepare it ({type(exc).__name__}, {count} sweeps; see its log)"
        try:
            if not self.fail_unprepared(row_id, why):
                return "error"
        except Exception:  # noqa: BLE001 - failing it failed too: tried again at the next sweep
            log.exception("%s %s: failing it for good failed", self.what, row_id)
            return "error"
        self._broken.pop(row_id, None)
        return "failed"
