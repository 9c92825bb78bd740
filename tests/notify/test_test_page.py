"""``/oncall test-page``: a test on every method the person has an address for, through the same worker;
the answer says what is queued, and the next test-page says how the previous one went."""

from __future__ import annotations

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.notify.test_page import answer_test_page
from tests.notify.world import ANNA, EMAILS, PHONES


def _ask(world, key):
    return answer_test_page(world.store, world.config, ANNA, key=key, at=world.clock.now())


def test_a_test_page_goes_out_on_every_method_and_the_next_one_reports_how_it_went(world):
    answer = _ask(world, "cmd:1")
    assert answer.startswith("Test page for anna:")
    assert "Slack: this message." in answer
    assert "SMS to +49151****001: queued" in answer and "a call to +49151****001: queued" in answer
    assert "email to a***@example.org: queued" in answer
    assert PHONES["anna"] not in answer and "previous test" not in answer
    assert world.sms_to(PHONES["anna"]) == []  # queued, not sent by the answer itself
    world.run()
    sms, calls, mails = world.sms_to(PHONES["anna"]), world.calls_to(PHONES["anna"]), world.mails_to(EMAILS["anna"])
    assert len(sms) == 1 and "Test page from incident-bot" in sms[0].body
    assert len(calls) == 1 and "<Gather" not in calls[0].twiml  # nothing to answer on a test call
    assert len(mails) == 1 and mails[0]["Subject"] == "Test page from incident-bot"
    world.twilio.fail_next(1, status=400, code=21610, message="Attempt to send to unsubscribed recipient")
    second = _ask(world, "cmd:2")
    assert "Your previous test: SMS: sent 10:00:00 UTC; a call: sent 10:00:00 UTC; email: sent 10:00:00 UTC." \
        in second
    world.run()
    third = _ask(world, "cmd:3")
    assert "SMS: failed: NotifyError: provider answered 400 (code 21610)" in third
    with world.store.session() as s:
        kinds = [e.kind for e in s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == None))]  # noqa: E711
    assert kinds.count("page.test_requested") == 3 and "page.test_failed" in kinds


def test_the_same_request_twice_queues_once(world):
    _ask(world, "cmd:same")
    _ask(world, "cmd:same")
    world.run()
    assert len(world.sms_to(PHONES["anna"])) == 1


def test_a_replay_of_the_same_request_returns_the_first_answer_and_writes_nothing(world):
    """Slack retries a slash command it thinks went unanswered: the same key must not append a second event
    on the chain, nor queue (or send) anything again, and the person reads the answer the first one got."""
    first = _ask(world, "cmd:replayed")
    world.run()
    with world.store.session() as s:
        events_before = len(s.exec(select(TimelineEvent)).all())
    replayed = _ask(world, "cmd:replayed")
    world.run()
    assert replayed == first  # not "Your previous test: ..." about itself
    with world.store.session() as s:
        events = s.exec(select(TimelineEvent)).all()
        kinds = [e.kind for e in events]
    assert len(events) == events_before and kinds.count("page.test_requested") == 1
    assert len(world.sms_to(PHONES["anna"])) == 1 and len(world.calls_to(PHONES["anna"])) == 1
    assert len(world.mails_to(EMAILS["anna"])) == 1


def test_someone_without_a_phone_is_told_what_is_missing(store, tmp_path):
    from tests.notify.world import build_world

    def edit(doc):
        next(p for p in doc["people"] if p["id"] == "anna")["contact"] = {"email": "anna@example.org"}
    world = build_world(store, tmp_path, people_edit=edit)
    try:
        answer = _ask(world, "cmd:x")
        assert "SMS: no phone number for you in config/people.yaml (contact)." in answer
        assert "email to a***@example.org: queued" in answer
    finally:
        world.close()


def test_someone_not_in_people_yaml_is_told_so(world):
    answer = answer_test_page(world.store, world.config, "U0NOBODY1", key="k", at=world.clock.now())
    assert "not in config/people.yaml" in answer
