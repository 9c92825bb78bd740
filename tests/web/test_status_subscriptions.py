"""Email subscriptions to the public status page, end to end against a real SMTP server (aiosmtpd): the form,
double opt-in, one mail per published statement with the RFC 8058 unsubscribe headers, unsubscribing, the
limits against mail-bombing, and the worker's retries."""

from __future__ import annotations

import logging
import pytest
from sqlmodel import select

from bot.outbox.tables import Reminder
from bot.purge.retention import purge
from bot.subscriptions.address import address_hash
from tests.web.subscription_world import StatusWorld, build

ANN, BOB = "ann@example.com", "bob@example.net"
FIRST = "We are investigating slow checkouts."
SECOND = "A fix is live; we are monitoring."


@pytest.fixture
def world(store, shipped_config):
    w = build(store, shipped_config)
    yield w
    w.close()


def said(response) -> tuple[int, str]:
    """The status and the answer's words (the footer's time left out)."""
    text = response.get_data(as_text=True)
    return response.status_code, text[text.index('<p class="answer">'):text.index("</main>")]


def test_a_confirmed_subscriber_gets_each_statement_once_with_the_unsubscribe_headers(world: StatusWorld):
    world.subscribed(ANN)
    (confirmation,) = world.mails_to(ANN)
    assert "confirm" in confirmation["Subject"].lower()
    number = world.declare()
    outcome = world.publish(number, "investigating", FIRST)
    assert outcome.message == "investigating statement published"
    world.worker.run_due()
    world.worker.run_due()  # nothing is sent twice
    mails = world.mails_to(ANN)[1:]
    assert len(mails) == 1
    (mail,) = mails
    assert FIRST in mail.get_content()
    assert "Investigating" in mail["Subject"]
    leave = world.link(mail, "unsubscribe")
    assert mail["List-Unsubscribe"] == f"<http://status.example.org/web{leave}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_unconfirmed_address_gets_only_its_confirmation(world: StatusWorld):
    world.subscribed(ANN)
    assert world.subscribe(BOB).status_code == 202
    world.worker.run_due()
    confirm_page = world.client.get(world.link(world.mails_to(BOB)[0], "confirm"))  # a mail scanner follows it
    assert confirm_page.status_code == 200 and b"<button" in confirm_page.data
    world.publish(world.declare(), "investigating", FIRST)
    world.worker.run_due()
    assert len(world.mails_to(BOB)) == 1  # the confirmation alone: the link followed by GET confirmed nothing
    assert len(world.mails_to(ANN)) == 2


def test_a_subscriber_confirmed_after_a_statement_is_not_sent_it(world: StatusWorld):
    number = world.declare()
    world.publish(number, "investigating", FIRST)
    world.clock.advance(minutes=5)
    world.subscribed(ANN)
    world.worker.run_due()
    world.clock.advance(minutes=5)
    world.publish(number, "monitoring", SECOND)
    world.worker.run_due()
    bodies = [m.get_content() for m in world.mails_to(ANN)[1:]]
    assert len(bodies) == 1 and SECOND in bodies[0] and FIRST not in bodies[0]


