"""Work a listener does after acknowledging: one queue, one thread, in the order requests arrived.

Slack waits 3 seconds for an acknowledgement; the person waits for it too. The
app runs with bolt's ``process_before_response``: a listener runs on the
request's own thread, validates, acknowledges, hands what the request asks to
this queue and returns, and bolt answers at once (no listener thread to start,
no waiting for the acknowledgement in 10 ms polls). Before, the work ran on
bolt's listener threads: under a burst of declarations those threads were busy
writing earlier incidents and later acknowledgements waited for a free thread
and for the interpreter lock (bench/slack_ack.py measured the bot's
acknowledgement p99 at several times a bare bolt app's).

Opening a form is the exception: its ``trigger_id`` expires 3 seconds after the
request, so it must not wait behind other work, and a Slack call must not hold
up the acknowledgement either. Forms open on a small pool of their own.

One thread keeps a person's commands in the order they sent them (a
declaration, then a status update for it) and costs nothing in throughput on
SQLite, where writes take turns anyway. What a command changes is written in
one transaction and its effects go through the outbox, so a command either
happened wholly or not at all.

The queue lives in memory. A process killed (-9) after acknowledging a command
and before its transaction is written loses that command: the person gets no
answer (never a false one) and can send it again; commands are idempotent under
their trigger id. A clean stop (SIGTERM) finishes the queue first.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

log = logging.getLogger(__name__)

Report = Callable[[Exception, dict[str, Any]], None]
FORM_THREADS = 4


class AfterAck:
    """``run(work, body)``: queue ``work``; ``form(work, body)``: open a form now, beside the queue.
    A failure of either is told to the person who sent ``body`` by ``report``."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-work")
        self._forms = ThreadPoolExecutor(max_workers=FORM_THREADS, thread_name_prefix="slack-form")

    def run(self, work: Callable[[], None], body: dict[str, Any]) -> None:
        self._pool.submit(self._guarded, work, body)

    def form(self, work: Callable[[], None], body: dict[str, Any]) -> None:
        self._forms.submit(self._guarded, work, body)

    def _guarded(self, work: Callable[[], None], body: dict[str, Any]) -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - told to the person (and a bug logged), never lost in a thread
            try:
                self._report(exc, body)
            except Exception:  # noqa: BLE001
                log.exception("could not tell the person about an error")

    def shutdown(self) -> None:
        """Finish what was acknowledged, then stop."""
        self._forms.shutdown(wait=True)
        self._pool.shutdown(wait=True)

