"""Injected clocks. The core never calls ``datetime.now()`` itself.

All instants are timezone-aware UTC.  ``ManualClock`` is for tests;
``AcceleratedClock`` runs simulated time faster than real time for drills.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import datetime, timedelta, timezone
from typing import Protocol

UTC = timezone.utc


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC; a naive datetime is a programming error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: every instant must carry a UTC offset")
    return value.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, value: datetime) -> None:
        with self._lock:
            self._now = ensure_utc(value)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now


class AcceleratedClock:
    """Simulated time that starts at ``start`` and runs ``speed`` times faster than real time."""

    def __init__(self, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = ensure_utc(start)
        self._speed = speed
        self._origin = _time.monotonic()

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(_time.monotonic() - self._origin) * self._speed)

