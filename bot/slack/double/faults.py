"""Scripted faults for the Slack double: latency, 429 with Retry-After, 5xx, ``ok: false`` errors.

Faults are queued per Web API method (``"*"`` matches every method) and used
up first in, first out: ``rate_limit("chat.postMessage", times=3)`` answers
the next three ``chat.postMessage`` calls with 429 and lets the fourth through.
"""

from __future__ import annotations

import threading
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


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}
        self.latency = 0.0  # seconds added to every call

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
