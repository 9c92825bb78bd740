"""An outage longer than the attempts a page gets: Slack answers 503 to everything for an hour from the moment an
incident is declared. What nothing else can do (the channel, its posts, the feed's post) rides it out and is done
once, in order, when Slack is back; a page, which has a fallback (the next level), still fails over after its
attempts; and what is still failing a day after it was due fails for good, on the timeline."""

from __future__ import annotations

from datetime import timedelta

from bot.audit.trail import events
from bot.ports import ChatError
from bot.scheduling import recording
from tests.scheduling.test_outbox import _declare, _rows, config, world  # noqa: F401  (fixtures)


def _run(clock, dispatcher, minutes):
    for _ in range(minutes * 2):
        dispatcher.run_due()
        clock.advance(seconds=30)


def _outage(chat):
    chat.fail_next = [ChatError("Slack is down", code="http_503", transient=True) for _ in range(100_000)]


def test_an_hour_of_outage_is_ridden_out_and_everything_is_done_once_when_slack_is_back(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    n = result.incident.id
    key = f"incident:{n}:channel"
    _outage(chat)
    _run(clock, dispatcher, 60)
    rows = _rows(store)
    # Eight attempts (about 18 minutes) are long past: the channel is still to be done, not failed.
    assert rows[key].state == "pending" and rows[key].attempts > recording.MAX_ATTEMPTS
    chat.fail_next = []  # Slack is back: the back-off is at most 5 minutes
    _run(clock, dispatcher, 10)
    rows = _rows(store)
    assert len(chat.channels) == 1 and rows[key].state == "sent"
    lane = [r for r in rows.values() if r.lane == f"incident:{n}"]
    assert lane and all(r.state == "sent" for r in lane)  # invite, topic, welcome posts, pin, bookmark
    sent_keys = [s.key for s in chat.sent]
    assert len(sent_keys) == len(set(sent_keys))  # each once
    with store.session() as s:
        kinds = [e.kind for e in events(s, n)]
    assert "side_effect.failed" not in kinds


def test_a_page_still_fails_over_after_its_attempts(store, world):
    clock, chat, service, dispatcher = world
    _declare(service)
    _outage(chat)
    _run(clock, dispatcher, 25)
    pages = [r for r in _rows(store).values() if r.kind == "page"]
    # A page has a fallback (the next level is paged at once), so it does not wait: failed after 8 attempts.
    assert pages and any(r.state == "failed" and r.attempts == recording.MAX_ATTEMPTS for r in pages)


def test_what_still_fails_a_day_after_it_was_due_fails_for_good(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    key = f"incident:{result.incident.id}:channel"
    _outage(chat)
    _run(clock, dispatcher, 20)
    assert _rows(store)[key].state == "pending"
    clock.advance(hours=24)  # the day is over: the next attempt is the last
    _run(clock, dispatcher, 6)
    assert _rows(store)[key].state == "failed"
    with store.session() as s:
        failed = [e for e in events(s, result.incident.id) if e.kind == "side_effect.failed" and e.data["key"] == key]
    assert len(failed) == 1
