"""Where triage runs: in `serve` (one process), or in the `scheduler` worker when web processes run
`serve --no-scheduler` and only accept."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.alerts.tables import AlertReceipt
from bot.alerts.worker import worker_process_triage
from bot.alerts_http.runtime import AlertIntake
from tests.alerts.conftest import TOKENS, fixture


def _states(store):
    with store.session() as s:
        return [r.state for r in s.exec(select(AlertReceipt).order_by(AlertReceipt.id)).all()]


def _until_triaged(store, count, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _states(store) != ["triaged"] * count:
        time.sleep(0.05)
    return _states(store)


def test_web_process_without_scheduler_only_accepts_and_the_worker_triages(store, night_clock, alerts_config,
                                                                          incidents):
    intake = AlertIntake(store, lambda: alerts_config, night_clock, incidents, environ=TOKENS, poll_seconds=0.05,
                         triage=False)
    intake.start()
    try:
        intake.inbox.webhook("prometheus", TOKENS["T_AM"], fixture("alertmanager_firing.json"))
        intake.inbox.webhook("prometheus", TOKENS["T_AM"], fixture("alertmanager_firing.json"))
        time.sleep(0.5)  # ten of its poll intervals: a triage thread here would have run
        assert _states(store) == ["accepted", "accepted"]
    finally:
        intake.stop()
    worker = worker_process_triage(store, lambda: alerts_config, night_clock, incidents, poll_seconds=0.05)
    worker.start()
    try:
        assert _until_triaged(store, 2) == ["triaged", "triaged"]
        intake.inbox.webhook("prometheus", TOKENS["T_AM"], fixture("alertmanager_resolved.json"))
        assert _until_triaged(store, 3) == ["triaged"] * 3, "it polls for receipts stored after it started"
    finally:
        worker.stop()