def test_the_link_page_does_not_unsubscribe_and_one_click_post_does(world: StatusWorld):
    world.subscribed(ANN)
    number = world.declare()
    world.publish(number, "investigating", FIRST)
    world.worker.run_due()
    leave = world.link(world.mails_to(ANN)[-1], "unsubscribe")
    page = world.client.get(leave)  # scanners follow links: this only shows a button
    assert page.status_code == 200 and b"<button" in page.data
    world.clock.advance(minutes=5)
    world.publish(number, "identified", "We found the cause.")
    world.worker.run_due()
    assert len(world.mails_to(ANN)) == 3
    gone = world.client.post(leave, data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert gone.status_code == 200
    (row,) = world.subscribers()
    assert row.state == "unsubscribed" and row.address is None  # the address is deleted at once
    world.clock.advance(minutes=5)
    world.publish(number, "monitoring", SECOND)
    world.worker.run_due()
    assert len(world.mails_to(ANN)) == 3


def test_a_second_request_within_a_day_sends_no_second_mail_and_looks_the_same(world: StatusWorld):
    first = world.subscribe(ANN)
    world.clock.advance(hours=23)
    again = world.subscribe(ANN.upper())
    world.worker.run_due()
    assert said(first) == said(again)
    assert len(world.mails_to(ANN)) == 1
    world.client.post(world.link(world.mails_to(ANN)[0], "confirm"))
    confirmed = world.subscribe(ANN)  # already subscribed: the same answer, no mail
    world.worker.run_due()
    assert said(confirmed) == said(first)
    assert len(world.mails_to(ANN)) == 1


def test_after_a_day_a_new_confirmation_replaces_the_old_link(world: StatusWorld):
    world.subscribe(ANN)
    world.worker.run_due()
    world.clock.advance(hours=25)
    world.subscribe(ANN)
    world.worker.run_due()
    old, new = world.mails_to(ANN)
    assert world.client.post(world.link(old, "confirm")).status_code == 400
    assert world.client.post(world.link(new, "confirm")).status_code == 200


def test_the_hourly_cap_over_every_address_answers_429_for_everyone(store, shipped_config):
    world = build(store, shipped_config, per_hour=2)
    try:
        assert [world.subscribe(a).status_code for a in ("a@example.com", "b@example.com")] == [202, 202]
        over = world.subscribe("c@example.com")
        assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
        assert world.subscribe("a@example.com").status_code == 429  # the same for a known address
        world.worker.run_due()
        assert len(world.mailbox.messages) == 2
        world.clock.advance(minutes=61)
        assert world.subscribe("c@example.com").status_code == 202
    finally:
        world.close()


@pytest.mark.parametrize("typed", ["", "no-at-sign", "a@b", "two@@example.com", "a b@example.com",
                                   "x@example.com\r\nBcc: victim@example.com", "x@-bad-.com"])
def test_a_malformed_address_is_a_400_saying_how_to_write_one(world: StatusWorld, typed: str):
    response = world.subscribe(typed)
    assert response.status_code == 400
    assert b"name@example.com" in response.data
    assert world.subscribers() == [] and world.mails() == []


def test_a_body_over_the_limit_is_413(world: StatusWorld):
    response = world.client.post("/status/subscribe", data={"email": "a@example.com", "pad": "x" * 2000})
    assert response.status_code == 413
    assert world.subscribers() == []


def test_a_temporary_smtp_failure_is_retried_and_recorded(world: StatusWorld, caplog):
    world.subscribed(ANN)
    world.mailbox.failures = 1
    world.publish(world.declare(), "investigating", FIRST)
    with caplog.at_level(logging.INFO):
        world.worker.run_due()
    (mail,) = [m for m in world.mails() if m.kind == "statement"]
    assert (mail.state, mail.attempts) == ("pending", 1) and "451" in (mail.outcome or "")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]  # not the test server's own log
    assert any("retrying" in m for m in ours) and not any(ANN in m for m in ours)
    assert ANN not in (mail.outcome or "")
    assert len(world.mails_to(ANN)) == 1
    world.clock.advance(minutes=1)
    world.worker.run_due()
    assert len(world.mails_to(ANN)) == 2
    (mail,) = [m for m in world.mails() if m.kind == "statement"]
    assert (mail.state, mail.attempts) == ("sent", 2)


def test_a_refused_mail_fails_and_the_channel_is_told_the_counts(world: StatusWorld):
    world.subscribed(ANN)
    world.subscribed(BOB)
    world.mailbox.refuse.append(BOB)
    number = world.declare()
    world.publish(number, "investigating", FIRST)
    with world.store.session() as s:
        (post,) = [r for r in s.exec(select(Reminder)).all() if "statement" in r.key and r.kind == "post"]
        assert "2 confirmed subscribers" in str(post.payload)
    world.worker.run_due()
    states = sorted((m.state for m in world.mails() if m.kind == "statement"))
    assert states == ["failed", "sent"]
    with world.store.session() as s:
        (report,) = [r for r in s.exec(select(Reminder)).all() if r.key.startswith("status-mail:")]
        lines = report.payload["notice"]["lines"]
    assert lines[0].startswith("1 sent, 1 failed")
    assert BOB not in str(report.payload)


