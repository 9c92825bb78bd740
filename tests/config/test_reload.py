"""A running bot keeps its last good configuration when an edit is invalid."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.config.reload import ConfigHolder


@pytest.fixture
def holder(tmp_path):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "settings.yaml").write_text("organisation: Before\n")
    paths = ConfigPaths(cfg, tmp_path / "playbooks")
    return ConfigHolder(paths, load_config(paths)), cfg / "settings.yaml"


def test_valid_edit_is_applied(holder):
    h, path = holder
    path.write_text("organisation: After\n")
    assert h.reload() is True
    assert h.current.settings.organisation == "After"


def test_invalid_edit_is_rejected_and_old_config_stays(holder, caplog):
    h, path = holder
    before = h.current
    path.write_text("organisation: After\nretention_days: never\n")
    assert h.reload() is False
    assert h.current is before
    assert h.current.settings.organisation == "Before"
    assert "edit rejected" in caplog.text and "retention_days" in caplog.text


def test_a_later_fix_is_picked_up(holder):
    h, path = holder
    path.write_text("organisation: [\n")
    assert h.reload() is False
    path.write_text("organisation: Fixed\n")
    assert h.reload() is True
    assert h.current.settings.organisation == "Fixed"


def test_file_watcher_reloads_only_on_change(holder):
    h, path = holder
    assert h.poll_once() is None  # nothing changed
    path.write_text("organisation: Watched\n")
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse file systems
    assert h.poll_once() is True
    assert h.current.settings.organisation == "Watched"


def test_sighup_triggers_reload(holder):
    h, path = holder
    previous = signal.getsignal(signal.SIGHUP)
    try:
        h.install_sighup()
        path.write_text("organisation: Hangup\n")
        os.kill(os.getpid(), signal.SIGHUP)  # the reload runs in a thread of its own, not in the handler
        deadline = time.monotonic() + 10
        while h.current.settings.organisation != "Hangup" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert h.current.settings.organisation == "Hangup"
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_listeners_hear_about_good_reloads_only(holder):
    h, path = holder
    seen = []
    h.on_change(lambda c: seen.append(c.settings.organisation))
    path.write_text("retention_days: 0\n")
    h.reload()
    path.write_text("organisation: Good\n")
    h.reload()
    assert seen == ["Good"]


def test_a_reload_that_fails_in_any_way_keeps_the_running_configuration(holder, monkeypatch, caplog):
    # Whatever goes wrong inside a reload (here a bug: a cross-file check raising), the bot keeps the
    # configuration it has and goes on; the failure is logged with its traceback.
    h, path = holder
    before = h.current

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in a cross-file check")

    monkeypatch.setattr("bot.config.reload.collect", broken)
    path.write_text("organisation: After\n")
    assert h.reload() is False
    assert h.current is before
    assert "configuration reload failed; the previous configuration stays in force" in caplog.text
    assert "a bug in a cross-file check" in caplog.text


def test_a_guard_can_refuse_a_valid_configuration(tmp_path):
    from bot.config.errors import ConfigIssue

    cfg = tmp_path / "config"
    cfg.mkdir()
    path = cfg / "settings.yaml"
    path.write_text("organisation: Before\n")
    paths = ConfigPaths(cfg, tmp_path / "playbooks")
    refusal = ConfigIssue("playbooks/sev2.yaml", 1, 1, "", 'playbook "sev2" cannot be removed: INC-1 (active) ...')
    h = ConfigHolder(paths, load_config(paths), guard=lambda new: [refusal] if new.settings.organisation == "No" else [])
    path.write_text("organisation: No\n")
    assert h.reload() is False and h.current.settings.organisation == "Before"
    assert h.last_issues == [refusal]
    path.write_text("organisation: Yes\n")
    assert h.reload() is True and h.current.settings.organisation == "Yes"
