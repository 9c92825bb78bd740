"""The scheduler's periodic job ``bot.scheduling.jobs.checkpoint``, run as APScheduler runs it (no arguments, the
running scheduler found through ``bot.scheduling.runtime``): it signs every chain's head with the key from the
environment at the scheduler's clock, appends the line to the anchor file, queues its post to the audit channel
when ``audit_channel`` is set, and when it cannot, tells the operations channel instead of only logging it."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func
from sqlmodel import select

from bot.audit.digest import canonical_json
from bot.audit.tables import AuditCheckpoint, TimelineEvent
from bot.incidents.service import IncidentService
from bot.outbox.tables import Reminder
from bot.scheduling import jobs, runtime
from bot.scheduling.scheduler import ReminderScheduler
from tests.incidents.conftest import REPORTER, SETTINGS, load, write_config
from tests.scheduling.fakes import FakeChat

AUDIT_CHANNEL = "bot-audit"
FAILED = "Audit checkpoints are not being written"


@pytest.fixture
def key(monkeypatch):
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    monkeypatch.setenv("AUDIT_SIGNING_KEY", pem)
    monkeypatch.delenv("AUDIT_SIGNING_KEY_FILE", raising=False)
    return key


@pytest.fixture
def anchor(tmp_path, monkeypatch):
    path = tmp_path / "anchors" / "anchors.jsonl"
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(path))
    return path


def _config(tmp_path, audit_channel: str | None):
    settings = SETTINGS + (f"audit_channel: {audit_channel}\n" if audit_channel else "")
    return load(write_config(tmp_path / "cfg", settings=settings))


@pytest.fixture
def running(store, clock):
    """Start a job the way the active scheduler's APScheduler does: with its context installed in this process
    (the scheduler itself is not started: no threads, the job is called here)."""
    installed = []

    def install(config):
        scheduler = ReminderScheduler(store, lambda: config, FakeChat(), clock)
        runtime.install(scheduler.context)
        installed.append(scheduler.context)
        return scheduler

    yield install
    for context in installed:
        runtime.clear(context)


def _declare(store, clock, config) -> None:
    IncidentService(store, lambda: config, clock).declare("major", "Checkout is down", actor=REPORTER, key="d1")


def _heads(store) -> dict[str, tuple[int, str]]:
    """Every chain's newest event as the database has it: chain -> (seq, hash)."""
    with store.session() as s:
        newest = dict(s.exec(select(TimelineEvent.chain, func.max(TimelineEvent.seq))
                             .group_by(TimelineEvent.chain)).all())
        return {chain: (seq, s.exec(select(TimelineEvent.hash).where(TimelineEvent.chain == chain,
                                                                     TimelineEvent.seq == seq)).one())
                for chain, seq in newest.items()}


def _rows(store, kind: str) -> list[Reminder]:
    with store.session() as s:
        return list(s.exec(select(Reminder).where(Reminder.kind == kind).order_by(Reminder.id)).all())


def _told_failed(store) -> list[Reminder]:
    return [r for r in _rows(store, "post") if r.payload.get("notice", {}).get("title") == FAILED]


def test_the_job_signs_every_head_at_the_schedulers_clock_appends_it_and_queues_its_post(
        store, clock, key, anchor, running, tmp_path):
    config = _config(tmp_path, AUDIT_CHANNEL)
    _declare(store, clock, config)
    clock.advance(minutes=7)
    running(config)

    jobs.checkpoint()

    lines = anchor.read_text().splitlines()
    assert len(lines) == 1
    item = json.loads(lines[0])
    body = item["checkpoint"]
    key.public_key().verify(base64.b64decode(item["signature"]), canonical_json(body).encode())  # raises if not
    assert body["seq"] == 1 and body["at"] == clock.now().isoformat()  # the injected clock's time, not the wall's
    assert {chain: (h["seq"], h["hash"]) for chain, h in body["chains"].items()} == _heads(store)
    assert "incident:1" in body["chains"] and "global" in body["chains"]
    with store.session() as s:
        stored = s.exec(select(AuditCheckpoint)).one()
    assert stored.published_at == clock.now()  # marked as appended to the anchor file
    post, = _rows(store, "audit_checkpoint")
    assert post.recipient == f"#{AUDIT_CHANNEL}"
    assert post.payload["line_sha256"] == hashlib.sha256(lines[0].encode()).hexdigest()
    assert _told_failed(store) == []

    clock.advance(minutes=10)
    jobs.checkpoint()  # nothing changed since: no second line, no second post
    assert anchor.read_text().splitlines() == lines and len(_rows(store, "audit_checkpoint")) == 1


def test_without_an_audit_channel_the_job_appends_the_line_and_queues_no_post(store, clock, key, anchor, running,
                                                                              tmp_path):
    config = _config(tmp_path, None)
    _declare(store, clock, config)
    running(config)

    jobs.checkpoint()

    assert len(anchor.read_text().splitlines()) == 1
    assert _rows(store, "audit_checkpoint") == []


def _unwritable_anchor(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(tmp_path / "a-file" / "anchors.jsonl"))  # its folder is a file


def _unreadable_key(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


@pytest.mark.parametrize("breaks,cause", [(_unwritable_anchor, "FileExistsError"), (_unreadable_key, "KeyProblem")],
                         ids=["anchor-file-unwritable", "signing-key-unreadable"])
def test_a_job_that_cannot_write_the_checkpoint_tells_the_operations_channel(store, clock, key, anchor, running,
                                                                              tmp_path, monkeypatch, breaks, cause):
    config = _config(tmp_path, AUDIT_CHANNEL)
    _declare(store, clock, config)
    breaks(tmp_path, monkeypatch)
    running(config)

    jobs.checkpoint()  # the failure is not raised into APScheduler (it would only log it)

    told, = _told_failed(store)
    assert told.recipient == "#" + config.settings.operators_channel
    text = " ".join(told.payload["notice"]["lines"])
    assert cause in text and "protected by the hash chain only" in text
    assert not anchor.exists()
