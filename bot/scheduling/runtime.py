"""The process-level context of scheduler jobs.

APScheduler pickles a job as "function + arguments" into the database, so job
functions take ids only and find everything else here: the store, the
current configuration, the chat port and the clock.  ``install`` is called
once when the scheduler starts in this process; nothing here is ever pickled.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from bot.clock import Clock
from bot.ports import ChatPort
from bot.store.database import Store


class RunningScheduler(Protocol):
    """What the job functions (:mod:`bot.scheduling.jobs`) call on the scheduler running in this process
    (:class:`bot.scheduling.scheduler.ReminderScheduler`, which imports this module, not the reverse)."""

    store: Store
    clock: Clock

    def tick(self) -> None: ...

    def fire(self, reminder_id: int) -> object: ...


@dataclass
class SchedulerContext:
    store: Store
    config: Callable[[], Any]  # returns the configuration in force (e.g. ``lambda: holder.current``)
    chat: ChatPort
    clock: Clock
    scheduler: RunningScheduler | None = None
    extras: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_context: SchedulerContext | None = None


def install(context: SchedulerContext) -> None:
    global _context
    with _lock:
        _context = context


def clear(only: SchedulerContext | None = None) -> None:
    """Forget the context (only if it is ``only``, when given)."""
    global _context
    with _lock:
        if only is None or _context is only:
            _context = None


def current() -> SchedulerContext:
    context = _context
    if context is None:
        raise RuntimeError("no scheduler context in this process: start the scheduler (bot.scheduling.scheduler) "
                           "before its jobs run")
    return context
