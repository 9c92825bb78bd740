"""A provider failure falls through to the next method at once, is recorded and told; a crash between
sending an SMS and recording it does not send it twice.

anna's default high-urgency rule: Slack 0, SMS 2 min, call 5 min (bot/oncall/notification_rules.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.notify.delivery import NotificationDispatcher
from tests.notify.world import PHONES


def _events(world, kind):
    with world.store.session() as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.kind == kind)).all())


def test_a_refused_sms_falls_through_to_the_call_at_once(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.twilio.fail_next(1, status=400, code=21610, message="Attempt to send to unsubscribed recipient")
    world.advance(minutes=2)  # 10:02: the SMS is refused for good (400), the call goes now, not at 10:05
    assert world.sms_to(PHONES["anna"]) == []
    assert len(world.calls_to(PHONES["anna"])) == 1
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "failed" and "21610" in rows["sms"].outcome
    assert rows["voice"].state == "sent"
    failed = _events(world, "page.method_failed")
    assert len(failed) == 1 and "trying a call now" in failed[0].summary and "21610" in failed[0].summary
    told = [m for m in world.chat.sent if m.to == "CINC0001" and m.notice.kind == "page_method_failed"]
    assert len(told) == 1 and "could not reach anna by SMS" in told[0].notice.title
    assert any("21610" in line for line in told[0].notice.lines)
    assert "Trying a call next." in told[0].notice.lines
    world.advance(minutes=10)
    assert len([m for m in world.chat.sent if m.notice.kind == "page_method_failed"]) == 1  # told once


def test_a_provider_outage_is_retried_then_falls_through(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.twilio.fail_next(3, status=503, code=20503, message="Service Unavailable")
    world.advance(minutes=2)  # attempt 1 fails (transient): again in 10 s
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "pending" and rows["sms"].attempts == 1
    world.advance(seconds=10)  # attempt 2 fails: again in 20 s
    world.advance(seconds=20)  # attempt 3 fails: the SMS fails for good, the call goes at once
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "failed" and rows["sms"].attempts == 3
    assert rows["voice"].state == "sent" and len(world.calls_to(PHONES["anna"])) == 1
    assert world.sms_to(PHONES["anna"]) == []


def test_the_last_method_failing_says_so(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=2)
    world.twilio.fail_next(1, status=400, code=21211,
                           message=f"The 'To' number {PHONES['anna']} is not a valid phone number.")
    world.advance(minutes=3)
    failed = _events(world, "page.method_failed")
    assert len(failed) == 1 and "no further method" in failed[0].summary
    assert PHONES["anna"] not in failed[0].summary and "+49151****001" in failed[0].summary  # masked
    told = [m for m in world.chat.sent if m.notice.kind == "page_method_failed"]
    assert len(told) == 1 and "could not reach anna by a call" in told[0].notice.title
    assert failed[0].data["page_id"] == page_id


class _Crash(BaseException):
    """The process dies (not an error the worker could catch and record)."""


class _CrashAfterSending:
    def __init__(self, inner):
        self.inner = inner

    def send(self, message):
        self.inner.send(message)
        raise _Crash()

    def find_sent(self, message, since):
        return self.inner.find_sent(message, since)


class _CrashBeforeSending(_CrashAfterSending):
    def send(self, message):
        raise _Crash()


def _restart(world):
    return NotificationDispatcher(world.store, lambda: world.config, {"sms": world.rest, "voice": world.rest,
                                                                      "email": world.mailer}, world.clock)


@pytest.mark.parametrize("crash, sent_before_restart", [(_CrashAfterSending, 1), (_CrashBeforeSending, 0)])
def test_a_crash_between_sending_and_recording_never_sends_the_sms_twice(world, crash, sent_before_restart):
    page_id = world.declare().pages[0].id
    world.run()
    world.clock.advance(minutes=2)
    dying = NotificationDispatcher(world.store, lambda: world.config, {"sms": crash(world.rest)}, world.clock)
    with pytest.raises(_Crash):
        dying.run_due()
    assert len(world.sms_to(PHONES["anna"])) == sent_before_restart
    assert {r.method: r.state for r in world.rows(page_id)}["sms"] == "sending"
    world.clock.advance(seconds=30)
    restarted = _restart(world)
    counts = restarted.recover()
    assert counts == ({"found": 1, "resent": 0} if sent_before_restart else {"found": 0, "resent": 1})
    restarted.run_due()
    sms = world.sms_to(PHONES["anna"])
    assert len(sms) == 1  # as seen by the recipient: once
    row = {r.method: r for r in world.rows(page_id)}["sms"]
    assert row.state == "sent" and row.provider_ref == sms[0].sid
    assert len([e for e in _events(world, "page.notified") if e.data["method"] == "sms"]) == 1


def test_an_sms_the_carrier_reports_undelivered_falls_through_to_the_call(world):
    """Twilio accepted the SMS at 10:02, then its status callback says undelivered (30003, unreachable
    handset): the step fails, the incident channel is told, and the call goes at once, not at 10:05."""
    page_id = world.declare().pages[0].id
    world.run()
    world.twilio.undeliver_next(1, error_code="30003")
    world.advance(minutes=2)
    sms = world.sms_to(PHONES["anna"])
    assert len(sms) == 1
    assert world.twilio.callbacks_done(sms[0].sid)
    assert world.calls_to(PHONES["anna"]) == []  # the failure is known; the worker acts on its next sweep
    world.run()
    assert len(world.calls_to(PHONES["anna"])) == 1
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "failed" and "undelivered (error 30003)" in rows["sms"].outcome
    told = [m for m in world.chat.sent if m.notice.kind == "page_method_failed"]
    assert len(told) == 1 and "could not reach anna by SMS" in told[0].notice.title


def test_a_delivered_sms_is_noted_and_a_forged_status_callback_refused(world):
    page_id = world.declare().pages[0].id
    world.run()
    world.advance(minutes=2)
    sms = world.sms_to(PHONES["anna"])[0]
    assert world.twilio.callbacks_done(sms.sid)
    row = {r.method: r for r in world.rows(page_id)}["sms"]
    assert row.state == "sent" and row.outcome.startswith("delivered")
    url = f"{world.url}/twilio/status"
    forged = world.twilio.post_webhook(url, {"MessageSid": sms.sid, "MessageStatus": "undelivered",
                                             "ErrorCode": "30003"}, signature="forged")
    assert forged.status == 401
    assert {r.method: r.state for r in world.rows(page_id)}["sms"] == "sent"


def _sms_sent_but_not_recorded(world, monkeypatch):
    """Declare, page anna, and at 10:02 send her SMS while the database refuses its record once (a hiccup, not a
    crash): the step is left in 'sending'. Returns the page's id."""
    import bot.notify.delivery as delivery

    page_id = world.declare().pages[0].id
    world.run()
    world.clock.advance(minutes=2)
    real, calls = delivery.append_event, []

    def hiccup(*args, **kwargs):
        calls.append(kwargs.get("kind"))
        if len(calls) == 1:
            raise RuntimeError("database connection lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(delivery, "append_event", hiccup)
    assert world.notify.run_due().get("error") == 1
    return page_id


def test_an_sms_sent_but_not_recorded_is_resolved_by_the_running_scheduler(world, monkeypatch):
    """The database refuses the record of a sent SMS once (a hiccup, not a crash): the process keeps running,
    so no restart's recovery comes. The next sweep resolves the step: found at the provider, recorded, not
    sent again (else it stays 'sending' for good: no timeline entry, no delivery report matched to it)."""
    page_id = _sms_sent_but_not_recorded(world, monkeypatch)
    assert len(world.sms_to(PHONES["anna"])) == 1
    assert {r.method: r.state for r in world.rows(page_id)}["sms"] == "sending"
    world.advance(seconds=30)  # the same dispatcher's next sweep
    sms = world.sms_to(PHONES["anna"])
    assert len(sms) == 1  # as seen by the recipient: once
    row = {r.method: r for r in world.rows(page_id)}["sms"]
    assert row.state == "sent" and row.provider_ref == sms[0].sid
    assert len([e for e in _events(world, "page.notified") if e.data["method"] == "sms"]) == 1


class _LookupDown:
    """The provider takes messages, but asking it what was sent fails (its lookup API is down)."""

    def __init__(self, inner):
        self.inner = inner

    def send(self, message):
        return self.inner.send(message)

    def find_sent(self, message, since):
        from bot.notify.ports import NotifyError

        raise NotifyError(f"provider answered 503 (code 20503): lookup of {message.to} unavailable", transient=True)


def test_a_step_whose_fate_cannot_be_found_out_holds_up_no_other_page_and_is_told(world, monkeypatch, caplog):
    """An SMS sent but not recorded (a database hiccup) is left in 'sending'; the next sweeps cannot ask the
    provider about it. The call due meanwhile still goes, the operations channel is told once (without the
    number), and once the provider answers again the SMS is recorded, not sent twice."""
    page_id = _sms_sent_but_not_recorded(world, monkeypatch)
    world.notify.notifiers["sms"] = _LookupDown(world.rest)
    world.advance(minutes=3)  # 10:05: the call is due
    assert len(world.calls_to(PHONES["anna"])) == 1, "the unknown SMS holds up no other step"
    assert len(world.sms_to(PHONES["anna"])) == 1
    assert {r.method: r.state for r in world.rows(page_id)}["sms"] == "sending"
    world.advance(seconds=30)
    told = [m for m in world.chat.sent if m.notice.kind == "page_step_unknown"]
    assert len(told) == 1, "told once, however many sweeps ask again"
    assert "may not have reached anna" in told[0].notice.title and f"page {page_id}" in told[0].notice.title
    assert told[0].to == world.chat.channel_id("#" + world.config.settings.operators_channel)
    assert PHONES["anna"] not in told[0].notice.as_text() and "NotifyError" in told[0].notice.as_text()
    assert "is unknown" in caplog.text and PHONES["anna"] not in caplog.text  # masked in the log too

    world.notify.notifiers["sms"] = world.rest  # the provider answers again
    world.advance(seconds=30)
    sms = world.sms_to(PHONES["anna"])
    assert len(sms) == 1  # as seen by the recipient: once
    row = {r.method: r for r in world.rows(page_id)}["sms"]
    assert row.state == "sent" and row.provider_ref == sms[0].sid


def test_a_step_that_cannot_be_prepared_fails_over_after_a_few_sweeps_and_is_told(world, monkeypatch):
    """Its message cannot be made (here a bug in the SMS text): the step used to stay 'pending', tried and
    logged at every sweep while nobody was reached. After a few sweeps it fails like a refused SMS: recorded,
    told in the incident channel, and the call goes at once."""
    import bot.notify.delivery as delivery

    page_id = world.declare().pages[0].id
    world.run()
    real = delivery.page_message

    def broken(**kwargs):
        if kwargs["method"] == "sms":
            raise KeyError("a bug in the SMS text")
        return real(**kwargs)

    monkeypatch.setattr(delivery, "page_message", broken)
    world.advance(minutes=2)
    world.advance(seconds=5)
    assert {r.method: r.state for r in world.rows(page_id)}["sms"] == "pending"
    world.advance(seconds=5)  # the third sweep that cannot prepare it
    rows = {r.method: r for r in world.rows(page_id)}
    assert rows["sms"].state == "failed" and "could not prepare it (KeyError" in rows["sms"].outcome
    assert rows["voice"].state == "sent" and len(world.calls_to(PHONES["anna"])) == 1
    assert world.sms_to(PHONES["anna"]) == []
    told = [m for m in world.chat.sent if m.to == "CINC0001" and m.notice.kind == "page_method_failed"]
    assert len(told) == 1 and "could not reach anna by SMS" in told[0].notice.title
    world.advance(seconds=30)
    assert len([m for m in world.chat.sent if m.notice.kind == "page_method_failed"]) == 1  # told once
