"""Every signed checkpoint is posted to the audit channel (``audit_channel``) through the outbox: the row is
written in the checkpoint's own transaction, the worker posts it once, and the message's metadata carries the
sha256 of the anchor line.  Unset: nothing is written.  A post that fails for good is told to the operators."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select

from bot.audit.checkpoints import make_checkpoint, write_checkpoint
from bot.audit.tables import AuditCheckpoint
from bot.incidents.service import IncidentService
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from bot.slack.client import make_client
from bot.slack.double import SlackDouble
from bot.slack.gateway import METADATA_EVENT, SlackGateway
from tests.incidents.conftest import REPORTER, SETTINGS, load, write_config

AUDIT_CHANNEL = "bot-audit"


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def double():
    with SlackDouble() as d:
        d.model.lenient_users = True
        for name in ("incidents", "support-escalations", "exec-updates", AUDIT_CHANNEL):
            d.model.add_channel(name)
        yield d


def _config(tmp_path, audit_channel: str | None):
    settings = SETTINGS + (f"audit_channel: {audit_channel}\n" if audit_channel else "")
    return load(write_config(tmp_path / "cfg", settings=settings))


@pytest.fixture
def config(tmp_path):
    return _config(tmp_path, AUDIT_CHANNEL)


def make_worker(store, clock, config, double) -> Dispatcher:
    client = make_client("xoxb-test", base_url=double.api_url, sleep=lambda s: None)
    chat = SlackGateway(client, store, clock, backoff=0.0, sleep=lambda s: None)
    return Dispatcher(store, lambda: config, chat, clock)


def _rows(store, kind="audit_checkpoint"):
    with store.session() as s:
        return list(s.exec(select(Reminder).where(Reminder.kind == kind).order_by(Reminder.id)).all())


def _posted(double, channel=AUDIT_CHANNEL):
    return [m for m in double.model.messages_in(double.model.channel_by_name(channel).id)
            if (m.metadata or {}).get("event_payload", {}).get("kind") == "audit_checkpoint"]


def test_the_post_is_written_in_the_checkpoints_transaction(store, clock, key, config):
    IncidentService(store, lambda: config, clock).declare("major", "Checkout is down", actor=REPORTER, key="d1")
    with pytest.raises(RuntimeError):
        with store.session() as s:
            assert make_checkpoint(s, key, clock.now(), audit_channel=AUDIT_CHANNEL) is not None
            raise RuntimeError("the unit of work fails after the checkpoint was signed")
    with store.session() as s:
        assert s.exec(select(AuditCheckpoint)).all() == []
    assert _rows(store) == []  # rolled back with it: never a post of a checkpoint that does not exist
    with store.session() as s:
        row = make_checkpoint(s, key, clock.now(), audit_channel=AUDIT_CHANNEL)
    [post] = _rows(store)
    assert (post.key, post.incident_id, post.recipient, post.state) == \
        ("audit_checkpoint:1", None, f"#{AUDIT_CHANNEL}", "pending")
    assert post.payload["line_sha256"] == row.line_hash and post.payload["checkpoint"] == "1"


def test_the_worker_posts_each_checkpoint_once_with_the_anchor_lines_hash(store, clock, key, config, double,
                                                                         tmp_path):
    svc = IncidentService(store, lambda: config, clock)
    anchor = tmp_path / "anchors.jsonl"
    svc.declare("major", "Checkout is down", actor=REPORTER, key="d1")
    write_checkpoint(store, clock.now(), key=key, path=anchor, audit_channel=config.settings.audit_channel)
    svc.add_note(1, "rolled back", actor=REPORTER, key="n1")
    write_checkpoint(store, clock.now(), key=key, path=anchor, audit_channel=config.settings.audit_channel)
    worker = make_worker(store, clock, config, double)
    worker.run_due()
    assert worker.run_due() == {}  # nothing left: each row was sent once
    lines = anchor.read_text().splitlines()
    posted = _posted(double)
    assert len(posted) == 2 == len(lines)
    for number, (message, line) in enumerate(zip(posted, lines), 1):
        assert message.metadata["event_type"] == METADATA_EVENT
        values = message.metadata["event_payload"]
        assert values["line_sha256"] == hashlib.sha256(line.encode()).hexdigest()
        assert values["checkpoint"] == str(number) and values["chains"] == "2"  # the incident and the global chain
        assert values["key_id"] and values["at"] == clock.now().isoformat()
        shown = json.dumps(message.blocks)  # what a person reads
        assert values["line_sha256"] in shown and values["prev_sha256"] in shown and f"#{number}" in message.text
    assert posted[1].metadata["event_payload"]["prev_sha256"] == posted[0].metadata["event_payload"]["line_sha256"]
    assert [r.state for r in _rows(store)] == ["sent", "sent"]
    worker.recover()  # a restart finds nothing to do again
    assert len(_posted(double)) == 2


def test_the_checkpoint_a_close_signs_is_published_too(store, clock, key, config, monkeypatch, tmp_path):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    monkeypatch.setenv("AUDIT_SIGNING_KEY", pem)
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(tmp_path / "anchors.jsonl"))
    svc = IncidentService(store, lambda: config, clock)
    svc.declare("major", "Checkout is down", actor=REPORTER, key="d1")
    svc.close(1, "bad deploy", actor=REPORTER, key="c1")
    assert [r.key for r in _rows(store)] == ["audit_checkpoint:1"]


def test_unset_no_row_and_nothing_posted(store, clock, key, tmp_path, double):
    config = _config(tmp_path, None)
    assert config.settings.audit_channel is None
    IncidentService(store, lambda: config, clock).declare("major", "Checkout is down", actor=REPORTER, key="d1")
    write_checkpoint(store, clock.now(), key=key, path=tmp_path / "anchors.jsonl",
                     audit_channel=config.settings.audit_channel)
    assert _rows(store) == []
    make_worker(store, clock, config, double).run_due()
    assert _posted(double) == []


def test_a_post_that_fails_for_good_is_recorded_and_told_to_the_operators(store, clock, key, tmp_path, double):
    config = _config(tmp_path, "audit-gone")  # no such channel in Slack
    write_checkpoint(store, clock.now(), key=key, path=tmp_path / "anchors.jsonl", force=True,
                     audit_channel=config.settings.audit_channel)
    make_worker(store, clock, config, double).run_due()
    [row] = _rows(store)
    assert row.state == "failed" and '"#audit-gone" not found' in (row.last_error or "")
    told = [m for m in double.model.messages_in(double.model.channel_by_name("incidents").id)
            if "audit checkpoint #1" in m.text]
    assert len(told) == 1 and "#audit-gone" in told[0].text


def test_a_post_slack_took_but_did_not_answer_is_retried_and_shown_once(store, clock, key, config, double,
                                                                          tmp_path):
    write_checkpoint(store, clock.now(), key=key, path=tmp_path / "anchors.jsonl", force=True,
                     audit_channel=AUDIT_CHANNEL)
    double.faults.server_error("chat.postMessage", status=503, processed=True)  # posted, but the answer is lost
    worker = make_worker(store, clock, config, double)
    for _ in range(5):
        worker.run_due()
        clock.advance(timedelta(minutes=5))
    [row] = _rows(store)
    assert row.state == "sent"
    assert len(_posted(double)) == 1


def test_a_checkpoint_that_cannot_be_written_is_told_to_the_operators_once_a_day(store, clock, key, config,
                                                                                 monkeypatch, tmp_path):
    """The close signs a checkpoint; the anchor file cannot be written (its folder is a file). Events since the
    last checkpoint are then protected by the hash chain only, and only the log said so: the operations channel
    is now told, once for this kind of failure on this day, however often it is tried."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("AUDIT_SIGNING_KEY", pem)
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(tmp_path / "not-a-folder" / "anchors.jsonl"))
    svc = IncidentService(store, lambda: config, clock)
    for number in (1, 2):
        svc.declare("major", f"Checkout is down {number}", actor=REPORTER, key=f"d{number}")
        svc.close(number, "bad deploy", actor=REPORTER, key=f"c{number}")
        clock.advance(minutes=10)
    with store.session() as s:
        told = [r for r in s.exec(select(Reminder).where(Reminder.kind == "post", Reminder.incident_id == None)).all()  # noqa: E711
                if r.payload["notice"]["title"] == "Audit checkpoints are not being written"]
    assert len(told) == 1  # two closes, two failures, one notice
    text = " ".join(told[0].payload["notice"]["lines"])
    assert "protected by the hash chain only" in text and "FileExistsError" in text  # making the folder failed
