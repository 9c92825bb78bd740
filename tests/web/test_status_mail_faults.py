"""The status page's mails under faults: the database failing after the mail server answered, a subscriber leaving
while their statement mail waits, a statement whose record is gone. Against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.notify.status_mail import StatusMailDispatcher
from bot.outbox.tables import Reminder
from bot.subscriptions.tables import StatusMail
from tests.web.subscription_world import StatusWorld, build

ANN, BOB = "ann@example.com", "bob@example.net"


@pytest.fixture
def world(store, shipped_config):
    w = build(store, shipped_config)
    yield w
    w.close()


def _reports(world: StatusWorld) -> list[Reminder]:
    with world.store.session() as s:
        return [r for r in s.exec(select(Reminder)).all() if r.key.startswith("status-mail:")]


def _statement_mails(world: StatusWorld) -> list[StatusMail]:
    return [m for m in world.mails() if m.kind == "statement"]


def test_a_mail_whose_outcome_could_not_be_recorded_is_resolved_at_the_next_sweep(world, monkeypatch):
    world.subscribed(ANN)
    world.publish(world.declare(), "investigating", "We are investigating slow checkouts.")
    world.mailbox.failures = 1  # the server answers 451 once: a failure to record and retry

    def database_down(self, row, exc, address):
        raise OperationalError("UPDATE status_mail", {}, Exception("database is locked"))

    real = StatusMailDispatcher._failed_attempt
    monkeypatch.setattr(StatusMailDispatcher, "_failed_attempt", database_down)
    world.worker.run_due()
    assert [m.state for m in _statement_mails(world)] == ["sending"]  # claimed, the outcome not recorded
    monkeypatch.setattr(StatusMailDispatcher, "_failed_attempt", real)
    world.clock.advance(timedelta(minutes=1))
    world.worker.run_due()  # the process went on: resolved as after a crash, then sent
    (mail,) = _statement_mails(world)
    assert mail.state == "sent", (mail.state, mail.outcome)
    assert len([m for m in world.mails_to(ANN) if "Investigating" in m["Subject"]]) == 1
    assert len(_reports(world)) == 1


def test_the_channel_is_told_when_the_last_open_mail_is_cancelled_by_an_unsubscribe(world):
    world.subscribed(ANN)
    world.subscribed(BOB)
    world.publish(world.declare(), "investigating", "We are investigating slow checkouts.")
    ann_mail, bob_mail = _statement_mails(world)
    assert world.worker.fire(int(ann_mail.id or 0)) == "sent"  # Ann's went; Bob's still waits
    assert _reports(world) == []
    bob = next(x for x in world.subscribers() if x.id == bob_mail.subscriber_id)
    leave = world.worker.links.leave_token(bob_mail.subscriber_id, bob.nonce)
    assert world.client.post(f"/status/unsubscribe?t={leave}").status_code == 200
    (report,) = _reports(world)  # nothing else would settle: the unsubscribe's unit of work tells
    assert report.payload["notice"]["lines"][0] == "1 sent, 1 not sent (unsubscribed meanwhile)."


def test_a_mail_whose_statement_record_is_gone_fails_once_without_a_report(world):
    world.subscribed(ANN)
    world.publish(world.declare(), "investigating", "We are investigating slow checkouts.")
    (mail,) = _statement_mails(world)
    with world.store.session() as s:  # the event row gone (deleted by hand with its incident's chain)
        s.execute(update(StatusMail).where(StatusMail.id == mail.id).values(event_id=999_999))
    assert world.worker.run_due() == {"failed": 1}
    (mail,) = _statement_mails(world)
    assert mail.state == "failed" and "record is gone" in (mail.outcome or "")
    assert _reports(world) == []  # no status to name, no channel to tell: the row keeps how it ended
    assert world.worker.run_due() == {}
