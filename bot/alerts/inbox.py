"""Accepting alerts: authenticate, parse, store, and only then answer.

:class:`Inbox` is what the HTTP adapter calls.  The order is fixed: the
source's token is checked first (the PagerDuty format carries it in the
body, so only that format is parsed far enough to read ``routing_key``),
then the body is parsed into events, then one receipt row is committed
(with the rows of the other requests waiting at that moment:
:mod:`bot.alerts.group_commit`; on SQLite in the inbox file of its own,
:mod:`bot.alerts.receipts`). Only after that commit does the caller
answer 2xx, so an accepted alert is never lost; triage (:mod:`bot.alerts.triage`) works from the stored receipt.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bot.alerts.events import BadAlert
from bot.alerts.formats import PARSERS, refuse_unstorable
from bot.alerts.group_commit import GroupCommit
from bot.alerts.receipts import Receipts, new_receipt
from bot.alerts.sources import Sources, Unauthorized
from bot.alerts.tables import AlertReceipt
from bot.clock import Clock, ensure_utc

__all__ = ["Inbox", "Accepted", "BadAlert", "Unauthorized", "NotConfigured"]


class NotConfigured(Exception):
    """There is no config/alerts.yaml: alert intake is off (answered 404)."""


@dataclass(frozen=True)
class Accepted:
    receipt: int
    source: str
    keys: tuple[str, ...]


def _parser(fmt: str) -> Callable[[Any], list]:
    return PARSERS["alertmanager" if fmt == "grafana" else fmt]


class Inbox:
    def __init__(self, store, config: Callable[[], Any], clock: Clock, *, environ: Mapping[str, str] | None = None,
                 accepted: threading.Event | None = None, write_lock: Any = None) -> None:
        """``accepted`` is set after each stored receipt (it wakes the triage worker); ``write_lock`` is shared
        with triage (see :class:`~bot.alerts.triage.Triage`) where the receipts are in the main database."""
        self.write_lock = write_lock if write_lock is not None else contextlib.nullcontext()
        self.store, self.config, self.clock, self.environ = store, config, clock, environ
        self.accepted = accepted
        self._sources: tuple[Any, Sources] | None = None
        self._last_request = 0.0  # time.monotonic() of the last alert request
        self._lock = threading.Lock()
        # SQLite: the receipts go to the inbox file, whose writer lock triage never takes (bot.alerts.receipts).
        places = Receipts.of(store)
        self._receipts = GroupCommit(places.engine, AlertReceipt.__table__,  # type: ignore[attr-defined]
                                     write_lock=places.write_lock if places.own_file else self.write_lock,
                                     committed=accepted.set if accepted is not None else None)

    def settings(self) -> Any:
        config = self.config()
        if not config.loaded("alerts"):
            raise NotConfigured("alert intake is off: there is no config/alerts.yaml")
        return config.one("alerts")

    def _creds(self) -> Sources:
        alerts = self.settings()
        with self._lock:  # rebuilt when a reload brings a new alerts.yaml (tokens are read from the environment)
            if self._sources is None or self._sources[0] is not alerts:
                self._sources = (alerts, Sources(alerts, self.environ))
            return self._sources[1]

    def max_body_bytes(self) -> int:
        self._last_request = time.monotonic()
        return self.settings().limits.max_body_bytes

    def busy(self, within: float = 0.05) -> bool:
        """Did an alert request arrive in the last ``within`` seconds?"""
        return time.monotonic() - self._last_request < within

    def authenticate(self, source_id: str, token: str | None) -> Any:
        return self._creds().authenticate(source_id, token)

    def webhook(self, source_id: str, token: str | None, body: Any) -> Accepted:
        """An Alertmanager, Grafana or generic webhook to ``/alerts/<source_id>``."""
        source = self._creds().authenticate(source_id, token)
        if source.format == "pagerduty":
            raise BadAlert("path", f"source {source_id} speaks the PagerDuty Events API: send to /v2/enqueue")
        refuse_unstorable(body)
        return self._store(source.id, source.format, _parser(source.format)(body))

    def enqueue(self, body: Any) -> Accepted:
        """A PagerDuty Events API v2 event to ``/v2/enqueue``; the routing_key is the token."""
        routing_key = body.get("routing_key") if isinstance(body, dict) else None
        if not isinstance(routing_key, str) or not routing_key:
            raise Unauthorized("routing_key is missing")
        source = self._creds().by_token(routing_key, ("pagerduty",))
        refuse_unstorable(body)
        return self._store(source.id, source.format, _parser("pagerduty")(body))

    def heartbeat(self, hb_id: str, token: str | None) -> bool:
        """A beat of monitor ``hb_id``; True if it ended a missed period."""
        from bot.alerts.heartbeats import beat

        ended = beat(self.store, self._creds().heartbeat(hb_id, token), self.clock.now())
        if ended and self.accepted is not None:
            self.accepted.set()
        return ended

    def _store(self, source: str, fmt: str, events: list) -> Accepted:
        # One Core row, committed before the answer, in one transaction with the rows of the requests waiting
        # at the same time (group commit; the ORM's unit of work would double the cost per alert).
        row = new_receipt(source, fmt, ensure_utc(self.clock.now()), events)
        return Accepted(self._receipts.store(row), source, tuple(e.key for e in events))
