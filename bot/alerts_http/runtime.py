"""Alert intake in a running bot: the inbox behind the endpoints, the triage worker, an optional own listener."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Mapping

from bot.alerts.inbox import Inbox
from bot.alerts.triage import Triage
from bot.alerts.worker import TriageWorker
from bot.alerts_http.wsgi import alerts_app, handles, too_large
from bot.body_limit import limited_server
from bot.served_in_thread import ServedInThread
from bot.store.write_turns import write_turns_for

log = logging.getLogger(__name__)


class AlertIntake:
    def __init__(self, store, config: Callable[[], Any], clock, incidents, *,
                 on_declared: Callable[[Any], None] | None = None, environ: Mapping[str, str] | None = None,
                 poll_seconds: float = 5.0, triage: bool = True) -> None:
        """``triage=False``: this process only accepts (``serve --no-scheduler``); the ``scheduler`` worker
        triages (:func:`bot.alerts.worker.worker_process_triage`)."""
        self.wake = threading.Event()
        # SQLite: the intake writes its receipts to a file of its own (bot.alerts.receipts), so it never waits
        # for triage; triage's transactions take turns on the main file (bot.store.write_turns), also with a
        # triage in another process.  PostgreSQL locks rows.
        writes = write_turns_for(store.engine)
        self.inbox = Inbox(store, config, clock, environ=environ, accepted=self.wake, write_lock=writes)
        self.triage = Triage(store, config, clock, incidents, on_declared=on_declared, intake_busy=self.inbox.busy,
                             write_lock=writes)
        self.worker = TriageWorker(self.triage, self.wake, poll_seconds=poll_seconds) if triage else None
        self.app = alerts_app(self.inbox)
        self._server: Any = None

    def mount(self) -> tuple[Callable[[str], bool], Any]:
        return handles, self.app

    def oversize(self) -> tuple[Callable[[str], bool], Any]:
        """(its paths, its 413) for the server it is mounted on (:func:`bot.slack.transport.http_server`)."""
        return handles, too_large

    def max_body(self) -> int:
        """The largest body it accepts now (``limits.max_body_bytes``)."""
        return self.inbox.max_body_bytes()

    def start(self) -> None:
        """Triage what a previous run accepted but did not finish, then whatever arrives."""
        if self.worker is not None:
            self.worker.start()

    def listen(self, host: str, port: int, *, threads: int = 16) -> int:
        """A listener of its own (Socket Mode deployments have no HTTP server); returns the bound port.  As many
        threads as the main HTTP server: a request holds its thread until its receipt is committed.  It refuses
        a body over ``limits.max_body_bytes`` (as it is now: a limit raised by a reload takes a restart here) with
        413 (the endpoint's own answer) while receiving it; waitress's default would take up to 1 GiB before the
        application runs."""
        limit = self.inbox.settings().limits.max_body_bytes
        self._server = ServedInThread(limited_server(self.app, max_body=limit, too_large=too_large, host=host,
                                                     port=port, threads=threads, ident="incident-bot-alerts"),
                                      name="alert-intake-http")
        bound = self._server.effective_port
        log.info("listening for alerts on http://%s:%d", host, bound)
        return bound

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()  # on the listener's own thread: see bot.served_in_thread
        if self.worker is not None:
            self.worker.stop()
