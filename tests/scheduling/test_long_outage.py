"""What "exactly once, after an outage too" covers: an outage up to the attempt limit (about 18 minutes), not an hour.
Slack answers 503 to everything from the moment an incident is declared: the channel fails for good once its eighth
attempt fails, on the timeline, and is not created when Slack comes back (README, docs/scheduling.md)."""

from __future__ import annotations

from datetime import timedelta

from bot.audit.trail import events
from bot.ports import ChatError
from tests.scheduling.test_outbox import _declare, _rows, config, world  # noqa: F401  (fixtures)


def _run(clock, dispatcher, minutes):
    for _ in range(minutes * 2):
        dispatcher.run_due()
        clock.advance(seconds=30)


def test_an_hour_of_outage_fails_the_channel_for_good(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    key, start = f"incident:{result.incident.id}:channel", clock.now()
    chat.fail_next = [ChatError("Slack is down", code="http_503", transient=True) for _ in range(100_000)]
    _run(clock, dispatcher, 17)
    assert _rows(store)[key].state == "pending"  # still ridden out
    _run(clock, dispatcher, 43)
    assert _rows(store)[key].state == "failed"
    chat.fail_next = []  # Slack is back
    _run(clock, dispatcher, 20)
    assert not chat.channels and _rows(store)[key].state == "failed"
    with store.session() as s:
        failed = [e for e in events(s, result.incident.id) if e.kind == "side_effect.failed" and e.data["key"] == key]
    assert len(failed) == 1 and start + timedelta(minutes=17) < failed[0].at < start + timedelta(minutes=21)
