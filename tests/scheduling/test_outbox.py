"""The outbox: every Slack effect is a row written with the change, done in order, once, and never reported
done early. Real lifecycle and shipped configuration; Slack is the in-memory FakeChat; time is a ManualClock.

The shipped sev2 playbook: channel ``inc-<n>-<slug>``, one bookmark (the incident response handbook),
the feed ``#incidents`` and ``#support-escalations`` told on declaration, the platform rota paged
(anna on Tuesday 2026-12-22 10:00 UTC), the reporter holds the commander role.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.audit.trail import events
from bot.clock import ManualClock, SystemClock
from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.outbox.tables import Reminder
from bot.ports import ChatError, Notice
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.leader import AlwaysLeader
from bot.scheduling.scheduler import ReminderScheduler
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
ANNA, KATRIN = "U0ANNA001", "U0KATRIN1"
ASKER = {"response_url": "https://hooks.slack.test/commands/1", "user": KATRIN, "channel": "CGENERAL1"}


@pytest.fixture(scope="module")
def config():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


@pytest.fixture
def world(store, config):
    clock = ManualClock(TUESDAY)
    chat = FakeChat()
    service = IncidentService(store, lambda: config, clock)
    return clock, chat, service, Dispatcher(store, lambda: config, chat, clock)


def _rows(store) -> dict[str, Reminder]:
    with store.session() as s:
        return {r.key: r for r in s.exec(select(Reminder).order_by(Reminder.id)).all()}


def _declare(service, key="declare-1", title="Checkout is down", asker=None):
    return (service.replying_to(asker) if asker else service).declare("sev2", title, actor=KATRIN, key=key)


def test_the_declaration_writes_its_whole_channel_setup_with_the_change(store, world):
    _, _, service, _ = world
    result = _declare(service, asker=ASKER)
    rows = _rows(store)
    n = result.incident.id
    welcome = [k for k in rows if k.startswith(f"incident:{n}:welcome:")]
    lane = [k for k, r in rows.items() if r.lane == f"incident:{n}"]
    # the channel first, then the people, the first message, the topic, the rest, the pin, the bookmark
    assert lane == [f"incident:{n}:channel", f"incident:{n}:invite", welcome[0], f"incident:{n}:topic", *welcome[1:],
                    f"incident:{n}:pin", f"incident:{n}:bookmark:0"]
    assert rows[f"incident:{n}:channel"].payload == {"name": result.channel.name, "private": False}
    feed = [r for r in rows.values() if r.kind == "post" and r.recipient == "#incidents"]
    assert len(feed) == 1 and feed[0].after_key == f"incident:{n}:channel"  # it names the channel: waits for it
    assert rows["declare-1:reply"].payload["to"] == ASKER
    assert all(r.state == "pending" for r in rows.values() if r.kind != "page")


def test_no_effect_is_written_when_the_change_fails(store, world, monkeypatch):
    _, _, service, _ = world

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("bot.incidents.effects._post", broken)
    with pytest.raises(RuntimeError):
        _declare(service)
    assert _rows(store) == {}  # neither the incident's reminders nor any effect: one unit of work
    with pytest.raises(Exception):
        service.get(1)


def test_the_incident_channel_gets_everything_in_the_order_it_was_written(store, world):
    _, chat, service, dispatcher = world
    result = _declare(service)
    dispatcher.run_due()
    n = result.incident.id
    incident = service.get(result.incident.number)
    assert incident.channel_id == next(iter(chat.channels)) and incident.channel_name == result.channel.name
    in_channel = [c[0] if c[0] != "post" else c for c in chat.calls if c[0] in ("create_channel", "invite", "topic",
                                                                                  "pin")]
    assert in_channel[:3] == ["create_channel", "invite", "topic"] and in_channel[-1] == "pin"
    posts = [s.key for s in chat.sent if s.to == incident.channel_id]
    assert posts == sorted(posts, key=lambda k: int(k.rsplit(":", 1)[1]))
    assert posts[0] == f"incident:{n}:welcome:0"
    assert chat.bookmarks == [(incident.channel_id, "Incident response handbook", "https://handbook.example.org/incidents")]
    feed = [s for s in chat.sent if s.to == chat.channel_id("#incidents")]
    # the channel the incident really got, by id: the Slack adapter shows it as a link <#C…>
    assert len(feed) == 1 and f"Channel: {incident.channel_id}" in feed[0].notice.lines
    assert all(r.state == "sent" for r in _rows(store).values() if r.kind not in ("escalation", "cadence", "checklist"))


def test_a_failing_row_holds_back_the_younger_rows_of_its_lane_but_not_other_lanes(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    n = result.incident.id
    chat.fail_keys[f"incident:{n}:welcome:0"] = [ChatError("Slack is down", code="http_503", transient=True)]
    dispatcher.run_due()
    assert not [c for c in chat.calls if c[0] == "topic"]  # behind the welcome in the lane
    assert not [s for s in chat.sent if s.key.startswith(f"incident:{n}:welcome")]
    assert [s for s in chat.sent if s.to == chat.channel_id("#incidents")]  # another lane: not held back
    clock.advance(seconds=10)  # the first back-off step
    dispatcher.run_due()
    keys = [s.key for s in chat.sent if s.key.startswith(f"incident:{n}:welcome")]
    assert keys[0] == f"incident:{n}:welcome:0" and len(keys) == len(set(keys)) >= 3
    assert [c for c in chat.calls if c[0] == "topic"]


def test_without_a_channel_posts_wait_and_go_to_the_one_attached_by_hand(store, world):
    _, chat, service, dispatcher = world
    chat.fail_keys["create_channel"] = [ChatError("Slack refused creating channel: restricted_action",
                                                  code="restricted_action")]
    result = _declare(service, asker=ASKER)
    dispatcher.run_due()
    n = result.incident.id
    rows = _rows(store)
    assert rows[f"incident:{n}:channel"].state == "failed"
    assert rows[f"incident:{n}:welcome:0"].state == "pending"  # waiting for a channel, not lost
    with store.session() as s:
        failed = [e for e in events(s, n) if e.kind == "side_effect.failed"]
    assert failed and "create the incident channel" in failed[0].data["step"]
    told = [m for m in chat.sent if m.key == f"incident:{n}:channel:failed"]
    assert told and told[0].to == KATRIN and "/incident INC-1 channel" in " ".join(told[0].notice.lines)
    reply = chat.replies[-1][1]
    assert "could not be created" in reply.lines[0] and "Join" not in reply.lines[0]
    service.record_channel(n, "CBYHAND01", "inc-1-by-hand", key="attach-1", actor=KATRIN)
    dispatcher.run_due()  # no clock change: recording the channel wakes what waited for it
    posted = [m.key for m in chat.sent if m.to == "CBYHAND01"]
    assert posted and posted[0] == f"incident:{n}:welcome:0"
    assert ("invite", "CBYHAND01", (KATRIN,)) in chat.calls


def test_a_rate_limited_row_comes_back_when_slack_says_and_keeps_its_attempts(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    key = f"incident:{result.incident.id}:welcome:0"
    chat.fail_keys[key] = [ChatError("ratelimited", code="ratelimited", transient=True, retry_after=7)] * 3
    dispatcher.run_due()
    row = _rows(store)[key]
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, TUESDAY + timedelta(seconds=7))
    for _ in range(3):  # rate limited three times: still no attempt used up
        clock.advance(seconds=7)
        dispatcher.run_due()
    assert _rows(store)[key].state == "sent"
    assert [s.key for s in chat.sent].count(key) == 1


def test_a_terminal_failure_is_on_the_timeline_and_told_to_the_commander(store, world):
    _, chat, service, dispatcher = world
    _declare(service)
    dispatcher.run_due()
    out = service.post_status(1, "Rolled back the deploy", actor=KATRIN, key="status-1")
    chat.fail_keys["status-1:post:0"] = [ChatError("Slack refused posting: is_archived", code="is_archived")]
    dispatcher.run_due()
    assert _rows(store)["status-1:post:0"].state == "failed"
    with store.session() as s:
        failed = [e for e in events(s, out.incident.id) if e.kind == "side_effect.failed"]
    assert failed[-1].data["step"] == "post status_update to the incident channel"
    dm = [m for m in chat.sent if m.key == "status-1:post:0:failed"]
    assert dm and dm[0].to == KATRIN and dm[0].direct and "is_archived" in dm[0].notice.lines[0]


def test_the_answer_waits_for_the_effects_and_never_says_done_early(store, world):
    clock, chat, service, dispatcher = world
    _declare(service, asker=ASKER)
    dispatcher.run_due()
    declared = chat.replies[0][1]
    assert declared.title.startswith("Declared INC-1 (SEV2)") and declared.lines == ("Join #inc-1-checkout-is-down.",)
    asking = service.replying_to(ASKER)
    chat.fail_keys["status-1:post:0"] = [ChatError("Slack is down", code="http_503", transient=True)]
    asking.post_status(1, "Rolled back the deploy", actor=KATRIN, key="status-1")
    dispatcher.run_due()
    assert len(chat.replies) == 1  # still waiting for the post
    clock.advance(seconds=2)
    dispatcher.run_due()
    queued = chat.replies[1][1]
    assert queued.title == "INC-1 status update recorded"
    assert queued.lines == ("Queued: 1 message(s) will be posted when Slack answers.",)
    clock.advance(seconds=8)
    dispatcher.run_due()
    assert "status-1:post:0" in [s.key for s in chat.sent] and len(chat.replies) == 2  # one answer only
    asking.post_status(1, "Traffic back to normal", actor=KATRIN, key="status-2")
    dispatcher.run_due()
    assert chat.replies[2][1].lines == ("Posted.",)


def test_one_answer_per_command_however_often_it_arrives(store, world):
    _, chat, service, dispatcher = world
    _declare(service)
    dispatcher.run_due()
    asking = service.replying_to(ASKER)
    for _ in range(3):  # Slack retried the request twice
        asking.post_status(1, "Rolled back the deploy", actor=KATRIN, key="status-1")
        dispatcher.run_due()
    assert [key for _, _, key in chat.replies] == ["status-1:reply"]
    assert [s.key for s in chat.sent].count("status-1:post:0") == 1


def test_after_a_crash_each_operation_is_repeated_without_a_second_effect(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    n = result.incident.id
    rows = _rows(store)
    # The process claimed the channel, Slack created it, and the process died before recording it.
    dispatcher.claim(rows[f"incident:{n}:channel"].id)
    created, _ = chat.create_channel(result.channel.name, private=False)
    clock.advance(minutes=1)
    assert dispatcher.recover() == {"found": 0, "resent": 1, "unresolved": 0}
    assert list(chat.channels.values()) == [result.channel.name]  # adopted, not created again
    assert service.get(1).channel_id == created
    dispatcher.run_due()
    # The bookmark was added, then the process died before recording it: done again, still one bookmark.
    with store.session() as s:
        row = s.exec(select(Reminder).where(Reminder.key == f"incident:{n}:bookmark:0")).one()
        row.state = "sending"
        s.add(row)
    assert dispatcher.recover()["resent"] == 1
    assert len(chat.bookmarks) == 1


def test_the_tick_never_waits_for_slack(store, config):
    class SlowChat(FakeChat):
        def _send(self, to, notice, key, direct):
            time.sleep(3.0)
            return super()._send(to, notice, key, direct)

    chat, clock = SlowChat(), SystemClock()
    service = IncidentService(store, lambda: config, clock)
    scheduler = ReminderScheduler(store, lambda: config, chat, clock, leader=AlwaysLeader(), poll_seconds=0.1,
                                  leader_retry_seconds=0.05)
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while not scheduler.is_leader and time.monotonic() < deadline:
            time.sleep(0.02)
        _declare(service)
        scheduler.wake()
        time.sleep(0.3)  # sends are now in flight, each taking 3 s
        started = time.monotonic()
        scheduler.tick()
        assert time.monotonic() - started < 1.0  # it did not wait for even one of them
        deadline = time.monotonic() + 60
        while not any(s.key.endswith(":welcome:0") for s in chat.sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(s.key.endswith(":welcome:0") for s in chat.sent)
    finally:
        scheduler.stop()


def test_an_acknowledged_page_loses_its_buttons(store, world):
    _, chat, service, dispatcher = world
    result = _declare(service)
    dispatcher.run_due()
    page = result.pages[0]
    sent = next(m for m in chat.sent if m.key == f"page:{page.id}:send")
    service.acknowledge_page(page.id, actor=ANNA, key="ack-1")
    dispatcher.run_due()
    [(to, ts, notice)] = chat.updates
    assert (to, ts) == (ANNA, sent.ts) and notice.buttons == ()
    assert notice.lines[0].startswith("Acknowledged by you at Tue 22 Dec 11:00 CET")  # anna works in Berlin
    dispatcher.run_due()
    assert len(chat.updates) == 1


def test_whoever_cannot_be_invited_is_named_to_the_commander_with_the_reason(store, world):
    _, chat, service, dispatcher = world
    _declare(service)
    dispatcher.run_due()
    chat.not_invitable["U0GUEST01"] = "user_is_restricted"
    service.assign_role(1, "comms_lead", "U0GUEST01", actor=KATRIN, key="role-1")
    dispatcher.run_due()
    told = [m for m in chat.sent if m.key == "role-1:invite:not_invited"]
    assert told and told[0].notice.mention_users == (KATRIN,)
    assert "U0GUEST01: a guest account that cannot join this channel" in told[0].notice.lines
    with store.session() as s:
        invited = [e for e in events(s, 1) if e.kind == "channel.invited"]
    assert invited[-1].data["not_invited"] == {"U0GUEST01": "user_is_restricted"}


def test_a_message_notice_survives_a_round_trip_unchanged():
    from bot.outbox.notice_codec import notice_from_json, notice_to_json

    notice = Notice(kind="x", title="t", lines=("a",), mention_groups=("sec",), metadata={"k": "v"})
    assert notice_from_json(notice_to_json(notice)) == notice


def test_an_escalation_whose_notice_failed_is_told_once_when_slack_is_back(store, world):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    dispatcher.run_due()
    page = result.pages[0]
    key = f"page:{page.id}:escalate"
    chat.fail_keys[key] = [ChatError("Slack is down", code="http_503", transient=True)]
    clock.advance(minutes=5)  # anna's ack timeout
    dispatcher.run_due()
    assert _rows(store)[key].state == "pending"  # the notice is owed; the escalation itself happened
    deputy_pages = [p for p in service.pages(1) if p.level == 2]
    assert len(deputy_pages) == 1
    clock.advance(seconds=10)
    dispatcher.run_due()
    assert [s.key for s in chat.sent].count(key) == 1 and _rows(store)[key].state == "sent"
    assert len([p for p in service.pages(1) if p.level == 2]) == 1  # not escalated a second time
    assert [s.key for s in chat.sent].count(f"page:{deputy_pages[0].id}:send") == 1


def test_buttons_that_no_longer_apply_come_off_their_messages(store, world):
    _, chat, service, dispatcher = world
    _declare(service)
    dispatcher.run_due()
    checklist = next(m for m in chat.sent if m.notice.kind == "checklist")
    first, second = checklist.notice.buttons[:2]
    service.complete_task(int(first.value.split(":")[1]), actor=KATRIN, key="task-1")
    dispatcher.run_due()
    [(to, ts, updated)] = [u for u in chat.updates if u[1] == checklist.ts]
    assert first.value not in {b.value for b in updated.buttons} and second in updated.buttons
    assert any(line.startswith("[x] ") for line in updated.lines) and not any("Done:" in line for line in updated.lines)
    service.complete_task(int(second.value.split(":")[1]), actor=KATRIN, key="task-2")
    dispatcher.run_due()
    latest = [u for u in chat.updates if u[1] == checklist.ts][-1][2]
    assert {first.value, second.value}.isdisjoint({b.value for b in latest.buttons})
    assert sum(line.startswith("[x] ") for line in latest.lines) == 2
    dispatcher.run_due()
    assert len([u for u in chat.updates if u[1] == checklist.ts]) == 2  # once per change, not per run


def test_whoever_acknowledges_a_page_is_invited_to_the_channel(store, world):
    _, chat, service, dispatcher = world
    result = _declare(service)
    dispatcher.run_due()
    channel = service.get(1).channel_id
    assert ANNA not in chat.members[channel]
    service.acknowledge_page(result.pages[0].id, actor=ANNA, key="ack-1")
    dispatcher.run_due()
    assert ANNA in chat.members[channel] and ("invite", channel, (ANNA,)) in chat.calls


def test_a_private_incident_invites_the_people_its_playbook_names(store, world):
    # security.yaml names nadia (legal counsel, DPO) and katrin for its notifications; nobody can find a
    # private channel, so they are invited with the reporter (people.yaml: U0NADIA01, U0KATRIN1).
    _, chat, service, dispatcher = world
    result = service.declare("security", "Customer records exposed", actor=ANNA, key="sec-1")
    assert result.channel.private
    dispatcher.run_due()
    channel = service.get(1).channel_id
    assert set(chat.members[channel]) >= {ANNA, "U0NADIA01", KATRIN}


def test_whoever_takes_a_role_is_invited_to_the_channel(store, world):
    _, chat, service, dispatcher = world
    _declare(service)
    dispatcher.run_due()
    channel = service.get(1).channel_id
    assert "U0CAMILL1" not in chat.members[channel]
    service.assign_role(1, "comms_lead", "U0CAMILL1", actor=KATRIN, key="role-1")
    dispatcher.run_due()
    assert "U0CAMILL1" in chat.members[channel] and ("invite", channel, ("U0CAMILL1",)) in chat.calls
