"""The retention purge clears the alerts' own words: the triaged receipts go, resolved groups lose summary,
labels and link, and with the global chain's redaction the name is nowhere left (on SQLite not even in the
bytes of the main file or of the inbox file), while the chain still verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.alerts.receipts import Receipts
from bot.alerts.tables import AlertGroup, AlertReceipt
from bot.audit.tables import TimelineEvent
from bot.audit.trail import REDACTED, verify_chain
from bot.purge.alert_intake import forget_receipts
from bot.purge.retention import purge
from tests.alerts.conftest import TOKENS
from tests.alerts.test_page_routes import PAGE_ALERTS, TUESDAY, World  # noqa: F401  (page_config below)
from tests.alerts.test_page_routes import page_config  # noqa: F401  (fixture)

NAME = "Rosalind Quixley"  # personal text an alert may carry: in its title, a label and its link


def _send(world, key, title, status, **labels):
    world.inbox.webhook("scripts", TOKENS["T_GENERIC"], {
        "title": title, "status": status, "dedup_key": key, "link": f"https://crm.example.org/{key}",
        "labels": {"severity": "warning", **labels}})
    return world.triage.run_pending()


def _receipts(store) -> int:
    engine = Receipts.of(store).engine
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AlertReceipt.__table__)).scalar_one())


def test_purge_clears_the_alerts_words_and_keeps_what_was_decided(store, page_config):  # noqa: F811
    world = World(store, page_config, TUESDAY)
    # The warning route pages platform with low urgency (test_page_routes.py); this one ends the same day.
    [fired] = _send(world, "laptop-rq", f"Laptop of {NAME} offline", "firing", owner=NAME)
    world.clock.advance(timedelta(hours=1))
    _send(world, "laptop-rq", f"Laptop of {NAME} offline", "resolved", owner=NAME)
    _send(world, "disk-7", "Disk 90% on build-7", "firing")  # still firing at the purge: its group keeps its words
    assert _receipts(store) == 3
    world.clock.advance(timedelta(days=31))
    with store.session() as s:
        report = purge(s, retention_days=30, now=world.clock.now())
    # Received 31 days ago, triaged: all three receipts go (what triage made of them is on the chain).
    assert forget_receipts(store, cutoff=report.cutoff, now=world.clock.now(), retention_days=30, dry_run=True) == 3
    assert _receipts(store) == 3  # a dry run deletes nothing
    assert forget_receipts(store, cutoff=report.cutoff, now=world.clock.now(), retention_days=30, dry_run=False) == 3
    assert _receipts(store) == 0
    assert report.alert_groups == [fired.group]
    with store.session() as s:
        groups = {g.id: g for g in s.exec(select(AlertGroup)).scalars()}
        kept = groups[fired.group]
        assert (kept.summary, kept.labels, kept.link) == (REDACTED, None, None)
        # counts and who resolved it stay ("alerts" counts the firing events grouped: one here; the resolve is not one)
        assert (kept.status, kept.alerts, kept.resolved_by) == ("resolved", 1, "source:scripts")
        assert [g.summary for g in groups.values() if g.id != fired.group] == ["Disk 90% on build-7"]
        assert verify_chain(s, None).ok
        # Both steps are on the chain: which groups lost their words, how many receipts went.
        purged = [e.data for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "audit.purged")).scalars()]
        assert {"alert_groups": [fired.group]}.items() <= next(d for d in purged if "alert_groups" in d).items()
        assert next(d for d in purged if "alert_receipts" in d)["alert_receipts"] == 3
    store.reclaim()
    Receipts.of(store).reclaim()
    if store.dialect == "sqlite":
        main = Path(store.engine.url.database)
        for path in (main, main.with_name(main.stem + ".alert-inbox" + main.suffix)):
            data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
            assert path.exists() and NAME.encode() not in data, path
    with store.session() as s:
        texts = [str(row) for table in ("alert_group", "timeline_event")
                 for row in s.connection().exec_driver_sql(f"SELECT * FROM {table}")]
    assert texts and not [t for t in texts if NAME in t]