def test_the_purge_deletes_unconfirmed_subscribers_then_unsubscribed_ones_after_retention(world: StatusWorld,
                                                                                          shipped_config):
    days = shipped_config.settings.retention_days
    world.subscribed(ANN)
    world.subscribe(BOB)  # never confirmed
    world.worker.run_due()
    ann = world.subscribers()[0]
    leave_token = world.worker.links.leave_token(ann.id, ann.nonce)
    assert world.client.post(f"/status/unsubscribe?t={leave_token}").status_code == 200
    world.clock.advance(days=2)  # the confirmation link has expired unused
    with world.store.session() as s:
        assert purge(s, retention_days=days, now=world.clock.now()).status_subscribers == 1
    (left,) = world.subscribers()
    assert left.state == "unsubscribed" and left.address is None
    assert address_hash(ANN) not in {x.address_hash for x in world.subscribers()}  # a hash of it can be reversed
    world.clock.advance(days=days)
    with world.store.session() as s:
        assert purge(s, retention_days=days, now=world.clock.now()).status_subscribers == 1
    assert world.subscribers() == [] and world.mails() == []


def test_a_replayed_publication_writes_no_second_mail(world: StatusWorld):
    world.subscribed(ANN)
    number = world.declare()
    world.publish(number, "investigating", FIRST)
    world.publish(number, "investigating", FIRST)  # the same request again (a Slack retry): the same key
    world.worker.run_due()
    assert [m.kind for m in world.mails()] == ["confirm", "statement"]
    assert len(world.mails_to(ANN)) == 2


def test_a_mail_left_sending_by_a_crash_goes_again_with_the_same_message_id(world: StatusWorld):
    world.subscribed(ANN)
    world.publish(world.declare(), "investigating", FIRST)
    (row,) = [m for m in world.mails() if m.kind == "statement"]
    world.worker._claim(row.id)  # claimed, then the process died before sending
    assert world.worker.run_due() == {}  # not due: it is in 'sending'
    assert world.worker.recover() == {"resent": 1}
    world.worker.run_due()
    (mail,) = world.mails_to(ANN)[1:]
    (sent,) = [m for m in world.mails() if m.kind == "statement"]
    assert sent.state == "sent" and mail["Message-ID"] == sent.provider_ref


def test_a_mail_that_cannot_be_prepared_fails_after_three_sweeps_and_is_counted(world: StatusWorld, monkeypatch):
    world.subscribed(ANN)
    number = world.declare()
    world.publish(number, "investigating", FIRST)

    def broken(*_args):
        raise RuntimeError("a statement the bot cannot read")

    monkeypatch.setattr(world.worker, "_message", broken)
    for sweep in (1, 2):  # tried again at the next sweeps: a bug fixed and restarted in between loses nothing
        world.worker.run_due()
        assert [m.state for m in world.mails() if m.kind == "statement"] == ["pending"], sweep
    world.worker.run_due()  # the third: failed for good with why, not tried and logged at every sweep unseen
    (mail,) = [m for m in world.mails() if m.kind == "statement"]
    assert mail.state == "failed" and "could not prepare it (RuntimeError, 3 sweeps" in (mail.outcome or "")
    with world.store.session() as s:
        (report,) = [r for r in s.exec(select(Reminder)).all() if r.key.startswith("status-mail:")]
    assert report.payload["notice"]["lines"][0].startswith("0 sent, 1 failed")
    assert not world.mails_to(ANN)[1:], "a statement mail went out although it could not be prepared"


def test_an_unsubscribe_link_of_an_earlier_subscription_does_not_end_a_later_one(world: StatusWorld, shipped_config):
    """A link works for the subscription it was sent for: not for the same address subscribed again, and not for a
    stranger who got the row id a purge freed (SQLite gives the highest id again once its row is deleted)."""
    world.subscribed(ANN)
    (ann,) = world.subscribers()
    old = world.worker.links.leave_token(ann.id, ann.nonce)
    assert world.client.post(f"/status/unsubscribe?t={old}").status_code == 200
    world.clock.advance(days=shipped_config.settings.retention_days + 1)
    with world.store.session() as s:
        assert purge(s, retention_days=shipped_config.settings.retention_days, now=world.clock.now()).status_subscribers == 1
    world.subscribed(BOB)
    world.subscribed(ANN)  # Ann again: a new subscription
    assert world.client.post(f"/status/unsubscribe?t={old}").status_code == 200  # the same answer, whatever it did
    assert sorted(x.state for x in world.subscribers()) == ["confirmed", "confirmed"]
