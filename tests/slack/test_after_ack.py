"""The queue for work after an acknowledgement: in order, failures told to the person, drained on stop."""

from __future__ import annotations

import threading

from bot.slack.after_ack import AfterAck


def test_work_runs_in_the_order_requests_were_acknowledged():
    done: list[int] = []
    gate = threading.Event()
    queue = AfterAck(lambda *_: None)
    queue.run(lambda: (gate.wait(5), done.append(1)), {})  # the first is still running...
    for n in (2, 3, 4):
        queue.run(lambda n=n: done.append(n), {})  # ...while the next ones are queued behind it
    gate.set()
    queue.shutdown()
    assert done == [1, 2, 3, 4]


def test_a_failure_is_told_with_the_request_it_belongs_to_and_the_queue_goes_on():
    told: list[tuple[str, dict]] = []
    done: list[str] = []
    queue = AfterAck(lambda error, body: told.append((str(error), body)))

    def broken() -> None:
        raise ValueError("INC-9 does not exist")

    queue.run(broken, {"user_id": "U1", "response_url": "https://example/1"})
    queue.run(lambda: done.append("next"), {"user_id": "U2"})
    queue.shutdown()
    assert told == [("INC-9 does not exist", {"user_id": "U1", "response_url": "https://example/1"})]
    assert done == ["next"]


def test_a_failing_report_does_not_stop_the_queue():
    done: list[str] = []

    def report(*_):
        raise RuntimeError("Slack unreachable")

    queue = AfterAck(report)
    queue.run(lambda: 1 / 0, {})
    queue.run(lambda: done.append("after"), {})
    queue.shutdown()
    assert done == ["after"]


def test_stopping_finishes_what_was_acknowledged():
    done: list[int] = []
    gate = threading.Event()
    queue = AfterAck(lambda *_: None)
    queue.run(lambda: gate.wait(5), {})
    for n in range(20):
        queue.run(lambda n=n: done.append(n), {})
    threading.Timer(0.2, gate.set).start()
    queue.shutdown()  # returns only once everything queued ran
    assert done == list(range(20))


def test_the_declare_form_opens_at_once_even_behind_queued_work(world):
    """A trigger_id expires 3 s after the request: the form must not wait behind earlier commands' work."""
    from tests.slack.test_listeners import command

    _, services, double = world
    gate = threading.Event()
    services.queue = AfterAck(lambda *_: None)
    services.queue.run(lambda: gate.wait(10), {})  # an earlier command's work, still running
    try:
        assert command(world, "declare") == 200
        # The form opens on its own pool, while the earlier work still holds the queue.
        double.wait_for(lambda: double.calls("views.open"), timeout=5, what="the declare form behind queued work")
        assert command(world, "declare sev2 Queued behind") == 200
        assert not [c for c in double.model.channels.values() if c.name.endswith("queued-behind")]
    finally:
        gate.set()
        services.shutdown()
    # once the earlier work is done, the queued declaration is done too
    assert [c for c in double.model.channels.values() if c.name.endswith("queued-behind")]
