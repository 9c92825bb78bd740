"""How many due rows a delivering worker holds at once, sized by how long its calls take.

A worker claims rows ahead of its senders so that a burst is claimed in a few transactions rather than one
per free sender. How far ahead is a trade: more rows a claim costs the database less per row (measured in
docs/burst.md: 16 rows a sender instead of 8 cut the server's CPU a row by a third when calls cost nothing),
but every row a worker holds is one no other worker can take, and one a crash leaves to resolve. With
Slack's real latency a worker holding 128 rows behind 8 senders drains them for seconds while another
worker idles.

So the limit is a time, not a count: the rows the senders will start within about ``ahead_seconds``, from
a moving average of the calls' own time (successful calls only: a failure returns at once or after a
timeout and says nothing about the next call). Until a call has been timed, ``initial_per_sender`` rows a
sender; always at least two (one being sent, one waiting) and at most ``most_per_sender``.
"""

from __future__ import annotations

import math
import threading


class ClaimAhead:
    def __init__(self, senders: int, *, initial_per_sender: int = 8, ahead_seconds: float = 0.5,
                 least_per_sender: int = 2, most_per_sender: int = 16, weight: float = 0.2) -> None:
        if senders < 1:
            raise ValueError(f"expected at least one sender, got {senders}")
        if not 1 <= least_per_sender <= most_per_sender:
            raise ValueError(f"expected 1 <= least_per_sender <= most_per_sender, got {least_per_sender} and {most_per_sender}")
        self.senders = senders
        self.ahead_seconds = ahead_seconds
        self.least = least_per_sender
        self.most = most_per_sender
        self.initial = min(self.most, max(self.least, initial_per_sender))
        self.weight = weight
        self._call_seconds: float | None = None
        self._lock = threading.Lock()

    @property
    def call_seconds(self) -> float | None:
        """The moving average of a call's time, or None before the first."""
        return self._call_seconds

    def timed(self, seconds: float) -> None:
        """One successful call took ``seconds`` (wall time, as the sender saw it)."""
        seconds = max(0.0, seconds)
        with self._lock:
            average = self._call_seconds
            self._call_seconds = seconds if average is None else average + self.weight * (seconds - average)

    def per_sender(self) -> int:
        """Rows a sender is given at most: the one it sends and those it will start within ``ahead_seconds``."""
        average = self._call_seconds
        if average is None:
            return self.initial
        waiting = math.ceil(self.ahead_seconds / average) if average > 0 else self.most
        return min(self.most, max(self.least, 1 + waiting))

    def limit(self) -> int:
        return self.senders * self.per_sender()
