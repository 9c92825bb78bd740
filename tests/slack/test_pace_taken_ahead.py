"""Pace slots taken ahead by the outbox worker right after a claim (PostgreSQL; TEST_DATABASE_URL).

The pace allows ``burst`` messages at once and then one per ``interval`` (GCRA): in any window of ``w``
seconds at most ``burst + floor(w / interval)`` messages. A slot taken ahead at ``t`` may be used by a
message that goes anywhere in ``[t, t + TAKEN_AHEAD_FOR]``; the bound must hold for the moments messages
really go, in whatever order they go.
"""

from __future__ import annotations

import math
import random

import pytest

from bot.slack.pacing import ChannelPacer
from bot.slack.shared_pace import TAKEN_AHEAD_FOR, SharedChannelPacer



@pytest.fixture
def store(store):
    if store.dialect != "postgresql":
        pytest.skip("slots are taken ahead on PostgreSQL, where a take is a round trip; SQLite's pace is in memory")
    return store


class FakeTime:
    """The database's clock and the process's monotonic clock, standing still until moved."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def _pacer(store, t: FakeTime, burst: int = 4) -> SharedChannelPacer:
    return SharedChannelPacer(store.engine, interval=1.0, burst=burst, now=t.time, monotonic=t.time)


def _worst_window(sent: list[float], burst: int) -> tuple[int, int, float] | None:
    """A window holding more messages than the pace allows: (messages, allowed, width), or None."""
    sent = sorted(sent)
    for i, first in enumerate(sent):
        for j in range(i, len(sent)):
            count, allowed = j - i + 1, burst + math.floor(sent[j] - first + 1e-9)
            if count > allowed:
                return count, allowed, sent[j] - first
    return None


def test_a_claims_channels_take_their_slots_in_one_statement_and_each_message_uses_its_own_once(store):
    t = FakeTime()
    pacer = _pacer(store, t)
    assert pacer.take_ahead(["C1", "C2", "C3", "C2"]) == 3  # one slot a channel, however many rows go there
    assert pacer.statements == 1
    assert [pacer.take(c) for c in ("C1", "C2", "C3")] == [0.0, 0.0, 0.0]
    assert pacer.statements == 1  # used without asking the database again
    assert pacer.take("C2") == 0.0  # the second message to C2 takes its own slot, from the database
    assert pacer.statements == 2
    pacer.close()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_messages_on_slots_taken_ahead_keep_the_pace_whenever_and_in_whatever_order_they_go(store, seed):
    """Three processes taking slots ahead and one taking them as its messages go ask for one channel at
    random moments; each message on a slot taken ahead goes at a random moment within the lead. Derived from
    the pace: at most 4 + floor(w) messages in any w seconds. A slot taken ahead as if its message went at
    once (``tat = max(tat, now) + interval``) breaks this with each of these seeds: messages held back to the
    end of the lead land in the same second as those whose slots were taken after them."""
    rng = random.Random(seed)
    t = FakeTime()
    aheads = [_pacer(store, t) for _ in range(3)]
    asking = _pacer(store, t)
    sent: list[float] = []
    later: list[tuple[float, int]] = []  # (moment, process) at which a message on a slot taken ahead starts

    def go(moment: float, process: int) -> None:
        t.now = moment
        assert aheads[process].take("C1") == 0.0  # its slot taken ahead, still usable
        sent.append(moment)

    for _ in range(300):
        until = t.now + rng.choice((0.0, 0.0, 0.05, 0.2, 0.45, 0.9, 1.6))
        for moment, process in sorted(m for m in later if m[0] <= until):  # in time order: no clock goes back
            later.remove((moment, process))
            go(moment, process)
        t.now = until
        process = rng.randrange(4)
        if process == 3:
            if asking.take("C1") == 0.0:
                sent.append(t.now)
        elif all(p != process for _, p in later) and aheads[process].take_ahead(["C1"]) == 1:
            later.append((t.now + rng.uniform(0.0, TAKEN_AHEAD_FOR), process))
    for moment, process in sorted(later):
        go(moment, process)
    assert len(sent) > 100, "too few messages for the test to mean anything"
    assert _worst_window(sent, burst=4) is None, _worst_window(sent, burst=4)
    for pacer in (*aheads, asking):
        pacer.close()


def test_a_slot_not_used_within_the_lead_is_given_up(store):
    t = FakeTime()
    pacer = _pacer(store, t)
    assert pacer.take_ahead(["C1"]) == 1
    t.now += TAKEN_AHEAD_FOR + 0.01
    assert pacer.take("C1") == 0.0
    assert pacer.statements == 2, "a slot older than the lead was used instead of taking one"
    pacer.close()


def test_a_spent_channel_is_not_taken_ahead_and_its_message_learns_how_long_to_wait(store):
    t = FakeTime()
    pacer = _pacer(store, t)
    assert [pacer.take("C1") for _ in range(4)] == [0.0] * 4  # the burst of 4 is spent
    assert pacer.take_ahead(["C1", "C2"]) == 1  # C2 only
    assert pacer.take("C1") == pytest.approx(1.0)
    pacer.close()


def test_a_429_gives_up_the_slot_taken_ahead(store):
    t = FakeTime()
    pacer = _pacer(store, t)
    assert pacer.take_ahead(["C1"]) == 1
    pacer.hold("C1", 5.0)
    assert pacer.take("C1") > 0, "a slot taken before Slack's 429 posted after it"
    pacer.close()


def test_the_pace_of_one_process_takes_nothing_ahead():
    local = ChannelPacer(interval=1.0, burst=1, monotonic=lambda: 0.0)
    assert local.take_ahead(["C1"]) == 0
    assert local.take("C1") == 0.0  # its one slot was still there


def test_slots_whose_messages_never_went_are_forgotten(store):
    """A claimed post that never went (the worker stopped first) leaves its slot taken ahead; the pacer forgets
    it once its time has passed, so a long-running worker does not keep one for every channel it ever saw."""
    t = FakeTime()
    pacer = _pacer(store, t)
    assert pacer.take_ahead([f"C{n}" for n in range(50)]) == 50
    t.now += TAKEN_AHEAD_FOR + 0.01
    assert pacer.take_ahead(["C99"]) == 1
    assert set(pacer._taken_ahead) == {"C99"}
    pacer.close()
