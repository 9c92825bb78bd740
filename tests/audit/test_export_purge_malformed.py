"""`export` and `purge` on event rows written by hand in a shape the bot never writes (bot/audit/malformed.py).

The export writes no pack (it would leave the event out of its sections, or misread it) and names each such
event with its chain and number, exit 1. The purge leaves such an event as it is and names it, exit 1: the
incident holding it is kept whole (not half redacted and marked purged), a global-chain event is skipped, and
everything else is purged; the chains verify afterwards as they did before (the hand-written row aside)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.audit.trail import events, verify_chain
from bot.cli import main
from bot.incidents.tables import Incident
from tests.audit.test_cli import two_incidents  # noqa: F401  (fixture)
from tests.audit.test_verify_malformed import MALFORMED
from tests.incidents.conftest import REPORTER

CASES = MALFORMED + [
    ("data = '\"text\"'", "data that is a string"),
    ("kind = 'obligation.turned_off', data = '{\"obligations\": 5}'", "turned-off duties that are not a list"),
    ("redaction = '[1]'", "a redaction map that is a list"),
]


def _write(store, assignment: str, chain: str = "incident:1", seq: int = 2) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE timeline_event SET {assignment} WHERE chain = '{chain}' AND seq = {seq}"))


@pytest.mark.parametrize("fmt", ["json", "md", "html"])
@pytest.mark.parametrize("assignment, what", CASES, ids=[c[1] for c in CASES])
def test_export_writes_no_pack_and_names_the_event(two_incidents, store, capsys, tmp_path, assignment, what, fmt):
    _write(store, assignment)
    target = tmp_path / f"inc1.{fmt}"
    assert main(["export", "1", "--format", fmt, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "no evidence pack written" in err and "incident:1 event #2 (" in err, err
    assert not target.exists(), "a pack that leaves an event out must not be written"
    assert main(["export", "2", "--format", "json"]) == 0  # the other incident is exported as before
    assert json.loads(capsys.readouterr().out)["audit"]["verified"]


def test_export_names_the_event_whose_evidence_row_lacks_a_column(two_incidents, store, capsys):
    svc, _ = two_incidents
    newest = svc.timeline(1)[-1].seq
    _write(store, "data = '{\"evidence\": [{\"table\": \"incident\", \"id\": 1, \"row\": {\"number\": 1}}]}'",
           seq=newest)
    assert main(["export", "1"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"incident:1 event #{newest} (" in captured.err and "evidence row incident 1 has no" in captured.err, \
        captured.err


def _purge(paths, clock, monkeypatch) -> int:
    class Later:
        def now(self):
            return clock.now() + timedelta(days=31)

    monkeypatch.setattr("bot.cli.commands.purge.SystemClock", Later)
    return main(["purge", "--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir)])


@pytest.mark.parametrize("assignment, what", CASES, ids=[c[1] for c in CASES])
def test_purge_keeps_the_incident_whole_and_purges_the_rest(two_incidents, store, clock, capsys, monkeypatch,
                                                           assignment, what):
    svc, paths = two_incidents
    svc.close(1, "done", actor=REPORTER, key="c1")
    svc.close(2, "done", actor=REPORTER, key="c2")
    _write(store, assignment)
    with store.session() as s:
        before = verify_chain(s, 1).problems
    assert _purge(paths, clock, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "INC-1: kept whole" in out and "incident:1 event #2 (" in out, out
    assert svc.get(2).title == "[redacted]"
    with store.session() as s:
        kept = s.exec(select(Incident).where(Incident.number == 1)).one()
        assert (kept.title, kept.purged_at) == ("Checkout is down", None)  # not half redacted, nor marked purged
        assert not [e for e in events(s, kept.id) if e.redacted]
        assert verify_chain(s, 1).problems == before  # the hand-written row, nothing more
        assert verify_chain(s, 2).ok and verify_chain(s, None).ok


GLOBAL = [
    ("kind = 'oncall.cover_proposed', data = '{\"end\": \"when it suits\"}'", "its end is not an ISO 8601 time"),
    ("kind = 'exercise.recorded', data = '{\"findings\": \"lost the runbook\"}'", "its starts_at is not an ISO 8601"),
    ("kind = 'oncall.cover_proposed', data = '[1, 2]'", "its data is not a JSON object"),
]


@pytest.mark.parametrize("assignment, what", GLOBAL, ids=[g[1] for g in GLOBAL])
def test_purge_skips_a_malformed_global_event_and_names_it(two_incidents, store, clock, capsys, monkeypatch,
                                                          assignment, what):
    svc, paths = two_incidents
    svc.close(1, "done", actor=REPORTER, key="c1")
    _write(store, assignment, chain="global", seq=1)
    assert _purge(paths, clock, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "global event #1 (" in out and what in out, out
    assert svc.get(1).title == "[redacted]"  # the rest of the purge went ahead
    with store.session() as s:
        assert verify_chain(s, 1).ok


def test_verify_pack_reports_turned_off_duties_that_are_not_a_list(two_incidents, store, clock):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bot.audit.export import evidence_pack
    from bot.audit.offline import verify_pack

    with store.session() as s:
        pack = json.loads(json.dumps(evidence_pack(s, 1, now=clock.now())))
    pack["timeline"][1].update(kind="obligation.turned_off", data=[1, 2])
    report = verify_pack(pack, Ed25519PrivateKey.generate().public_key())
    assert any("incident:1 event #2" in p and "malformed" in p for p in report.problems), report.problems
