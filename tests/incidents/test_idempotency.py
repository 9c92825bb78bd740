"""A replayed key returns the first result and changes nothing, also under concurrent replays."""

from __future__ import annotations

import threading

import pytest

from bot.incidents.errors import KeyReused
from tests.incidents.conftest import ALICE, REPORTER


def test_replayed_declare_returns_first_result_and_declares_once(service, clock):
    first = service.declare("major", "Checkout is down", actor=REPORTER, key="slack:trigger:1")
    clock.advance(minutes=1)
    again = service.declare("major", "Checkout is down", actor=REPORTER, key="slack:trigger:1")
    assert again.replayed and not first.replayed
    assert again.incident == first.incident and again.channel == first.channel
    assert again.announcements == first.announcements
    assert [i.number for i in service.open_incidents()] == [1]


def test_replays_of_other_operations_change_nothing(service, keys):
    service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    calls = [
        lambda: service.assign_role(1, "scribe", ALICE, actor=REPORTER, key="op-1"),
        lambda: service.post_status(1, "investigating", actor=REPORTER, key="op-2"),
        lambda: service.add_note(1, "note", actor=REPORTER, key="op-3"),
        lambda: service.change_severity(1, "minor", actor=REPORTER, key="op-4"),
        lambda: service.resolve(1, actor=REPORTER, key="op-5"),
        lambda: service.close(1, "summary", actor=REPORTER, key="op-6"),
    ]
    for call in calls:
        first = call()
        events = len(service.timeline(1))
        again = call()
        assert again.replayed and again.incident == first.incident and again.posts == first.posts
        assert len(service.timeline(1)) == events


def test_same_key_for_another_operation_is_refused(service, keys):
    service.declare("major", "x", actor=REPORTER, key="k")
    with pytest.raises(KeyReused, match='"k" was already used for declare'):
        service.add_note(1, "note", actor=REPORTER, key="k")


def test_concurrent_replays_declare_once(service):
    results, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            results.append(service.declare("major", "Checkout is down", actor=REPORTER, key="double-click"))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {r.incident.number for r in results} == {1}
    assert sum(not r.replayed for r in results) == 1
    assert [i.number for i in service.open_incidents()] == [1]


def test_concurrent_different_declares_get_distinct_numbers(service):
    results = []
    barrier = threading.Barrier(3)

    def run(i):
        barrier.wait()
        results.append(service.declare("minor", f"incident {i}", actor=REPORTER, key=f"k{i}"))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.incident.number for r in results) == [1, 2, 3]
