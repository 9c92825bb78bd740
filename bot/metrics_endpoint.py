"""``GET /metrics``: the incident metrics and the bot's own health in Prometheus' text format.

The exposition format is the ``prometheus_client`` library's.  Each scrape reads the
database once through a custom collector (no counters are kept in memory, so every
process and every restart answers the same):

* ``incident_bot_incidents{severity}``, ``incident_bot_mtta_seconds{severity}``,
  ``incident_bot_mttr_seconds{severity}``, ``incident_bot_pages{person}``,
  ``incident_bot_pages_out_of_hours{person}``, ``incident_bot_exceptions_used``,
  ``incident_bot_deadlines{outcome}``, ``incident_bot_reviews{outcome}``,
  ``incident_bot_followups_overdue``: the figures of ``incident-bot metrics`` for the
  last ``METRICS_WINDOW_DAYS`` days (default 30), as gauges;
* ``incident_bot_outbox_backlog``: effects and reminders due now and not yet delivered;
* ``incident_bot_scheduler_lag_seconds``: how long the oldest of them has been waiting;
* ``incident_bot_last_slack_success_timestamp_seconds``: when the newest outbox row was
  delivered (a successful Slack call).

The endpoint carries no Slack signature.  When ``METRICS_TOKEN`` is set a scrape must
send ``Authorization: Bearer <token>`` (401 otherwise); unset, it is open: serve it only
on a network the scraper alone reaches.
"""

from __future__ import annotations

import hmac
import os
from datetime import timedelta
from typing import Any, Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlmodel import func, select

PATH = "/metrics"
Answer = tuple[int, list[tuple[str, str]], bytes]


def _gauge(name: str, doc: str, labels: list[str], values: list[tuple[list[str], float]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(label_values, value)
    return family


class _Collector:
    def __init__(self, store: Any, config: Callable[[], Any], clock: Any, window: timedelta) -> None:
        self.store, self.config, self.clock, self.window = store, config, clock, window

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from bot.learning.metrics import compute
        from bot.outbox.tables import OPEN_STATES, Reminder

        now = self.clock.now()
        with self.store.session() as s:
            m = compute(s, self.config(), now - self.window, now + timedelta(seconds=1), now)
            waiting = Reminder.state.in_(OPEN_STATES), Reminder.next_attempt_at <= now  # type: ignore[attr-defined]
            backlog = s.exec(select(func.count()).select_from(Reminder).where(*waiting)).one()
            oldest = s.exec(select(func.min(Reminder.next_attempt_at)).where(*waiting)).one()
            last_sent = s.exec(select(func.max(Reminder.sent_at))).one()
            unpublished, last_signed = _checkpoints(s)
        from bot.clock import ensure_utc

        sev = sorted(m.severities.items())
        yield _gauge("incident_bot_incidents", "incidents declared in the window", ["severity"],
                     [([k], f.incidents) for k, f in sev])
        yield _gauge("incident_bot_mtta_seconds", "mean time to acknowledge in the window", ["severity"],
                     [([k], f.mtta_seconds) for k, f in sev if f.mtta_seconds is not None])
        yield _gauge("incident_bot_mttr_seconds", "mean time to resolve in the window", ["severity"],
                     [([k], f.mttr_seconds) for k, f in sev if f.mttr_seconds is not None])
        yield _gauge("incident_bot_pages", "pages sent in the window", ["person"], [([p.person], p.pages) for p in m.pages])
        yield _gauge("incident_bot_pages_out_of_hours", "pages sent outside the person's working hours", ["person"],
                     [([p.person], p.out_of_hours) for p in m.pages])
        yield _gauge("incident_bot_exceptions_used", "labor-law exceptions used in the window", [],
                     [([], m.exceptions_used)])
        yield _gauge("incident_bot_deadlines", "legal duties of the window's incidents by outcome", ["outcome"],
                     [([k], n) for k, n in m.deadlines.items()])
        yield _gauge("incident_bot_reviews", "post-incident reviews of the window's incidents", ["outcome"],
                     [([k], n) for k, n in m.reviews.items()])
        yield _gauge("incident_bot_followups_overdue", "follow-up actions past their due day", [],
                     [([], m.followups_overdue)])
        yield _gauge("incident_bot_outbox_backlog", "effects and reminders due and not delivered yet", [],
                     [([], backlog)])
        lag = (now - ensure_utc(oldest)).total_seconds() if oldest is not None else 0.0
        yield _gauge("incident_bot_scheduler_lag_seconds", "how long the oldest due row has waited", [], [([], lag)])
        if last_sent is not None:
            yield _gauge("incident_bot_last_slack_success_timestamp_seconds",
                         "when the newest outbox row was delivered (Unix time)", [],
                         [([], ensure_utc(last_sent).timestamp())])
        # A checkpoint that could not be signed or appended to the anchor file is logged and told to the operations
        # channel once a day (bot.audit.checkpoints.checkpoint_quietly): these say so to whoever watches the metrics.
        yield _gauge("incident_bot_audit_checkpoints_unpublished",
                     "signed audit checkpoints not appended to the anchor file yet", [], [([], unpublished)])
        if last_signed is not None:
            yield _gauge("incident_bot_audit_last_checkpoint_timestamp_seconds",
                         "when the newest audit checkpoint was signed (Unix time)", [],
                         [([], ensure_utc(last_signed).timestamp())])


def _checkpoints(session: Any) -> tuple[int, Any]:
    """How many signed checkpoints wait for the anchor file, and when the newest was signed."""
    from bot.audit.tables import AuditCheckpoint

    unpublished = session.exec(select(func.count()).select_from(AuditCheckpoint)
                               .where(AuditCheckpoint.published_at.is_(None))).one()  # type: ignore[union-attr]
    return unpublished, session.exec(select(func.max(AuditCheckpoint.at))).one()


def _authorized(environ: dict[str, Any], token: str) -> bool:
    if not token:
        return True
    given = environ.get("HTTP_AUTHORIZATION", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_endpoint(store: Any, config: Callable[[], Any], clock: Any, *, token: str | None = None,
                     window_days: int | None = None) -> Callable[[dict[str, Any]], Answer]:
    """The ``/metrics`` handler for :func:`bot.slack.transport.wsgi_app` (token and window from the environment)."""
    token = os.environ.get("METRICS_TOKEN", "") if token is None else token
    days = window_days if window_days is not None else int(os.environ.get("METRICS_WINDOW_DAYS") or 30)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(store, config, clock, timedelta(days=days)))  # type: ignore[arg-type]

    def handle(environ: dict[str, Any]) -> Answer:
        if not _authorized(environ, token):
            return 401, [("Content-Type", "text/plain; charset=utf-8"), ("WWW-Authenticate", "Bearer")], \
                b"send Authorization: Bearer <METRICS_TOKEN>\n"
        return 200, [("Content-Type", CONTENT_TYPE_LATEST)], generate_latest(registry)

    return handle
