"""Pacing posts per channel: Slack allows about one message per second per channel, with short bursts.

A token bucket per channel: ``burst`` messages may go at once (a declaration
posts welcome, roles and checklist together), after that one per
``interval`` seconds.  :meth:`ChannelPacer.wait` waits on the sending thread;
the outbox worker instead asks :meth:`ChannelPacer.take` and, when told to
wait, puts the row back until then, so no sender is parked in a sleep.

This pace is one process's own.  Several processes posting to the same
channels (the outbox workers on PostgreSQL) keep one pace per channel together
in the database instead (:mod:`bot.slack.shared_pace`, the same algorithm).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

if TYPE_CHECKING:
    from bot.store.database import Store


class ChannelPacer:
    def __init__(self, interval: float = 1.0, burst: int = 3, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self.burst = burst
        self._pace = (interval, burst)  # Slack's pace; ``share`` divides it among processes
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._due: dict[str, float] = {}  # per channel: when the next message would be due at the steady rate

    def share(self, workers: int) -> None:
        """Take 1/``workers`` of the pace (several processes post to the same channels without a shared pace):
        each may post once per ``workers`` intervals, with a burst of ``burst // workers`` (at least 1). Too
        strict for a burst (one process may not use the others' unused share): the outbox workers share their
        pace through the database instead."""
        interval, burst = self._pace
        with self._lock:
            self.interval, self.burst = interval * max(1, workers), max(1, burst // max(1, workers))

    def take(self, channel: str) -> float:
        """0 and a slot taken when a message may go to ``channel`` now; otherwise the seconds to wait
        (nothing taken: ask again then)."""
        with self._lock:
            now = self._monotonic()
            due = max(self._due.get(channel, now), now)
            delay = max(0.0, due - self.interval * (self.burst - 1) - now)
            if delay == 0:
                self._due[channel] = due + self.interval
        return delay

    def take_ahead(self, channels: Iterable[str]) -> int:
        """Nothing to take ahead: this pace is in memory, and a :meth:`take` as each message goes costs nothing."""
        return 0

    def hold(self, channel: str, seconds: float) -> None:
        """Slack answered 429 for ``channel`` asking for ``seconds``: nothing goes there before then, and after
        it one message per interval (no burst)."""
        with self._lock:
            now = self._monotonic()
            until = now + max(0.0, seconds) + self.interval * (self.burst - 1)
            self._due[channel] = max(self._due.get(channel, now), until)

    def wait(self, channel: str) -> float:
        """Block until a message may be posted to ``channel``; returns the seconds waited.

        Generic cell rate algorithm: a message is allowed once its due time is at most
        ``burst - 1`` intervals ahead; each message moves the due time on by one interval.
        """
        with self._lock:
            now = self._monotonic()
            due = max(self._due.get(channel, now), now)
            delay = max(0.0, due - self.interval * (self.burst - 1) - now)
            self._due[channel] = due + self.interval
        if delay > 0:
            self._sleep(delay)
        return delay


class Pacer(Protocol):
    """Slack's pace per channel: ``take`` a slot now (0) or learn how long to wait; ``wait`` for one; ``take_ahead``
    the slots of messages about to go (where a take costs a round trip)."""

    def take(self, channel: str) -> float: ...

    def take_ahead(self, channels: Iterable[str]) -> int: ...

    def wait(self, channel: str) -> float: ...

    def hold(self, channel: str, seconds: float) -> None: ...


def outbox_pacer(store: Store, *, interval: float = 1.0, burst: int = 4, senders: int = 8) -> Pacer:
    """Slack's pace for the outbox workers. On PostgreSQL any number of processes deliver, so they keep one pace
    per channel together in the database (``senders``: the threads that take slots at once, one connection
    each); on SQLite one process delivers (the active scheduler), so its own pace is the whole of it."""
    if store.dialect == "postgresql":
        from bot.slack.shared_pace import SharedChannelPacer

        return SharedChannelPacer(store.engine, interval=interval, burst=burst, connections=senders)
    return ChannelPacer(interval=interval, burst=burst)
