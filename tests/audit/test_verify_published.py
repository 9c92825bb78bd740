"""`audit published` reads the audit channel back from Slack; `audit verify --published` compares the anchor
file with that copy: a file re-written and re-signed with the stolen key, an edited message and a number
missing between published ones are reported (docs/audit.md, threat model)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.audit.checkpoints import read_anchors, write_checkpoint
from bot.audit.published import published_problems, read_published
from bot.cli import main
from bot.incidents.service import IncidentService
from bot.slack import audit_channel
from bot.slack.double.model import Message
from tests.audit.test_ledger import _incident_id, _rechain, _resign_file
from tests.audit.test_published_checkpoints import AUDIT_CHANNEL, _config, _posted, double, make_worker  # noqa: F401
from tests.incidents.conftest import REPORTER

CHECKPOINTS = 5


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def published_world(store, clock, key, tmp_path, double, database_url, monkeypatch):
    """Five checkpoints, each posted to the audit channel by the worker, between other messages there; the CLI
    pointed at the database and the Slack double."""
    config = _config(tmp_path, AUDIT_CHANNEL)
    svc = IncidentService(store, lambda: config, clock)
    anchor = tmp_path / "anchors.jsonl"
    worker = make_worker(store, clock, config, double)
    channel = double.model.channel_by_name(AUDIT_CHANNEL)
    for n in range(1, CHECKPOINTS + 1):
        svc.declare("minor", f"Incident {n}", actor=REPORTER, key=f"d{n}")
        write_checkpoint(store, clock.now(), key=key, path=anchor, audit_channel=AUDIT_CHANNEL)
        worker.run_due()
        double.model.messages.append(Message(channel.id, double.model._next_ts(), "U0HUMAN01", f"seen #{n}"))
    forged = _posted(double)[0].metadata  # another app's (or a person's) copy of the metadata is not the bot's
    double.model.messages.append(Message(channel.id, double.model._next_ts(), "U0OTHER01", "x", metadata=forged))
    public = tmp_path / "audit.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", double.api_url)
    monkeypatch.setattr(audit_channel, "HISTORY_PAGE", 3)  # 11 messages: four pages
    return svc, anchor, public


def _read_back(tmp_path, capsys, name="published.jsonl"):
    out = tmp_path / name
    assert main(["audit", "published", "-o", str(out), "--channel", AUDIT_CHANNEL]) == 0
    capsys.readouterr()
    return out


def _verify(anchor, published, capsys, public=None):
    args = ["audit", "verify", "--anchor", str(anchor), "--published", str(published)]
    code = main(args + (["--public-key", str(public)] if public else []))
    return code, capsys.readouterr().out


def test_published_reads_every_page_of_the_channel_into_the_file(published_world, double, tmp_path, capsys):
    _, anchor, _ = published_world
    out = tmp_path / "published.jsonl"
    assert main(["audit", "published", "-o", str(out), "--channel", AUDIT_CHANNEL]) == 0
    assert f"{CHECKPOINTS} checkpoint(s) published in #{AUDIT_CHANNEL} (#1..#{CHECKPOINTS}), 0 edited" in \
        capsys.readouterr().out
    assert len(double.calls("conversations.history")) >= 4  # read page after page, by cursor
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    anchors = read_anchors(anchor)[0]
    assert [item["seq"] for item in lines] == list(range(1, CHECKPOINTS + 1))
    assert [item["line_sha256"] for item in lines] == [a.line_hash for a in anchors]
    assert all(item["edited"] is False and item["ts"] for item in lines)


def test_clean_case_exits_0(published_world, tmp_path, capsys):
    _, anchor, public = published_world
    published = _read_back(tmp_path, capsys)
    code, out = _verify(anchor, published, capsys, public)
    assert code == 0, out
    assert f"published {published}: ok, {CHECKPOINTS} published checkpoint(s)" in out
    code, out = _verify(anchor, published, capsys)  # the auditor without database-side key: the file vs Slack
    assert code == 0 and "not compared with the database (no --public-key)" in out


def test_an_anchor_file_re_written_and_re_signed_with_the_key_is_exposed(published_world, store, clock, key,
                                                                         tmp_path, capsys):
    _, anchor, public = published_world
    published = _read_back(tmp_path, capsys)
    _rechain(store, f"incident:{_incident_id(store, 1)}", 2, "nothing happened")
    _resign_file(store, anchor, key, clock)  # the database and the anchor file agree, signed with the real key
    code, out = _verify(anchor, published, capsys, public)
    assert code == 1, out
    assert f"anchors {anchor}: ok" in out  # against the re-signed file alone the forgery is consistent
    assert "checkpoint #1: the anchor line is not the one published in Slack" in out
    assert "re-written and re-signed" in out
    # #2..#5 are newer than the re-signed file's only line (which alone cannot tell a copy taken earlier from a cut
    # tail), and the database the attacker re-wrote holds none of them: that part is tampering
    assert f"checkpoints #2..#{CHECKPOINTS} were published in Slack" in out and "which ends at #1" in out
    assert out.count("but the database holds no such checkpoint") == CHECKPOINTS - 1


def test_an_edited_message_and_a_missing_number_are_reported(published_world, double, tmp_path, capsys):
    _, anchor, _ = published_world
    second, fourth = _posted(double)[1], _posted(double)[3]
    client_call = double.model.chat_update  # what the holder of the bot token can do
    client_call({"channel": second.channel, "ts": second.ts, "text": "Audit checkpoint #2 (nothing to see)"})
    double.model.messages.remove(fourth)  # deleted with chat.delete
    published = _read_back(tmp_path, capsys)
    code, out = _verify(anchor, published, capsys)
    assert code == 1, out
    assert "checkpoint #2: its Slack message" in out and "was edited" in out
    assert "checkpoint #4 is missing from the audit channel between #3 and #5" in out


def test_anchor_lines_newer_than_the_newest_published_are_not_yet_published(published_world, store, clock, key,
                                                                            tmp_path, capsys):
    svc, anchor, _ = published_world
    published = _read_back(tmp_path, capsys)
    svc.declare("minor", "Later", actor=REPORTER, key="later")
    write_checkpoint(store, clock.now(), key=key, path=anchor, audit_channel=AUDIT_CHANNEL)  # not yet delivered
    code, out = _verify(anchor, published, capsys)
    assert code == 0, out
    assert f"1 anchor line(s) (#{CHECKPOINTS + 1}..#{CHECKPOINTS + 1}) are newer than the newest published" in out
    assert "not yet published" in out


def test_bad_input_is_a_clear_error(published_world, tmp_path, capsys):
    _, anchor, public = published_world
    published = _read_back(tmp_path, capsys)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(published.read_text().splitlines()[0] + "\n{\"seq\": \"two\"}\n")
    assert main(["audit", "verify", "--anchor", str(anchor), "--published", str(broken)]) == 2
    assert f"{broken} line 2: not a published checkpoint" in capsys.readouterr().err
    missing = tmp_path / "nowhere.jsonl"
    assert main(["audit", "verify", "--anchor", str(anchor), "--published", str(missing)]) == 2
    assert "cannot read the published checkpoints" in capsys.readouterr().err
    assert main(["audit", "verify", "--published", str(published)]) == 2  # compared with what?
    assert "--published only with --anchor" in capsys.readouterr().err
    assert main(["audit", "published", "-o", str(tmp_path / "x.jsonl"), "--channel", "no-such-channel"]) == 2
    assert 'channel "#no-such-channel" not found' in capsys.readouterr().err


def test_published_problems_unit():
    """Two published copies of one number with different hashes, and a repeat of the same one."""
    first = read_published_line(1, "a" * 64, "1.0")
    again = read_published_line(1, "a" * 64, "1.5")
    other = read_published_line(1, "b" * 64, "2.0")
    check = published_problems([], [first, again])
    assert not any("twice" in p for p in check.problems)
    check = published_problems([], [first, other])
    assert any("published twice with different hashes" in p for p in check.problems)


def read_published_line(seq, digest, ts):
    from bot.audit.published import Published

    return Published(seq, digest, ts, False)


def test_the_published_file_round_trips(tmp_path):
    item = read_published_line(3, "c" * 64, "1700000000.000100")
    path = tmp_path / "p.jsonl"
    path.write_text(item.as_json() + "\n")
    assert read_published(path) == [item]
