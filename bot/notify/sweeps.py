"""The scheduler's one hook for mail and phone work beyond Slack (``notifications`` of
:class:`bot.scheduling.scheduler.ReminderScheduler`): the page steps, then the status page's mails, each sweep
in turn.  A failing sweep of one does not stop the other; its counts are named by the worker's prefix."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class Sweeps:
    def __init__(self, *named: tuple[str, Any]) -> None:
        """``named``: (prefix, worker) pairs; the first one's counts keep their names (the page steps')."""
        self.named = named

    def run_due(self) -> dict[str, int]:
        return self._each("run_due")

    def recover(self) -> dict[str, int]:
        return self._each("recover")

    def _each(self, method: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        failure: Exception | None = None
        for prefix, worker in self.named:
            try:
                for outcome, n in getattr(worker, method)().items():
                    counts[f"{prefix}{outcome}"] = counts.get(f"{prefix}{outcome}", 0) + n
            except Exception as exc:  # noqa: BLE001 - the other worker still runs; raised after it
                log.exception("%s of %s failed", method, type(worker).__name__)
                failure = failure or exc
        if failure is not None:
            raise failure
        return counts
