"""Per-channel pacing: a burst goes at once, then one message per interval."""

from __future__ import annotations

from bot.slack.pacing import ChannelPacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_burst_then_one_per_second():
    t = FakeTime()
    pacer = ChannelPacer(interval=1.0, burst=3, monotonic=t.monotonic, sleep=t.sleep)
    # Three messages fit the burst; the 4th waits until 1 s after the first, the 5th 2 s after it.
    assert [pacer.wait("C1") for _ in range(5)] == [0, 0, 0, 1.0, 1.0]
    assert t.now == 102.0


def test_channels_are_paced_independently_and_the_bucket_refills():
    t = FakeTime()
    pacer = ChannelPacer(interval=1.0, burst=2, monotonic=t.monotonic, sleep=t.sleep)
    assert [pacer.wait("C1"), pacer.wait("C1"), pacer.wait("C2")] == [0, 0, 0]
    t.now += 5  # quiet for 5 s: the burst is available again
    assert [pacer.wait("C1"), pacer.wait("C1"), pacer.wait("C1")] == [0, 0, 1.0]


def test_take_never_sleeps_and_says_how_long_to_wait():
    t = FakeTime()
    pacer = ChannelPacer(interval=1.0, burst=2, monotonic=t.monotonic, sleep=t.sleep)
    assert [pacer.take("C1"), pacer.take("C1")] == [0, 0]
    assert pacer.take("C1") == 1.0 and pacer.take("C1") == 1.0  # told to wait; nothing taken by asking
    assert t.now == 100.0  # no time passed: nobody slept
    t.now += 1.0
    assert pacer.take("C1") == 0
