"""A rejected configuration edit is told to the operators once per edit and put on the global chain.

The manager who edited a file must learn that it is not live; an auditor sees the attempted change beside the
accepted ones.  The watcher polls every few seconds and two processes (``serve`` and the ``scheduler``) reload
the same files: the same bad edit is still told once, decided in the database; the same bad content saved
again after a good edit was loaded is a new edit, told once again.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.audit import config_rejections
from bot.audit.tables import TimelineEvent
from bot.cli import main
from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, load_config
from bot.config.reload import ConfigHolder
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from tests.scheduling.fakes import FakeChat

GOOD = "organisation: Before\noperations_channel: bot-ops\n"


@pytest.fixture
def world(tmp_path, store):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "settings.yaml").write_text(GOOD)
    paths = ConfigPaths(cfg, tmp_path / "playbooks")
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    holders = []
    for _ in range(2):  # serve's and the scheduler's, reading the same files
        holder = ConfigHolder(paths, load_config(paths))
        holder.on_rejected(config_rejections.recorder(store, clock))
        holders.append(holder)
    return holders, cfg / "settings.yaml", clock


def _notices(store):
    with store.session() as s:
        return list(s.exec(select(Reminder).where(Reminder.key.startswith("operators:"))  # type: ignore[attr-defined]
                           .order_by(Reminder.id)).all())


def _rejections(store):
    with store.session() as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.chain == "global",
                                                       TimelineEvent.kind == "config.rejected")
                           .order_by(TimelineEvent.seq)).all())


def test_a_rejected_edit_is_told_once_per_content_across_processes(world, store, database_url, monkeypatch, capsys):
    (serve, scheduler), path, clock = world
    path.write_text(GOOD + "retention_days: never\n")
    assert serve.reload() is False
    notices, events = _notices(store), _rejections(store)
    assert len(notices) == 1 and len(events) == 1
    row = notices[0]
    assert (row.kind, row.incident_id, row.recipient, row.state) == ("post", None, "#bot-ops", "pending")
    notice = row.payload["notice"]
    assert notice["title"].startswith("Configuration edit rejected")
    text = "\n".join(notice["lines"])
    assert "retention_days" in text and "incident-bot check" in text and "last good configuration" in text
    data = events[0].data
    assert data["errors"] == 1 and "retention_days" in data["error"]
    assert list(data["files"]) == ["config/settings.yaml"] and len(data["files"]["config/settings.yaml"]) == 64
    assert data["hash"] in row.key
    assert "never" not in str(data["files"]) and "Before" not in str(data)  # no YAML content but the error's

    # the same bad content: polled again (a touched file), a SIGHUP-style reload, the second process
    clock.advance(seconds=2)
    os.utime(path, ns=(1, 1))
    assert serve.poll_once() is False
    assert serve.reload() is False and scheduler.reload() is False
    assert len(_notices(store)) == 1 and len(_rejections(store)) == 1

    # a different bad content is a second notice
    path.write_text(GOOD + "retention_days: 0\n")
    assert scheduler.reload() is False and serve.reload() is False
    assert len(_notices(store)) == 2 and len(_rejections(store)) == 2

    # the last good configuration stays in force, and the chain verifies
    assert serve.current.settings.organisation == "Before" and scheduler.current.settings.organisation == "Before"
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
    assert "global: ok" in capsys.readouterr().out


def test_the_notice_is_posted_in_the_operations_channel(world, store):
    (serve, _), path, clock = world
    path.write_text("organisation: [\n")
    assert serve.reload() is False
    chat = FakeChat()
    assert Dispatcher(store, lambda: serve.current, chat, clock).run_due() == {"sent": 1}
    assert [s.to for s in chat.sent] == [chat.channel_id("#bot-ops")]
    assert "YAML syntax error" in chat.sent[0].notice.as_text()


def test_a_database_failure_while_telling_keeps_the_process_and_the_configuration(world, monkeypatch, caplog):
    (serve, _), path, _clock = world
    monkeypatch.setattr(config_rejections, "record_rejection", lambda *a: (_ for _ in ()).throw(OSError("db down")))
    path.write_text(GOOD + "retention_days: never\n")
    assert serve.reload() is False
    assert serve.current.settings.organisation == "Before"
    assert "telling about the rejected configuration edit failed" in caplog.text


def test_operations_channel_defaults_to_the_incidents_channel_and_must_be_a_channel_name(tmp_path):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "settings.yaml").write_text("incidents_channel: feed\n")
    paths = ConfigPaths(cfg, tmp_path / "playbooks")
    holder = ConfigHolder(paths, load_config(paths))
    assert holder.current.settings.operators_channel == "feed"
    (cfg / "settings.yaml").write_text("operations_channel: '#Bot Ops'\n")
    assert holder.reload() is False
    assert any("operations_channel" in str(i) and "Slack channel name" in str(i) for i in holder.last_issues)


def test_the_same_bad_content_after_a_good_edit_is_a_new_rejection_told_once(world, store, database_url,
                                                                             monkeypatch, capsys):
    (serve, scheduler), path, clock = world
    bad = GOOD + "retention_days: never\n"
    path.write_text(bad)
    assert serve.reload() is False and scheduler.reload() is False
    assert len(_notices(store)) == 1 and len(_rejections(store)) == 1

    # fixed: both processes load the good edit; then the same bad content is saved again
    path.write_text("organisation: After\noperations_channel: bot-ops\n")
    assert serve.reload() is True and scheduler.reload() is True
    clock.advance(seconds=30)
    path.write_text(bad)
    assert scheduler.reload() is False and serve.reload() is False
    os.utime(path, ns=(1, 1))
    assert serve.poll_once() is False and scheduler.reload() is False
    notices, events = _notices(store), _rejections(store)
    assert len(notices) == 2 and len(events) == 2, "a new rejected edit: one more event and one more notice"
    assert events[0].data["hash"] == events[1].data["hash"]
    assert events[0].data["in_force"] != events[1].data["in_force"]
    assert notices[0].key != notices[1].key and all(events[0].data["hash"] in n.key for n in notices)
    assert serve.current.settings.organisation == "After" and scheduler.current.settings.organisation == "After"
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
    assert "global: ok" in capsys.readouterr().out


def test_a_reload_that_fails_is_told_once_and_tried_again_until_it_loads(tmp_path, store):
    # The guard reads the open incidents from the database; while it cannot, the edit is not applied. The
    # operators are told (once), and the next polls try again by themselves: nobody has to touch the file.
    cfg = tmp_path / "config"
    cfg.mkdir()
    path = cfg / "settings.yaml"
    path.write_text(GOOD)
    paths = ConfigPaths(cfg, tmp_path / "playbooks")
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    database = {"up": False}

    def guard(_new):
        if not database["up"]:
            raise ConnectionError("the database server closed the connection")
        return []

    holder = ConfigHolder(paths, load_config(paths), guard=guard)
    holder.on_rejected(config_rejections.recorder(store, clock))
    path.write_text("organisation: After\noperations_channel: bot-ops\n")
    assert holder.reload() is False and holder.current.settings.organisation == "Before"
    assert holder.poll_once() is False, "tried again at the next poll"
    notices, events = _notices(store), _rejections(store)
    assert len(notices) == 1 and len(events) == 1
    text = "\n".join(notices[0].payload["notice"]["lines"])
    assert "the reload failed (ConnectionError" in text and "tried again" in text
    assert "closed the connection" not in text, "what was raised is named, its text stays in the log"
    assert "in the configuration)" in events[0].summary
    database["up"] = True
    assert holder.poll_once() is True and holder.current.settings.organisation == "After"
    assert holder.poll_once() is None


def test_a_rejection_whose_telling_failed_is_told_at_the_next_poll(world, store, monkeypatch):
    (serve, _), path, _clock = world
    record = config_rejections.record_rejection
    down = {"now": True}

    def flaky(*args):
        if down["now"]:
            raise OSError("db down")
        return record(*args)

    monkeypatch.setattr(config_rejections, "record_rejection", flaky)
    path.write_text(GOOD + "retention_days: never\n")
    assert serve.reload() is False and _notices(store) == []
    down["now"] = False
    assert serve.poll_once() is False, "the same edit is read again, to be told"
    assert len(_notices(store)) == 1 and len(_rejections(store)) == 1
    assert serve.poll_once() is None, "told: nothing more until the files change"
