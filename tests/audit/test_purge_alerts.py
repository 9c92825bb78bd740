"""The retention purge clears the alerts' own words: the triaged receipts go, resolved groups and groups
never resolved but not alerted since the cutoff lose summary, labels and link, and with the global chain's
redaction the name is nowhere left (on SQLite not even in the bytes of the main file or of the inbox file),
while the chain still verifies. Receipts triage has not finished are kept, and the purge says so."""

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
    # Never resolved (its source never sends "resolved"), last alerted 31 days before the purge: its words go too.
    [disk] = _send(world, "disk-7", "Disk 90% on build-7", "firing")
    assert _receipts(store) == 3
    world.clock.advance(timedelta(days=31))
    with store.session() as s:
        report = purge(s, retention_days=30, now=world.clock.now())
    # Received 31 days ago, triaged: all three receipts go (what triage made of them is on the chain).
    assert forget_receipts(store, cutoff=report.cutoff, now=world.clock.now(), retention_days=30, dry_run=True) == 3
    assert _receipts(store) == 3  # a dry run deletes nothing
    assert forget_receipts(store, cutoff=report.cutoff, now=world.clock.now(), retention_days=30, dry_run=False) == 3
    assert _receipts(store) == 0
    assert report.alert_groups == sorted([fired.group, disk.group])
    with store.session() as s:
        groups = {g.id: g for g in s.exec(select(AlertGroup)).scalars()}
        kept = groups[fired.group]
        assert (kept.summary, kept.labels, kept.link) == (REDACTED, None, None)
        # counts and who resolved it stay ("alerts" counts the firing events grouped: one here; the resolve is not one)
        assert (kept.status, kept.alerts, kept.resolved_by) == ("resolved", 1, "source:scripts")
        left_open = groups[disk.group]
        assert (left_open.summary, left_open.labels, left_open.link) == (REDACTED, None, None)
        assert (left_open.status, left_open.alerts, left_open.open_key) == ("open", 1, "disk-7")  # still open, counted
        assert verify_chain(s, None).ok
        # Both steps are on the chain: which groups lost their words, how many receipts went.
        purged = [e.data for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "audit.purged")).scalars()]
        assert {"alert_groups": [fired.group]}.items() <= next(d for d in purged if "alert_groups" in d).items()
        assert {"unresolved_alert_groups": [disk.group], "last_alert_before": report.cutoff.isoformat()}.items() \
            <= next(d for d in purged if "unresolved_alert_groups" in d).items()
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


def test_a_group_alerted_since_the_cutoff_keeps_its_words(store, page_config):  # noqa: F811
    world = World(store, page_config, TUESDAY)
    [first] = _send(world, "disk-7", "Disk 90% on build-7", "firing")
    world.clock.advance(timedelta(days=20))
    _send(world, "disk-7", "Disk 90% on build-7", "firing")  # grouped: its last alert is 11 days before the purge
    world.clock.advance(timedelta(days=11))
    with store.session() as s:
        report = purge(s, retention_days=30, now=world.clock.now())
    assert report.alert_groups == []
    with store.session() as s:
        group = s.get(AlertGroup, first.group)
        assert (group.summary, group.status, group.alerts) == ("Disk 90% on build-7", "open", 2)
        assert not [e for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "audit.purged")).scalars()
                    if "unresolved_alert_groups" in e.data]


def test_receipts_waiting_for_triage_are_kept_and_the_chain_says_so(store, page_config):  # noqa: F811
    world = World(store, page_config, TUESDAY)
    world.inbox.webhook("scripts", TOKENS["T_GENERIC"], {"title": f"Laptop of {NAME} offline", "status": "firing",
                                                         "dedup_key": "laptop-rq", "labels": {"severity": "warning"}})
    received = world.clock.now()
    world.clock.advance(timedelta(days=31))  # triage never ran (stuck): the receipt is 31 days old
    with store.session() as s:
        report = purge(s, retention_days=30, now=world.clock.now())
    assert forget_receipts(store, cutoff=report.cutoff, now=world.clock.now(), retention_days=30) == 0
    assert _receipts(store) == 1, "an alert triage has not decided about is never deleted"
    with store.session() as s:
        [event] = [e for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "audit.purged")).scalars()
                   if "alert_receipts" in e.data]
        assert (event.data["alert_receipts"], event.data["waiting_alert_receipts_kept"]) == (0, 1)
        assert event.data["oldest_waiting"] == received.isoformat()
        assert "not triaged yet kept" in event.summary
    [triaged] = world.triage.run_pending()  # triage runs again: the alert is decided, then purged
    assert triaged.kind == "paged"
    assert forget_receipts(store, cutoff=report.cutoff, now=world.clock.now(), retention_days=30) == 1
    assert _receipts(store) == 0


def test_purge_command_says_which_receipts_it_kept(store, page_config, tmp_path, database_url, monkeypatch,
                                                   capsys):  # noqa: F811
    from bot.cli import main
    from tests.alerts.conftest import write_alerts_config

    paths = write_alerts_config(tmp_path / "cfg", PAGE_ALERTS)
    world = World(store, page_config, TUESDAY)
    world.inbox.webhook("scripts", TOKENS["T_GENERIC"], {"title": "Disk 90%", "status": "firing", "dedup_key": "d"})

    class Later:  # past the shipped settings' 365 days of retention
        def now(self):
            return TUESDAY + timedelta(days=400)

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("bot.cli.commands.purge.SystemClock", Later)
    args = ["--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir)]
    assert main(["purge", "--dry-run", *args]) == 0
    assert "would keep 1 alert receipt(s) received before the cutoff that triage has not finished" in \
        capsys.readouterr().out
    assert main(["purge", *args]) == 0
    out = capsys.readouterr().out
    assert f"kept 1 alert receipt(s) received before the cutoff that triage has not finished (the oldest " \
           f"{TUESDAY.isoformat()})" in out and "incident-bot check" in out
    assert _receipts(store) == 1
