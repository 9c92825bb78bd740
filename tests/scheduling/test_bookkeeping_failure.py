"""Slack did it, then recording it failed: the row waits for the recovery instead of being marked sent with its
bookkeeping undone (an incident that never learns its channel), and after the limit a person is told."""

from __future__ import annotations

from bot.audit.trail import events
from bot.scheduling.recording import MAX_ATTEMPTS
from tests.scheduling.test_outbox import KATRIN, _rows, config, world  # noqa: F401  (fixtures)
from tests.store.database_errors import ADDRESS, contacts, insert_again  # noqa: F401  (fixture)


def _row(store, key: str):
    return _rows(store)[key]


def _break_channel_bookkeeping(dispatcher, monkeypatch, times: int) -> list[int]:
    kind = dispatcher.kinds["create_channel"]
    real, failures = kind.after_sent, [0]

    def after_sent(*args, **kwargs):
        if failures[0] < times:
            failures[0] += 1
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(kind, "after_sent", after_sent)
    return failures


def test_the_recovery_records_what_the_failed_bookkeeping_left(store, world, monkeypatch):
    clock, chat, service, dispatcher = world
    incident = service.declare("sev2", "Checkout is down", actor=KATRIN, key="declare-1").incident
    key = f"incident:{incident.id}:channel"
    _break_channel_bookkeeping(dispatcher, monkeypatch, times=1)
    dispatcher.run_due()
    row = _row(store, key)
    assert len(chat.channels) == 1  # Slack created it
    assert row.state == "sending" and "recording it failed" in (row.last_error or "")
    assert service.get(incident.id).channel_id is None  # not yet known: the posts waiting for it stay held
    clock.advance(minutes=5)
    assert dispatcher.recover()["resent"] == 1  # the effect is idempotent: the same channel is adopted
    assert len(chat.channels) == 1
    assert _row(store, key).state == "sent"
    assert service.get(incident.id).channel_id == next(iter(chat.channels))
    dispatcher.run_due()  # what waited for the channel goes out now
    assert _row(store, f"incident:{incident.id}:invite").state == "sent"


def test_after_the_limit_the_delivery_is_recorded_and_the_commander_told(store, world, monkeypatch):
    clock, chat, service, dispatcher = world
    incident = service.declare("sev2", "Checkout is down", actor=KATRIN, key="declare-1").incident
    key = f"incident:{incident.id}:channel"
    failed = _break_channel_bookkeeping(dispatcher, monkeypatch, times=10 * MAX_ATTEMPTS)
    dispatcher.run_due()
    for _ in range(MAX_ATTEMPTS):
        if _row(store, key).state != "sending":
            break
        clock.advance(minutes=5)
        dispatcher.recover()
    row = _row(store, key)
    # one attempt for the claim, then one per failed recording, until the limit
    assert row.state == "sent" and row.attempts == MAX_ATTEMPTS
    assert failed[0] == MAX_ATTEMPTS - 1
    assert len(chat.channels) == 1  # done once in Slack however often it was recorded
    with store.session() as s:
        told = [e for e in events(s, incident.id) if e.kind == "side_effect.failed"]
    assert told and "recording it failed" in told[-1].summary
    dispatcher.run_due()
    dm = [m for m in chat.sent if m.key == f"{key}:failed"]
    assert dm and dm[0].to == KATRIN and "recording it failed" in dm[0].notice.lines[0]
    # it was done: the commander is not told that Slack could not do it, but that the bot could not record it
    assert dm[0].notice.title == f"INC-{incident.number}: something done in Slack could not be recorded"
    assert dm[0].notice.lines[0].startswith("Slack did it (")


def test_a_database_error_in_the_bookkeeping_is_recorded_and_told_without_its_values(store, world, contacts,
                                                                                       monkeypatch, caplog):
    # the database refuses the bookkeeping with PostgreSQL's DETAIL quoting an address: the row's last error, the
    # log, the timeline and the commander's message say what failed (table, constraint), never the address
    clock, chat, service, dispatcher = world
    incident = service.declare("sev2", "Checkout is down", actor=KATRIN, key="declare-1").incident
    key = f"incident:{incident.id}:channel"
    monkeypatch.setattr(dispatcher.kinds["create_channel"], "after_sent", lambda s, *_: insert_again(s))
    dispatcher.run_due()
    recorded = [_row(store, key).last_error or ""]
    for _ in range(MAX_ATTEMPTS):
        if _row(store, key).state != "sending":
            break
        clock.advance(minutes=5)
        dispatcher.recover()
        recorded.append(_row(store, key).last_error or "")
    dispatcher.run_due()
    with store.session() as s:
        timeline = [e.summary for e in events(s, incident.id)]
    told = [line for m in chat.sent if m.key == f"{key}:failed" for line in m.notice.lines]
    assert told and "recording it failed" in recorded[0] and "INSERT INTO probe_contact" in recorded[0]
    assert ("SQLSTATE 23505" if store.dialect == "postgresql" else "SQLITE_CONSTRAINT_UNIQUE") in recorded[0]
    for text in [caplog.text, *recorded, *timeline, *told]:
        assert ADDRESS not in text
