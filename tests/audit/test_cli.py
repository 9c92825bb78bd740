"""`audit verify`, `export` and `purge` on the command line."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.incidents.service import IncidentService
from tests.incidents.conftest import REPORTER, load, write_config


@pytest.fixture
def two_incidents(store, clock, tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    paths = write_config(tmp_path / "cfg")
    config = load(paths)
    svc = IncidentService(store, lambda: config, clock)
    svc.declare("major", "Checkout is down", actor=REPORTER, key="d1")
    svc.add_note(1, "looking", actor=REPORTER, key="n1")
    svc.declare("minor", "Search slow", actor=REPORTER, key="d2")
    return svc, paths


def test_verify_all_prints_heads_and_exits_0(two_incidents, capsys):
    svc, _ = two_incidents
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"INC-1: ok, 4 events, head {svc.timeline(1)[-1].hash}" in out
    # The global chain holds one event: the configuration version both declarations were decided under.
    assert "INC-2: ok" in out and "global: ok, 1 events" in out


def test_verify_detects_edit_and_exits_1(two_incidents, store, capsys):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE timeline_event SET summary = 'nothing to see' WHERE chain = 'incident:1' AND seq = 4"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "INC-1: BROKEN" in out and "#4" in out and "edited" in out and "INC-2: ok" in out
    assert main(["audit", "verify", "2"]) == 0


def test_verify_unknown_incident(two_incidents, capsys):
    assert main(["audit", "verify", "9"]) == 2
    assert "no incident INC-9" in capsys.readouterr().out


def test_export_json_and_markdown(two_incidents, tmp_path, capsys):
    svc, _ = two_incidents
    assert main(["export", "1", "--format", "json"]) == 0
    pack = json.loads(capsys.readouterr().out)
    assert pack["incident"]["title"] == "Checkout is down"
    assert pack["audit"]["head_hash"] == svc.timeline(1)[-1].hash
    assert [e["kind"] for e in pack["timeline"]][:2] == ["incident.declared", "role.assigned"]
    target = tmp_path / "inc1.md"
    assert main(["export", "1", "--format", "md", "-o", str(target)]) == 0
    assert target.read_text().startswith("# Evidence pack: INC-1 Checkout is down")


def test_purge_dry_run_and_real(two_incidents, clock, capsys, monkeypatch):
    svc, paths = two_incidents
    svc.close(1, "done", actor=REPORTER, key="c1")
    args = ["--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir)]
    now = {"at": clock.now() + timedelta(days=1)}

    class FixedClock:
        def now(self):
            return now["at"]

    monkeypatch.setattr("bot.cli.commands.purge.SystemClock", FixedClock)
    assert main(["purge", "--dry-run", *args]) == 0  # closed one day ago; retention is 30 days
    assert "no incident to redact" in capsys.readouterr().out
    now["at"] = clock.now() + timedelta(days=31)
    assert main(["purge", "--dry-run", *args]) == 0
    assert "INC-1" in capsys.readouterr().out and svc.get(1).title == "Checkout is down"
    assert main(["purge", *args]) == 0
    assert "INC-1" in capsys.readouterr().out and svc.get(1).title == "[redacted]"
    assert svc.get(2).title == "Search slow"
    assert main(["audit", "verify", "1", *args]) == 0  # judged by the same retention_days the purge used


def test_keygen_checkpoint_and_verify_against_the_anchor(two_incidents, store, tmp_path, monkeypatch, capsys):
    keys, anchor = tmp_path / "keys", tmp_path / "anchors.jsonl"
    assert main(["audit", "checkpoint"]) == 2  # no key configured: said, not silently skipped
    assert "no signing key" in capsys.readouterr().err
    assert main(["audit", "keygen", str(keys)]) == 0
    assert (keys / "audit-signing.key").stat().st_mode & 0o777 == 0o600
    assert main(["audit", "keygen", str(keys)]) == 2  # never overwrites a key
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", str(keys / "audit-signing.key"))
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(anchor))
    assert main(["audit", "checkpoint"]) == 0
    # the two incidents' chains and the global one (its config.version event names the configuration in force)
    assert "checkpoint #1: 3 chain(s) signed" in capsys.readouterr().out
    verify = ["audit", "verify", "--anchor", str(anchor), "--public-key", str(keys / "audit-signing.pub")]
    assert main(verify) == 0
    assert f"anchors {anchor}: ok, 1 checkpoint(s)" in capsys.readouterr().out
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM timeline_event WHERE chain = 'incident:1' AND seq = 4"))
    assert main(verify) == 1
    out = capsys.readouterr().out
    assert "INC-1: ok" in out  # the chain alone cannot tell
    assert "INC-1 (incident:1): checkpoint #1 signed event #4 but the trail ends at #3" in out
