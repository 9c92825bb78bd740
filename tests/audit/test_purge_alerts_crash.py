"""A purge that stops between deleting alert receipts and recording it on the chain loses no record: run again,
it writes exactly one ``audit.purged`` event with the right count. On SQLite the receipts are in the inbox file,
so the record waits in the inbox's journal (written with the deletion); on PostgreSQL the deletion and its event
are one transaction, so a failure before the event leaves the receipts in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.alerts.intake_health import intake_problems
from bot.alerts.receipts import Receipts
from bot.alerts.tables import AlertReceipt
from bot.audit.tables import TimelineEvent
from bot.audit.trail import verify_chain
from bot.purge.alert_intake import forget_receipts
from tests.alerts.conftest import TOKENS
from tests.alerts.test_page_routes import TUESDAY, World
from tests.alerts.test_page_routes import page_config  # noqa: F401  (fixture)


class Stopped(Exception):
    """The process dies here (injected)."""


def _three_triaged_receipts(world) -> None:
    for key in ("disk-1", "disk-2", "disk-3"):
        world.inbox.webhook("scripts", TOKENS["T_GENERIC"], {"title": f"Disk full on {key}", "status": "firing",
                                                             "dedup_key": key, "labels": {"severity": "warning"}})
    world.triage.run_pending()
    world.clock.advance(timedelta(days=31))


def _receipts(store) -> int:
    with Receipts.of(store).engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AlertReceipt.__table__)).scalar_one())


def _receipt_events(store) -> list[TimelineEvent]:
    with store.session() as s:
        return [e for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "audit.purged")).scalars()
                if "alert_receipts" in e.data]


def _purge(world, store) -> int:
    now = world.clock.now()
    return forget_receipts(store, cutoff=now - timedelta(days=30), now=now, retention_days=30)


def _fail_once(monkeypatch, target: str, real) -> None:
    def stop(*args, **kwargs):
        monkeypatch.setattr(target, real)
        raise Stopped

    monkeypatch.setattr(target, stop)


def test_stopped_before_the_event_the_next_purge_writes_it_once(store, page_config, monkeypatch,  # noqa: F811
                                                                 database_url):
    world = World(store, page_config, TUESDAY)
    _three_triaged_receipts(world)
    from bot.purge import alert_intake

    _fail_once(monkeypatch, "bot.purge.alert_intake.append_event", alert_intake.append_event)
    with pytest.raises(Stopped):
        _purge(world, store)
    assert _receipt_events(store) == []
    if store.dialect == "postgresql":
        assert _receipts(store) == 3, "PostgreSQL: the deletion and its event are one transaction"
    else:  # the chain lacks the deletion until a purge runs again: check says so, and what to do
        [problem] = intake_problems(world.clock.now(), database_url=database_url)
        assert "1 deletion(s) of alert receipts by a purge that stopped before it recorded them" in problem
        assert "run `incident-bot purge` again" in problem
    world.clock.advance(timedelta(hours=1))
    _purge(world, store)
    assert intake_problems(world.clock.now(), database_url=database_url) == []
    _purge(world, store)  # and once more: nothing left to delete or record
    [event] = _receipt_events(store)
    assert event.data["alert_receipts"] == 3 and _receipts(store) == 0
    if store.dialect == "sqlite":  # recorded by the next purge, which says so and when they went
        assert event.data["deleted_at"] == (world.clock.now() - timedelta(hours=1)).isoformat()
        assert "stopped before it recorded this" in event.summary
    assert Receipts.of(store).purge_journal() == []
    with store.session() as s:
        assert verify_chain(s, None).ok


def test_stopped_after_the_event_the_next_purge_does_not_write_it_again(store, page_config,  # noqa: F811
                                                                         monkeypatch):
    world = World(store, page_config, TUESDAY)
    _three_triaged_receipts(world)
    # SQLite: the event is on the chain, its journal record not yet removed (PostgreSQL keeps no journal).
    _fail_once(monkeypatch, "bot.alerts.receipts.Receipts.forget_journal_entry", Receipts.forget_journal_entry)
    if store.dialect == "sqlite":
        with pytest.raises(Stopped):
            _purge(world, store)
        assert len(Receipts.of(store).purge_journal()) == 1
    else:
        _purge(world, store)
    _purge(world, store)
    [event] = _receipt_events(store)
    assert event.data["alert_receipts"] == 3 and "deleted_at" not in event.data
    assert _receipts(store) == 0 and Receipts.of(store).purge_journal() == []
