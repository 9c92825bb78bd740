"""A delivering worker holds the rows its senders will start within about half a second, from the time its
calls take: more when calls are quick (fewer, larger claims), fewer when they are slow (rows left for other
workers, fewer to resolve after a crash)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from bot.clock import ManualClock
from bot.scheduling.claim_ahead import ClaimAhead
from bot.scheduling.execute import Done
from bot.scheduling.worker import OutboxWorker


def test_before_any_call_is_timed_each_sender_gets_the_initial_rows():
    assert ClaimAhead(8, initial_per_sender=8).limit() == 64


@pytest.mark.parametrize("call_seconds, per_sender", [
    (0.05, 11),   # 0.5 s / 50 ms = 10 rows waiting, plus the one being sent
    (0.2, 4),     # 0.5 / 0.2 = 2.5: 3 waiting (a sender never runs dry before the next claim), plus 1
    (0.001, 16),  # 500 waiting would be; at most 16 a sender
    (0.0, 16),    # a call that took no measurable time: the most
    (2.0, 2),     # 0.25 rounds up to 1 waiting, plus 1: at least one row waiting behind the one being sent
])
def test_the_rows_a_sender_gets_are_the_calls_it_will_start_within_half_a_second(call_seconds, per_sender):
    ahead = ClaimAhead(8, initial_per_sender=8, ahead_seconds=0.5)
    ahead.timed(call_seconds)
    assert ahead.per_sender() == per_sender
    assert ahead.limit() == 8 * per_sender


def test_the_call_time_is_a_moving_average_not_the_last_call():
    ahead = ClaimAhead(1, weight=0.2)
    ahead.timed(0.1)
    ahead.timed(1.1)  # one slow call moves the average a fifth of the way: 0.1 + 0.2 * 1.0 = 0.3
    assert ahead.call_seconds == pytest.approx(0.3)
    assert ahead.per_sender() == 3  # ceil(0.5 / 0.3) = 2 waiting, plus 1


def test_nonsense_sizes_are_refused_with_what_was_wrong():
    with pytest.raises(ValueError, match="at least one sender"):
        ClaimAhead(0)
    with pytest.raises(ValueError, match="least_per_sender <= most_per_sender"):
        ClaimAhead(4, least_per_sender=8, most_per_sender=4)


@dataclass
class _Row:
    id: int
    key: str


class _Dispatcher:
    """The worker's side of the outbox with rows in memory: ``claim_batch`` hands out up to the asked number of
    the ``count`` due rows, each call takes ``call_seconds``; it notes each limit asked for and the most rows
    held (claimed, not yet recorded) at once."""

    def __init__(self, count: int, call_seconds: float) -> None:
        self.clock = ManualClock(datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc))
        self.call_seconds = call_seconds
        self._due = [_Row(i, f"row-{i}") for i in range(1, count + 1)]
        self._lock = threading.Lock()
        self.asked: list[int] = []
        self.held = 0
        self.held_after_first_record: list[int] = []
        self.recorded = 0

    def warm_up(self) -> None:
        pass

    def next_due_at(self):
        with self._lock:
            return self.clock.now() if self._due else None

    def claim_batch(self, limit: int):
        with self._lock:
            self.asked.append(limit)
            rows, self._due = self._due[:limit], self._due[limit:]
            self.held += len(rows)
            if self.recorded:
                self.held_after_first_record.append(self.held)
            return rows

    def expect_posts(self, rows) -> None:
        pass

    def attempt(self, row):
        time.sleep(self.call_seconds)
        return row, Done(ts=f"1.{row.id}"), self.clock.now()

    def record_batch(self, finished) -> None:
        with self._lock:
            self.held -= len(finished)
            self.recorded += len(finished)


def _drain(dispatcher: _Dispatcher, count: int) -> None:
    worker = OutboxWorker(dispatcher, threads=4, poll_seconds=0.05, queued_per_sender=8)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while dispatcher.recorded < count and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert dispatcher.recorded == count


def test_slow_calls_leave_rows_for_other_workers():
    dispatcher = _Dispatcher(120, call_seconds=0.1)
    _drain(dispatcher, 120)
    # The first claim knows no call time: 4 senders x 8 = 32. Once calls are timed at 0.1 s (a little more),
    # 0.5 s ahead is 5 rows waiting a sender plus the one being sent: 4 x 6 = 24 held at most.
    assert dispatcher.asked[0] == 32
    assert dispatcher.held_after_first_record, "nothing was claimed after the first record; the test proves nothing"
    assert max(dispatcher.held_after_first_record) <= 24, dispatcher.held_after_first_record


def test_quick_calls_are_claimed_in_larger_batches():
    dispatcher = _Dispatcher(2000, call_seconds=0.0)
    _drain(dispatcher, 2000)
    # Calls that take next to nothing: 16 rows a sender, 4 x 16 = 64 in flight, so claims ask for more than the
    # first 32 once a call has been timed.
    assert dispatcher.asked[0] == 32
    assert max(dispatcher.asked) > 32, dispatcher.asked[:20]
    assert max(dispatcher.asked) <= 64
