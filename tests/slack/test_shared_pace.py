"""Slack's pace per channel shared by several workers through the database (SQLite, or TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from bot.ports import ChatError, Notice
from bot.slack.client import make_worker_client
from bot.slack.gateway import SlackGateway
from bot.slack.pacing import ChannelPacer, outbox_pacer
from bot.slack.shared_pace import UNREADABLE_WAIT, SharedChannelPacer
from bot.store.database import make_engine


NOTICE = Notice(kind="status_update", title="Status", lines=("all good",), metadata={"incident": "7"})


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # seconds since the epoch, like the database's clock

    def time(self) -> float:
        return self.now


def pacers(store, t: FakeTime, n: int, *, interval: float = 1.0, burst: int = 4) -> list[SharedChannelPacer]:
    return [SharedChannelPacer(store.engine, interval=interval, burst=burst, now=t.time) for _ in range(n)]


def test_four_workers_together_keep_to_one_pace_and_each_may_use_the_whole_burst(store):
    t = FakeTime()
    start = t.now
    workers = pacers(store, t, 4)
    sent: list[float] = []  # instants at which any of the four posted to C1, each asking as often as it may
    while t.now < start + 10.0:
        for pacer in workers:
            if pacer.take("C1") == 0:
                sent.append(t.now - start)
        t.now += 0.25
    assert sent[:4] == [0.0, 0.0, 0.0, 0.0]  # the burst of 4, whichever worker asks
    assert sent[4:] == [float(s) for s in range(1, 10)]  # then exactly one a second, not four times that
    # The whole burst is one worker's when the others are not posting: unlike a share of 1/4 of it.
    alone = workers[0]
    assert [alone.take("C2") for _ in range(4)] == [0, 0, 0, 0]
    assert alone.take("C2") == pytest.approx(1.0)


def test_in_any_window_no_more_than_the_burst_plus_one_per_interval(store):
    t = FakeTime()
    start = t.now
    workers = pacers(store, t, 3, interval=1.0, burst=3)
    sent: list[float] = []
    step = 0
    while t.now < start + 20.0:
        pacer = workers[step % 3]
        if pacer.take("C1") == 0:
            sent.append(t.now)
        step += 1
        t.now += 0.1 if step % 7 else 2.5  # bursts of asking, then quiet spells that refill the bucket
    for i, first in enumerate(sent):
        for width in (0.5, 1.0, 2.0, 5.0):
            inside = [s for s in sent[i:] if s < first + width - 1e-9]
            assert len(inside) <= 3 + int(width / 1.0), (first - start, width, inside)


def test_a_refused_take_takes_nothing_and_says_how_long(store):
    t = FakeTime()
    one, other = pacers(store, t, 2, interval=1.0, burst=2)
    assert [one.take("C1"), other.take("C1")] == [0, 0]
    assert other.take("C1") == pytest.approx(1.0)
    assert one.take("C1") == pytest.approx(1.0)  # asking took nothing
    t.now += 0.5
    assert one.take("C1") == pytest.approx(0.5)
    t.now += 0.5
    assert other.take("C1") == 0
    assert one.take("C1") == pytest.approx(1.0)
    assert one.take("C2") == 0  # channels are paced independently


def test_the_same_answers_as_the_pacer_of_one_process(store):
    """The shared pace is the same algorithm: one worker alone is paced exactly as before."""
    t = FakeTime()
    shared = SharedChannelPacer(store.engine, interval=1.0, burst=3, now=t.time)
    local = ChannelPacer(interval=1.0, burst=3, monotonic=t.time)
    answers: list[tuple[float, float]] = []
    for step in range(40):
        t.now += (0.0, 0.3, 0.0, 1.7, 0.1)[step % 5]
        answers.append((shared.take("C1"), local.take("C1")))
    assert [round(a, 6) for a, _ in answers] == [round(b, 6) for _, b in answers]


def test_many_threads_of_two_workers_on_the_databases_clock(store):
    """Real concurrency and the database's own clock: 2 workers x 4 threads asking as fast as they can."""
    workers = [SharedChannelPacer(store.engine, interval=0.5, burst=3) for _ in range(2)]
    allowed: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + 1.2

    def ask(pacer: SharedChannelPacer) -> None:
        while time.monotonic() < end:
            if pacer.take("C9") == 0:
                with lock:
                    allowed.append(time.monotonic())

    threads = [threading.Thread(target=ask, args=(w,)) for w in workers for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Within 1.2 s: the burst of 3, then one per 0.5 s (at 0.5 s and 1.0 s after the first): 5, and never more.
    assert 3 <= len(allowed) <= 3 + 3
    assert len([a for a in allowed if a < allowed[0] + 0.4]) == 3


def test_passed_paces_are_removed_without_changing_what_is_allowed(store):
    t = FakeTime()
    pacer = SharedChannelPacer(store.engine, interval=1.0, burst=2, now=t.time, monotonic=t.time)
    assert [pacer.take("C1"), pacer.take("C1"), pacer.take("C2")] == [0, 0, 0]
    t.now += 3600  # long quiet: the next take prunes the rows that hold nothing back
    assert pacer.take("C3") == 0
    with store.engine.connect() as conn:
        channels = sorted(c for (c,) in conn.execute(text("SELECT channel FROM slack_channel_pace")))
    assert channels == ["C3"]
    assert [pacer.take("C1"), pacer.take("C1"), pacer.take("C1")] == [0, 0, pytest.approx(1.0)]


def test_an_unreadable_pace_holds_the_message_back(store, tmp_path):
    if store.dialect == "postgresql":  # nobody listens there
        unreadable = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    else:  # a database without the table
        unreadable = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert SharedChannelPacer(unreadable).take("C1") == UNREADABLE_WAIT
    unreadable.dispose()


def test_the_outbox_shares_its_pace_on_postgresql_and_keeps_its_own_on_sqlite(store):
    pacer = outbox_pacer(store)
    expected = SharedChannelPacer if store.dialect == "postgresql" else ChannelPacer
    assert isinstance(pacer, expected) and (pacer.interval, pacer.burst) == (1.0, 4)


def test_two_outbox_gateways_post_within_one_pace(double, store, clock):
    """Two workers' gateways (one try per call) posting to one channel: the 5th post of a burst is refused
    whichever worker makes it, and comes back when its slot is free."""
    t = FakeTime()
    gateways = [SlackGateway(make_worker_client("xoxb-test", base_url=double.api_url), store, clock,
                             send_attempts=1, record_sends=False,
                             pacer=SharedChannelPacer(store.engine, interval=1.0, burst=4, now=t.time))
                for _ in range(2)]
    channel, _ = gateways[0].create_channel("inc-pace", private=False)
    for i in range(4):
        gateways[i % 2].post(channel, NOTICE, key=f"pace:{i}")
    with pytest.raises(ChatError) as refused:
        gateways[1].post(channel, NOTICE, key="pace:4")
    assert refused.value.code == "paced" and refused.value.retry_after == pytest.approx(1.0)
    assert len(double.model.messages_in(channel)) == 4
    t.now += 1.0
    gateways[1].post(channel, NOTICE, key="pace:4")
    assert len(double.model.messages_in(channel)) == 5


def test_senders_taking_slots_at_once_reuse_the_pacers_connections(store):
    """8 sender threads in a burst, each taking a slot and then posting (a short pause): the pacer opens at most
    one connection per sender and keeps them, instead of opening and closing one for many takes (a pool smaller
    than the senders, whose overflow connections were closed whenever enough others were idle)."""
    if store.dialect != "postgresql":
        pytest.skip("the pacer has connections of its own on PostgreSQL only")
    from sqlalchemy import event

    pacer = SharedChannelPacer(store.engine, interval=1.0, burst=4, connections=8)
    opened: list[int] = []
    event.listen(pacer._engine, "connect", lambda *_: opened.append(1))
    taken: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def burst(n: int) -> None:
        start.wait()
        for i in range(40):
            answer = pacer.take(f"CB{n}-{i % 10}")
            with lock:
                taken.append(answer)
            time.sleep(0.001 * ((n * 7 + i * 3) % 4))  # the post, of uneven length

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pacer.close()
    assert len(taken) == 320 and taken.count(0.0) == 8 * 10 * 4  # 4 posts to each of 80 channels: its burst
    assert 1 <= len(opened) <= 8, f"{len(opened)} connections opened for 320 takes by 8 threads"


def test_senders_asking_at_once_take_their_slots_together_and_keep_the_pace(store):
    """8 senders asking for slots at the same instant, several of them for the same channels: the slots asked
    while another sender's statement is in flight are taken together (fewer statements than slots), and each
    channel still gets exactly its burst, whoever asked."""
    if store.dialect != "postgresql":
        pytest.skip("the senders of one process take their slots together on PostgreSQL")
    t = FakeTime()  # the clock stands still: a channel allows its burst of 4 and then nothing
    pacer = SharedChannelPacer(store.engine, interval=1.0, burst=4, now=t.time, connections=8)
    answers: dict[str, list[float]] = {}
    lock = threading.Lock()
    start = threading.Barrier(8)

    def ask(n: int) -> None:
        start.wait()
        for i in range(30):
            channel = f"CT{(n + i) % 6}" if i % 2 else f"CU{n}-{i}"  # shared by all senders / one sender's own
            answer = pacer.take(channel)
            with lock:
                answers.setdefault(channel, []).append(answer)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pacer.close()
    shared = {c: a for c, a in answers.items() if c.startswith("CT")}
    assert sum(len(a) for a in shared.values()) == 8 * 15
    for channel, got in shared.items():
        assert got.count(0.0) == 4, (channel, got)  # the burst, and not one more
        assert all(a == pytest.approx(1.0) for a in got if a != 0.0)  # refused: the next slot is a second away
    own = [a for c, got in answers.items() if c.startswith("CU") for a in got]
    assert own == [0.0] * (8 * 15)
    assert pacer.statements < 8 * 30, f"{pacer.statements} statements for {8 * 30} slots asked at once"


def test_a_429_holds_the_channel_back_for_every_worker(store):
    """Slack said 'wait 7 s' for C1 to one worker: none of them posts to C1 for 7 s (not only the row that got
    the 429), then one message per interval; other channels are untouched, and a hold never shortens a wait."""
    t = FakeTime()
    told, other = pacers(store, t, 2, interval=1.0, burst=4)
    assert told.take("C1") == 0
    told.hold("C1", 7.0)
    # The burst's lead is 3 intervals: a hold of 7 s stores tat = now + 7 + 3, so the wait is exactly 7 s.
    assert other.take("C1") == pytest.approx(7.0)
    assert other.take("C2") == 0
    told.hold("C1", 2.0)  # a shorter hold later does not bring the slot forward
    t.now += 6.5
    assert other.take("C1") == pytest.approx(0.5)
    t.now += 0.5
    assert other.take("C1") == 0
    assert told.take("C1") == pytest.approx(1.0)  # after the hold, one a second: no fresh burst


def test_the_pacer_of_one_process_holds_a_channel_alike(store):
    t = FakeTime()
    shared = SharedChannelPacer(store.engine, interval=1.0, burst=3, now=t.time)
    local = ChannelPacer(interval=1.0, burst=3, monotonic=t.time)
    answers: list[tuple[float, float]] = []
    for step in range(30):
        if step in (3, 11):
            shared.hold("C1", 4.0)
            local.hold("C1", 4.0)
        t.now += (0.0, 0.4, 1.3)[step % 3]
        answers.append((shared.take("C1"), local.take("C1")))
    assert [round(a, 6) for a, _ in answers] == [round(b, 6) for _, b in answers]
    assert any(a > 1.0 for a, _ in answers)  # the holds did hold messages back


def test_a_429_on_one_gateway_holds_the_channel_for_the_other(double, store, clock):
    t = FakeTime()
    gateways = [SlackGateway(make_worker_client("xoxb-test", base_url=double.api_url), store, clock,
                             send_attempts=1, record_sends=False,
                             pacer=SharedChannelPacer(store.engine, interval=1.0, burst=4, now=t.time))
                for _ in range(2)]
    channel, _ = gateways[0].create_channel("inc-429", private=False)
    double.faults.rate_limit("chat.postMessage", times=1, retry_after=30)
    with pytest.raises(ChatError) as limited:
        gateways[0].post(channel, NOTICE, key="held:0")
    assert limited.value.retry_after == 30
    with pytest.raises(ChatError) as paced:  # the other worker does not even try Slack for 30 s
        gateways[1].post(channel, NOTICE, key="held:1")
    assert paced.value.code == "paced" and paced.value.retry_after == pytest.approx(30.0)
    assert [c.status for c in double.calls("chat.postMessage")] == [429]
    t.now += 30.0
    gateways[1].post(channel, NOTICE, key="held:1")
    assert len(double.model.messages_in(channel)) == 1
