"""Two people recording the same legal duty at the same moment: the second sees what the first recorded.

A request reads the obligation it names, then waits for the incident's lock; on PostgreSQL another request can
record that obligation in between. Acting on the copy read before the lock would record a duty already notified
a second time (two ``obligation.notified`` events, the first reference gone from the table) or mark it not
required on top of the notification. On SQLite the second request waits for the first from its start.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.audit.evidence import verify_incident
from bot.clock import ManualClock
from bot.incidents import addressing
from bot.incidents.errors import Conflict
from tests.incidents.test_segregation import CAMILLE, DECLARED, NADIA, declare_gdpr_breach

GDPR = "gdpr.authority"


@pytest.fixture
def clock():
    return ManualClock(DECLARED)


@pytest.fixture
def svc(store, clock, shipped_config):
    service = declare_gdpr_breach(store, clock, shipped_config)
    clock.advance(timedelta(hours=2))
    return service


def _while_waiting_for_the_lock(monkeypatch, store, other):
    """Run ``other`` (in its own thread and session) after the request has read the obligation and before it
    takes the incident's lock; wait for it to finish (on SQLite it cannot until this request commits)."""
    real, fired = addressing.load_by_id, []
    wait = 20.0 if store.engine.dialect.name == "postgresql" else 1.0

    def late_lock(session, incident_id, **kw):
        if not fired:
            fired.append(True)
            outcome: list = []
            thread = threading.Thread(target=lambda: outcome.append(_attempt(other)))
            thread.start()
            thread.join(timeout=wait)
            fired.append((thread, outcome))
        return real(session, incident_id, **kw)

    monkeypatch.setattr(addressing, "load_by_id", late_lock)
    return fired


def _attempt(call):
    try:
        return call()
    except Conflict as exc:
        return exc


def _notified_events(svc):
    return [e for e in svc.timeline(1) if e.kind == "obligation.notified"]


def _row_id(svc):
    return next(o.id for o in svc.obligations(1) if o.obligation == GDPR)


def _finish(fired):
    thread, outcome = fired[1]
    thread.join(timeout=30)
    return outcome[0]


def test_a_duty_notified_meanwhile_is_not_recorded_a_second_time(svc, store, clock, monkeypatch):
    row = _row_id(svc)
    at = clock.now() - timedelta(minutes=1)
    fired = _while_waiting_for_the_lock(monkeypatch, store, lambda: svc.mark_notified(
        row, actor=CAMILLE, key="n-camille", reference="DPA-111", submitted_at=at))
    first = _attempt(lambda: svc.mark_notified(row, actor=NADIA, key="n-nadia", reference="DPA-222", submitted_at=at))
    second = _finish(fired)
    events = _notified_events(svc)
    assert [e.data["reference"] for e in events] in (["DPA-111"], ["DPA-222"])  # recorded once
    assert events[0].data["before"]["status"] == "open"
    assert sum(isinstance(r, Conflict) for r in (first, second)) == 1  # the other is told it is notified already
    shown = next(o for o in svc.obligations(1) if o.obligation == GDPR)
    assert shown.status == "notified" and events[0].data["reference"] == shown.reference
    with store.session() as s:
        assert verify_incident(s, 1).problems == []


def test_a_duty_notified_meanwhile_is_not_marked_not_required_over_it(svc, store, clock, monkeypatch):
    row = _row_id(svc)
    at = clock.now() - timedelta(minutes=1)
    fired = _while_waiting_for_the_lock(monkeypatch, store, lambda: svc.mark_notified(
        row, actor=CAMILLE, key="n-camille", reference="DPA-111", submitted_at=at))
    first = _attempt(lambda: svc.mark_not_required(row, "keys were hashed", actor=NADIA, key="nr-nadia"))
    second = _finish(fired)
    shown = next(o for o in svc.obligations(1) if o.obligation == GDPR)
    kinds = [e.kind for e in svc.timeline(1) if e.kind in ("obligation.notified", "obligation.not_required")]
    assert len(kinds) == 1, kinds  # not a notification and then "not required" over it
    assert sum(isinstance(r, Conflict) for r in (first, second)) == 1
    assert shown.status == {"obligation.notified": "notified",
                                                "obligation.not_required": "not_required"}[kinds[0]]
    with store.session() as s:
        assert verify_incident(s, 1).problems == []
