"""A redaction cannot be forged early. Anyone with the database can redact a text (keeping its salted hash in the
event's redaction map, so the digest still recomputes) and append an ``audit.purged`` event listing it: appending
needs no key. What that must not buy is erasing an open incident's words, or a recent one's, while it is still
under investigation: a purge event vouches for a redaction only if it could have been a real purge of it (the
incident closed before it, the purge dated the retention period after that, not in the future, not set back)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.audit.digest import leaf_hash
from bot.audit.evidence import verify_incident
from bot.audit.export import evidence_pack
from bot.audit.offline import verify_pack
from bot.audit.trail import REDACTED, append_event, events
from bot.purge.retention import purge
from tests.audit.test_evidence_chain import _id, key  # noqa: F401  (fixture)
from tests.audit.test_purge import _closed_incident

RETENTION = 30  # the test configuration's retention_days


def _redact_by_hand(store, incident_id, seq):
    """What an insider does to an event's summary: ``[redacted]`` in place of the text, its salted hash in the
    redaction map (so the digest still recomputes), the event marked redacted. Returns the original text."""
    chain = f"incident:{incident_id}" if incident_id is not None else "global"
    with store.engine.begin() as conn:
        rid, summary, kept = conn.execute(text("SELECT id, summary, redaction FROM timeline_event "
                                               "WHERE chain = :c AND seq = :s"), {"c": chain, "s": seq}).one()
        kept = (kept if isinstance(kept, dict) else json.loads(kept or "null")) or {}
        marks = {**kept, "/summary": leaf_hash(chain, seq, "/summary", summary)}
        conn.execute(text("UPDATE timeline_event SET summary = :v, redaction = :r, redacted = :t WHERE id = :i"),
                     {"v": REDACTED, "r": json.dumps(marks), "t": True, "i": rid})
    return summary


def _forge(store, incident_id, at, *, seq=1, data=None):
    """Redact event ``seq`` by hand and append a purge event listing it, dated ``at``."""
    original = _redact_by_hand(store, incident_id, seq)
    with store.session() as s:
        append_event(s, incident_id=incident_id, actor="system", kind="audit.purged", at=at, summary="purged",
                     data={"redacted_seqs": [seq], "retention_days": RETENTION} if data is None else data)
    return original


def _problems(store, incident_id, now, floor=RETENTION):
    with store.session() as s:
        return verify_incident(s, incident_id, now=now, min_retention_days=floor).problems


def _named(problems, incident_id, seq, words):
    chain = f"incident:{incident_id}" if incident_id is not None else "global"
    return [p for p in problems if f"{chain} event #{seq} " in p and "no purge could have redacted it" in p
            and words in p]


def test_an_open_incidents_summary_redacted_under_a_forged_purge_is_named(store, clock, tmp_path, key):
    svc, _config = _closed_incident(store, clock, tmp_path)
    iid = _id(store, 2)  # INC-2 is still open
    original = _forge(store, iid, clock.now())
    assert svc.get(2).title == "still open" and original  # the table still has it: only the chain's words went
    assert _named(_problems(store, iid, clock.now()), iid, 1, "not closed before purge event"), \
        _problems(store, iid, clock.now())
    with store.session() as s:
        pack = json.loads(json.dumps(evidence_pack(s, 2, now=clock.now())))
    report = verify_pack({**pack, "audit": {**pack["audit"], "problems": []}}, key.public_key(), now=clock.now())
    assert _named(report.problems, iid, 1, "not closed before purge event"), report.problems


def test_a_recently_closed_incident_redacted_before_its_retention_period_is_named(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    clock.advance(days=2)
    _forge(store, iid, clock.now())  # recorded as 30 days, two days after the close
    assert _named(_problems(store, iid, clock.now(), floor=1), iid, 1, "only 2.0 days after the incident was closed")


def test_a_forged_purge_claiming_a_short_period_is_judged_by_the_configured_one(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    clock.advance(days=3)
    _forge(store, iid, clock.now(), data={"redacted_seqs": [1], "retention_days": 1})
    assert _problems(store, iid, clock.now(), floor=1) == []  # the period it claims is all a verifier without one has
    assert _named(_problems(store, iid, clock.now()), iid, 1, f"retention period ({RETENTION} days)")


def test_a_forged_purge_recording_an_impossible_period_is_named_not_a_crash(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    clock.advance(days=RETENTION + 1)
    _forge(store, iid, clock.now(), data={"redacted_seqs": [1], "retention_days": 10**10})  # no timedelta holds it
    assert _named(_problems(store, iid, clock.now()), iid, 1, "longer than any purge waits")


def test_a_forged_purge_dated_in_the_future_is_named(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    _forge(store, iid, clock.now() + timedelta(days=RETENTION + 1))  # far enough after the close, but not yet
    assert _named(_problems(store, iid, clock.now()), iid, 1, "in the future")
    assert _problems(store, iid, clock.now() + timedelta(days=RETENTION + 2)) == []  # once that day has come


def test_a_closing_appended_with_a_time_set_back_does_not_vouch_for_a_purge(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 2)
    with store.session() as s:  # "closed" two months ago, appended today after today's events
        append_event(s, incident_id=iid, actor="system", kind="incident.closed", at=clock.now() - timedelta(days=60),
                     summary="closed")
    _forge(store, iid, clock.now())
    assert _named(_problems(store, iid, clock.now()), iid, 1, "its time was set back")


def test_a_stepping_stone_dated_back_does_not_let_a_closing_be_dated_back(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 2)
    with store.session() as s:  # an event "two months ago", then a closing no earlier than it: still set back
        for kind in ("incident.status_changed", "incident.closed"):
            append_event(s, incident_id=iid, actor="system", kind=kind, at=clock.now() - timedelta(days=60),
                         summary=kind)
    _forge(store, iid, clock.now())
    assert _named(_problems(store, iid, clock.now()), iid, 1, "its time was set back")


def test_a_purge_dated_before_the_event_preceding_it_is_named(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    clock.advance(days=RETENTION + 10)
    with store.session() as s:
        append_event(s, incident_id=iid, actor="U0AUDITOR", kind="evidence.downloaded", at=clock.now(),
                     summary="downloaded")
    _forge(store, iid, clock.now() - timedelta(days=5))  # long enough after the close, but before the download
    assert _named(_problems(store, iid, clock.now()), iid, 1, "its time was set back")


def test_a_real_purge_after_the_retention_period_verifies(store, clock, tmp_path, key):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    clock.advance(days=RETENTION + 1)
    with store.session() as s:
        report = purge(s, retention_days=RETENTION, now=clock.now())
    assert [i.number for i in report.incidents] == [1]
    later = clock.now() + timedelta(days=400)
    assert _problems(store, iid, later) == []
    assert _problems(store, None, later) == []
    with store.session() as s:
        pack = json.loads(json.dumps(evidence_pack(s, 1, now=later, min_retention_days=RETENTION)))
        redacted = [e.seq for e in events(s, iid) if e.redacted]
    assert pack["audit"]["verified"] and redacted
    checked = verify_pack(pack, key.public_key(), now=later, min_retention_days=RETENTION)
    assert not [p for p in checked.problems if "redact" in p], checked.problems
    # The configured period is the floor: the same purge judged by a longer one is named, event by event.
    assert len([p for p in _problems(store, iid, later, floor=365) if "no purge could" in p]) == len(redacted)


def test_a_purge_event_without_its_period_is_judged_by_the_configured_one(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    iid = _id(store, 1)
    clock.advance(days=RETENTION + 1)
    _forge(store, iid, clock.now(), data={"redacted_seqs": [1]})  # as an older purge event, without retention_days
    assert _problems(store, iid, clock.now()) == []  # it could have been a real purge
    assert _named(_problems(store, iid, clock.now(), floor=60), iid, 1, "retention period (60 days)")


def test_a_recent_global_chain_event_redacted_under_a_forged_purge_is_named(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    with store.session() as s:
        seq = append_event(s, incident_id=None, actor="U0ALICE", kind="oncall.test_page", at=clock.now(),
                           summary="dentist on Tuesday").seq
    clock.advance(days=1)
    _forge(store, None, clock.now(), seq=seq)
    assert _named(_problems(store, None, clock.now()), None, seq, "only 1.0 days after it was written")


def test_a_real_global_chain_purge_after_the_retention_period_verifies(store, clock, tmp_path):
    _closed_incident(store, clock, tmp_path)
    with store.session() as s:
        seq = append_event(s, incident_id=None, actor="U0ALICE", kind="oncall.test_page", at=clock.now(),
                           summary="dentist on Tuesday").seq
    clock.advance(days=RETENTION + 1)
    with store.session() as s:
        report = purge(s, retention_days=RETENTION, now=clock.now())
    assert seq in report.global_events
    assert _problems(store, None, clock.now()) == []


def test_audit_verify_judges_purges_by_the_configured_retention_period(store, clock, tmp_path, database_url,
                                                                      monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    _closed_incident(store, clock, tmp_path)  # its configuration (tmp_path / "cfg") keeps free text 30 days
    iid = _id(store, 1)
    clock.advance(days=3)
    _forge(store, iid, clock.now(), data={"redacted_seqs": [1], "retention_days": 1})
    args = ["--config-dir", str(tmp_path / "cfg" / "config"), "--playbooks-dir", str(tmp_path / "cfg" / "playbooks")]
    assert main(["audit", "verify", "1", *args]) == 1
    assert _named(capsys.readouterr().out.splitlines(), iid, 1, f"retention period ({RETENTION} days)")
    assert main(["audit", "verify", "1", "--min-retention-days", "1", *args]) == 0  # the auditor's own floor


def test_a_minimum_retention_that_is_no_period_is_refused_saying_so(capsys):
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["audit", "verify", "--min-retention-days", "0"])
    assert exit_.value.code == 2
    assert "expected 1 to 36500 days (as retention_days in settings.yaml), got 0" in capsys.readouterr().err
