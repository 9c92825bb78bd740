"""Several triage workers at once (threads here, processes in a scale-out deployment) on one database:
grouping stays exact, receipts keep their order, every alert gets exactly one disposition."""

from __future__ import annotations

import threading
from collections import Counter

from sqlmodel import select

from bot.alerts.tables import AlertGroup, AlertReceipt
from bot.alerts.triage import Triage
from bot.audit.tables import TimelineEvent
from bot.audit.trail import verify_chain
from bot.incidents.tables import Incident
from bot.oncall.tables import Page
from tests.alerts.conftest import TOKENS, fixture

KEYS, REPEATS, WORKERS = 6, 8, 3


def _all(store, model):
    with store.session() as s:
        return list(s.exec(select(model)).all())


def test_several_workers_group_exactly_and_keep_the_receipts_order(inbox, store, night_clock, alerts_config,
                                                                    incidents):
    # Keys interleaved, so that every batch holds repeats of groups still being opened by another worker.
    for n in range(REPEATS):
        for k in range(KEYS):
            inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture(
                "generic_firing.json", dedup_key=f"key-{k}", title=f"service {k} down",
                labels={"severity": "critical", "service": f"svc-{k}"}))
    for k in (0, 1):  # the source says it is over, after every repeat: resolves the group, it does not flap
        inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture(
            "generic_firing.json", dedup_key=f"key-{k}", status="resolved", labels={"severity": "critical"}))

    start, failures = threading.Barrier(WORKERS), []

    def work() -> None:
        # intake_busy: each worker pauses after each of its transactions, so that the others get their turns
        triage = Triage(store, lambda: alerts_config, night_clock, incidents, intake_busy=lambda: True)
        start.wait()
        try:
            for _ in range(200):
                if not triage.run_pending(batch=3):
                    with store.session() as s:
                        if not s.exec(select(AlertReceipt).where(AlertReceipt.state == "accepted")).first():
                            return
        except Exception as exc:  # reported below: a worker failing is a failed test, not a lost thread
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures

    receipts = _all(store, AlertReceipt)
    assert len(receipts) == KEYS * REPEATS + 2 and all(r.state == "triaged" for r in receipts)
    groups = _all(store, AlertGroup)
    assert sorted(g.key for g in groups) == sorted(f"key-{k}" for k in range(KEYS)), "one group per key"
    assert all(g.alerts == REPEATS for g in groups), [(g.key, g.alerts) for g in groups]
    assert {g.key: (g.status, g.flaps) for g in groups if g.key in ("key-0", "key-1")} == {
        "key-0": ("resolved", 0), "key-1": ("resolved", 0)}, "each resolve came after its group's repeats"
    incidents_ = _all(store, Incident)
    assert len(incidents_) == KEYS and {g.incident_id for g in groups} == {i.id for i in incidents_}
    pages = _all(store, Page)
    assert pages and not [k for k, n in Counter((p.incident_id, p.person_id, p.level) for p in pages).items()
                          if n > 1], "nobody paged twice"
    dispositions = [e for e in _all(store, TimelineEvent) if e.kind.startswith("alert.")]
    assert Counter(e.data["receipt"] for e in dispositions) == {r.id: 1 for r in receipts}
    assert Counter(e.kind for e in dispositions) == {"alert.incident": KEYS, "alert.grouped": KEYS * (REPEATS - 1),
                                                     "alert.resolved": 2}
    with store.session() as s:
        for incident in incidents_:
            assert verify_chain(s, incident.id).ok
