"""Stopping a waitress server that serves on a thread of its own (bot/served_in_thread.py)."""

from __future__ import annotations

import os
import threading
import time
import urllib.request

from waitress import create_server

from bot.served_in_thread import ServedInThread


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_stop_writes_its_wake_up_before_the_loop_closes_the_trigger_it_writes_to(monkeypatch):
    """A request that finishes pulls the trigger too. When the loop woke for that pull, it ran the stop's thunk
    (queued first) before the stop had written its own byte, closed the trigger's pipe with the rest, and the
    stop's write then failed with EBADF (1 run in 3 of tests/alerts/test_listener.py) or went into whatever
    file had taken the pipe's number meanwhile. Here the finished request's byte and the loop's turn are made
    to come first, every time."""
    served = ServedInThread(create_server(_hello, host="127.0.0.1", port=0, threads=1), name="served-test")
    with urllib.request.urlopen(f"http://127.0.0.1:{served.effective_port}/", timeout=5) as answer:
        assert answer.read() == b"hello"
    trigger = served.server.trigger
    real_pull = trigger.pull_trigger

    def pulled_after_a_finished_request(thunk=None):
        with trigger.lock:
            trigger.thunks.append(thunk)
        os.write(trigger.trigger, b"x")  # a finished request's wake-up, which runs every queued thunk
        time.sleep(0.3)  # the loop's turn
        real_pull()  # the stop's own byte

    monkeypatch.setattr(trigger, "pull_trigger", pulled_after_a_finished_request)
    died: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: died.append(f"{hook.thread.name}: {hook.exc_value!r}"))
    served.stop()  # raised OSError(EBADF) from the write
    assert not served._thread.is_alive() and died == []
    assert trigger._closed and trigger._fds == [], "the trigger's pipe is closed once the loop has ended"
