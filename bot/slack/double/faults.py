"""Scripted faults for the Slack double: latency, 429 with Retry-After, 5xx, ``ok: false`` errors,
outages and rate limits lasting a while, and killing the bot in the middle of a call.

Faults are queued per Web API method (``"*"`` matches every method) and used
up first in, first out: ``rate_limit("chat.postMessage", times=3)`` answers
the next three ``chat.postMessage`` calls with 429 and lets the fourth through.

Windows apply to every call, Web API and ``response_url`` alike, for a time:
``outage(60)`` answers 503 for a minute (Slack is down), ``rate_limited_for(180,
retry_after=30)`` answers 429 for three minutes.

``kill_on_call(pid, nth=3)`` sends SIGKILL to the bot's process when the double
receives the third call from now (``method="conversations.invite"``: the third
call of that method; ``"response_url"`` for answers): after doing what it asked
(``processed=True``: the bot dies not knowing that Slack did it) or before (it
never happened).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    status: int = 200  # HTTP status; 200 with ``error`` set is Slack's ``ok: false``
    error: str = ""  # Slack error code for ``ok: false``
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # extra seconds before answering
    drop: bool = False  # close the connection without answering
    processed: bool = False  # do the work first, then fail (the caller cannot tell whether it happened)


@dataclass
class Kill:
    pid: int
    remaining: int  # calls until the one that kills
    processed: bool
    method: str | None = None  # count only calls of this method (None: every call)


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}
        self.latency = 0.0  # seconds added to every call
        self._windows: list[tuple[float, Fault]] = []  # (until, fault) by time.monotonic()
        self._kill: Kill | None = None
        self.killed: list[tuple[int, str, float]] = []  # (pid, the call that killed it, time.monotonic())

    def outage(self, seconds: float, status: int = 503) -> None:
        """Slack is down for ``seconds``: every call answers ``status``."""
        with self._lock:
            self._windows.append((time.monotonic() + seconds, Fault(status=status)))

    def rate_limited_for(self, seconds: float, retry_after: int = 1) -> None:
        """Every call answers 429 with ``Retry-After`` for ``seconds``."""
        with self._lock:
            self._windows.append((time.monotonic() + seconds, Fault(status=429,
                                                                    headers={"Retry-After": str(retry_after)})))

    def window(self) -> Fault | None:
        """The fault of an outage or rate limit in force now, if any."""
        now = time.monotonic()
        with self._lock:
            self._windows = [(until, f) for until, f in self._windows if until > now]
            return self._windows[0][1] if self._windows else None

    def kill_on_call(self, pid: int, *, nth: int = 1, processed: bool = True, method: str | None = None) -> None:
        """SIGKILL ``pid`` at the ``nth`` call from now, or of ``method`` from now (after doing it when
        ``processed``)."""
        with self._lock:
            self._kill = Kill(pid, nth, processed, method)

    def kill_due(self, call: str) -> Kill | None:
        """Count one call (``call``: the Web API method or ``"response_url"``); the armed kill if this is
        the call that kills."""
        with self._lock:
            if self._kill is None or self._kill.method not in (None, call):
                return None
            self._kill.remaining -= 1
            if self._kill.remaining > 0:
                return None
            kill, self._kill = self._kill, None
            return kill

    def execute(self, kill: Kill, call: str) -> None:
        try:
            os.kill(kill.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.killed.append((kill.pid, call, time.monotonic()))

    def add(self, method: str, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._queues.setdefault(method, deque()).extend([fault] * times)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        self.add(method, Fault(status=429, headers={"Retry-After": str(retry_after)}), times)

    def server_error(self, method: str, times: int = 1, status: int = 500, *, processed: bool = False) -> None:
        self.add(method, Fault(status=status, processed=processed), times)

    def error(self, method: str, code: str, times: int = 1) -> None:
        self.add(method, Fault(error=code), times)

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        self.add(method, Fault(delay=seconds), times)

    def drop(self, method: str, times: int = 1) -> None:
        self.add(method, Fault(drop=True), times)

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
            self._windows.clear()
            self._kill = None
            self.latency = 0.0

    def next_for(self, method: str) -> Fault | None:
        with self._lock:
            for name in (method, "*"):
                queue = self._queues.get(name)
                if queue:
                    return queue.popleft()
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())
