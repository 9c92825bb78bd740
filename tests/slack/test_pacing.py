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


def test_four_workers_sharing_a_channel_stay_within_slacks_pace_together():
    t = FakeTime()
    pacers = [ChannelPacer(interval=1.0, burst=4, monotonic=t.monotonic, sleep=t.sleep) for _ in range(4)]
    for pacer in pacers:
        pacer.share(4)
    sent = []  # instants at which any of the four posted to C1, each asking as often as it may for 10 s
    while t.now < 110.0:
        for pacer in pacers:
            if pacer.take("C1") == 0:
                sent.append(t.now)
        t.now = round(t.now + 0.25, 2)
    # Together: at most Slack's burst of 4 at once, then about one a second (4 + 10 in 10 s, not 4 x that).
    assert sent.count(100.0) == 4
    assert len(sent) <= 4 + 10
    alone = ChannelPacer(interval=1.0, burst=4, monotonic=t.monotonic, sleep=t.sleep)
    alone.share(4)
    alone.share(1)  # the others stopped: the whole pace again
    assert [alone.take("C2") for _ in range(4)] == [0, 0, 0, 0]
