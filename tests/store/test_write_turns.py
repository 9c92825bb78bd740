"""SQLite writers take turns across threads and processes (bot.store.write_turns); PostgreSQL needs none."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

from bot.store.database import make_engine
from bot.store.write_turns import WriteTurns, write_turns_for


def _take_turn(path, took) -> None:
    turns = WriteTurns(path)
    took.put("ready")
    started = time.monotonic()
    with turns:
        took.put(time.monotonic() - started)


def test_another_process_waits_for_the_turn_and_gets_it_when_released(tmp_path):
    turns = write_turns_for(make_engine(f"sqlite:///{tmp_path / 'bot.db'}"))
    assert turns is not None and turns.path == tmp_path / "bot.db.writes.lock"
    ctx = mp.get_context("spawn")
    took = ctx.Queue()
    with turns:
        child = ctx.Process(target=_take_turn, args=(turns.path, took))
        child.start()
        assert took.get(timeout=60) == "ready"
        time.sleep(0.5)  # the child is waiting for the turn now
    waited = took.get(timeout=30)
    child.join(30)
    assert waited > 0.3, "the child took the turn while this process held it"
    with turns:  # and it was given back
        pass


def test_threads_of_one_process_take_turns(tmp_path):
    turns = WriteTurns(tmp_path / "x.writes.lock")
    inside, most = [0], [0]

    def work() -> None:
        for _ in range(50):
            with turns:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_postgresql_locks_rows_and_needs_no_turns():
    assert write_turns_for(make_engine("postgresql+psycopg://u@127.0.0.1:1/none")) is None
