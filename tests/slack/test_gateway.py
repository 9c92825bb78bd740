"""SlackGateway against the Slack double over HTTP: idempotent sends, retries, channel naming."""

from __future__ import annotations

import json
from datetime import timedelta
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.ports import ChatError, Notice
from bot.slack.client import make_client
from bot.slack.double import BOT_USER_ID, SlackDouble
from bot.slack.double.faults import Fault
from bot.slack.gateway import SlackGateway
from bot.slack.tables import SentMessage


@pytest.fixture
def double():
    with SlackDouble() as d:
        for user, tz in [("UALICE001", "Europe/Berlin"), ("UBOB00001", "America/Los_Angeles"), ("UCAROL001", None)]:
            d.model.add_user(user, user.lower(), tz)
        yield d


@pytest.fixture
def gateway(double, store, clock) -> SlackGateway:
    client = make_client("xoxb-test", base_url=double.api_url, sleep=lambda s: None)
    return SlackGateway(client, store, clock, backoff=0.0, sleep=lambda s: None)


NOTICE = Notice(kind="status_update", title="Status", lines=("all good",), metadata={"incident": "7"})


def test_post_with_the_same_key_sends_once(gateway, double):
    channel, _ = gateway.create_channel("inc-1-db", private=False)
    first = gateway.post(channel, NOTICE, key="status:1")
    again = gateway.post(channel, NOTICE, key="status:1")
    assert first == again
    assert len(double.model.messages_in(channel)) == 1
    assert double.model.messages_in(channel)[0].metadata["event_payload"] == {"incident": "7", "key": "status:1",
                                                                             "kind": "status_update"}


def test_concurrent_sends_with_one_key_produce_one_message(gateway, double):
    channel, _ = gateway.create_channel("inc-2", private=False)
    double.faults.latency = 0.05
    with ThreadPoolExecutor(8) as pool:
        stamps = set(pool.map(lambda _: gateway.post(channel, NOTICE, key="k"), range(8)))
    assert len(stamps) == 1 and len(double.model.messages_in(channel)) == 1


def test_direct_message_opens_the_dm_once_and_is_idempotent(gateway, double):
    gateway.direct_message("UALICE001", NOTICE, key="page:1:send")
    gateway.direct_message("UALICE001", NOTICE, key="page:1:send")
    dm = double.model.dm_channel("UALICE001")
    assert dm is not None and len(double.model.messages_in(dm.id)) == 1


def test_find_sent_recovers_a_message_sent_before_a_crash(gateway, double, store):
    channel, _ = gateway.create_channel("inc-3", private=False)
    ts = gateway.post(channel, NOTICE, key="deadline:9:24h")
    with store.session() as s:  # the process died before it could record the timestamp
        s.delete(s.get(SentMessage, "deadline:9:24h"))
    assert gateway.find_sent(channel, "deadline:9:24h") == ts
    assert gateway.find_sent(channel, "never-sent") is None
    dm_ts = gateway.direct_message("UBOB00001", NOTICE, key="page:2:send")
    with store.session() as s:
        s.delete(s.get(SentMessage, "page:2:send"))
    assert gateway.find_sent("UBOB00001", "page:2:send") == dm_ts


def test_find_sent_joins_a_public_channel_it_is_not_in_as_a_post_there_would(gateway, double, store):
    """Slack answers not_in_channel to a bot reading the history of a public channel it is not in (one attached
    by hand, or the bot removed). A post there joins first; the check after a crash did not, so it could never
    tell whether the message went, and the row stayed in 'sending'."""
    channel, _ = gateway.create_channel("inc-4", private=False)
    ts = gateway.post(channel, NOTICE, key="status:4")
    with store.session() as s:
        s.delete(s.get(SentMessage, "status:4"))
    double.faults.add("conversations.history", Fault(error="not_in_channel"))
    assert gateway.find_sent(channel, "status:4") == ts
    assert [c.method for c in double.calls()][-3:] == ["conversations.history", "conversations.join",
                                                       "conversations.history"]


def test_rate_limits_are_waited_out_and_delivered_once(gateway, double):
    channel, _ = gateway.create_channel("inc-4", private=False)
    double.faults.rate_limit("chat.postMessage", times=3, retry_after=0)
    gateway.post(channel, NOTICE, key="burst")
    assert [c.status for c in double.calls("chat.postMessage")] == [429, 429, 429, 200]
    assert len(double.model.messages_in(channel)) == 1


def test_server_errors_on_post_check_the_history_before_retrying(gateway, double):
    channel, _ = gateway.create_channel("inc-5", private=False)
    double.faults.server_error("chat.postMessage", times=2, status=503)
    gateway.post(channel, NOTICE, key="five-hundred")
    assert [c.status for c in double.calls("chat.postMessage")] == [503, 503, 200]
    assert len(double.calls("conversations.history")) == 2  # looked before each resend
    assert len(double.model.messages_in(channel)) == 1


def test_server_errors_on_other_methods_are_retried_by_the_client(gateway, double):
    channel, _ = gateway.create_channel("inc-6", private=False)
    double.faults.server_error("conversations.setTopic", times=2, status=500)
    gateway.set_topic(channel, "INC-6 db")
    assert [c.status for c in double.calls("conversations.setTopic")] == [500, 500, 200]
    assert double.model.channels[channel].topic == "INC-6 db"


def test_name_taken_gets_a_suffix_and_never_reuses_the_channel(gateway, double):
    existing = double.model.add_channel("inc-7-db")
    double.model.add_channel("inc-7-db-2")
    channel, name = gateway.create_channel("inc-7-db", private=False)
    assert name == "inc-7-db-3" and channel != existing.id


def test_long_names_are_cut_to_80_and_suffixed_within_80(gateway, double):
    long_name = "inc-8-" + "x" * 100
    first_id, first = gateway.create_channel(long_name, private=True)
    second_id, second = gateway.create_channel(long_name, private=True)
    assert len(first) == 80 and len(second) == 80 and second.endswith("-2") and first_id != second_id
    assert double.model.channels[first_id].is_private


def test_invite_skips_members_and_the_bot(gateway, double):
    channel, _ = gateway.create_channel("inc-9", private=False)
    gateway.invite(channel, ["UALICE001"])
    gateway.invite(channel, ["UALICE001", "UBOB00001", BOT_USER_ID, "not-an-id"])
    assert double.model.channels[channel].members == [BOT_USER_ID, "UALICE001", "UBOB00001"]


def test_invites_are_chunked(double, store, clock):
    client = make_client("xoxb-test", base_url=double.api_url)
    gateway = SlackGateway(client, store, clock, invite_chunk=2)
    users = [f"UPERSON{i:02d}" for i in range(5)]
    for u in users:
        double.model.add_user(u)
    channel, _ = gateway.create_channel("inc-10", private=False)
    gateway.invite(channel, users)
    assert [len(c.params["users"].split(",")) for c in double.calls("conversations.invite")] == [2, 2, 1]


def test_user_timezone_from_the_profile(gateway):
    assert gateway.user_timezone("UBOB00001") == "America/Los_Angeles"
    assert gateway.user_timezone("UCAROL001") is None  # no tz in the profile
    assert gateway.user_timezone("UNOBODY01") is None


def test_permanent_errors_raise_chat_error_and_release_the_key(gateway, double):
    with pytest.raises(ChatError) as err:
        gateway.post("CNOTHERE1", NOTICE, key="bad")
    assert err.value.code == "channel_not_found" and not err.value.transient
    channel, _ = gateway.create_channel("inc-11", private=False)
    assert gateway.post(channel, NOTICE, key="bad")  # the key is free again


def test_topic_pin_bookmark(gateway, double):
    channel, _ = gateway.create_channel("inc-12", private=False)
    gateway.set_topic(channel, "x" * 400)
    ts = gateway.post(channel, NOTICE, key="welcome")
    gateway.pin(channel, ts)
    gateway.pin(channel, ts)  # already pinned is fine
    gateway.bookmark(channel, "Runbook", "https://runbooks.example/db")
    state = double.model.channels[channel]
    assert len(state.topic) == 250 and state.pins == [ts] and state.bookmarks[0]["link"] == "https://runbooks.example/db"


def test_a_claim_left_by_a_crashed_sender_is_taken_over(gateway, double, store, clock):
    from datetime import timedelta

    channel, _ = gateway.create_channel("inc-13", private=False)
    with store.session() as s:  # a sender claimed the key, then died before sending
        s.add(SentMessage(key="orphan", target=channel, channel_id=channel, claimed_at=clock.now()))
    clock.advance(timedelta(seconds=31))  # older than the 30 s a live sender may take
    ts = gateway.post(channel, NOTICE, key="orphan")
    assert [m.ts for m in double.model.messages_in(channel)] == [ts]


def test_recovery_that_finds_nothing_lets_the_resend_go_out_at_once(double, store, clock):
    naps: list[float] = []
    client = make_client("xoxb-test", base_url=double.api_url, sleep=lambda s: None)
    gateway = SlackGateway(client, store, clock, backoff=0.0, sleep=naps.append)
    channel, _ = gateway.create_channel("inc-15", private=False)
    with store.session() as s:  # the scheduler died after claiming the key, before Slack got the message
        s.add(SentMessage(key="crashed", target=channel, channel_id=channel, claimed_at=clock.now()))
    assert gateway.find_sent(channel, "crashed") is None  # recovery asks first: nothing landed
    ts = gateway.post(channel, NOTICE, key="crashed")  # so it sends again, without waiting out the stale claim
    assert [m.ts for m in double.model.messages_in(channel)] == [ts]
    assert sum(naps) < 1.0, f"the resend waited {sum(naps):.1f} s for a claim nobody holds"


def test_a_claim_whose_message_did_land_is_completed_from_the_history(gateway, double, store, clock):
    from datetime import timedelta

    channel, _ = gateway.create_channel("inc-14", private=False)
    landed = gateway.client.chat_postMessage(channel=channel, text="sent before the crash",
                                             metadata={"event_type": "incident_bot_message",
                                                       "event_payload": {"key": "landed"}})["ts"]
    with store.session() as s:
        s.add(SentMessage(key="landed", target=channel, channel_id=channel, claimed_at=clock.now()))
    clock.advance(timedelta(seconds=31))
    assert gateway.post(channel, NOTICE, key="landed") == landed
    assert len(double.model.messages_in(channel)) == 1


def test_posts_to_one_channel_are_paced_after_a_burst(double, store, clock):
    from bot.slack.pacing import ChannelPacer

    waits: list[float] = []
    pacer = ChannelPacer(interval=1.0, burst=2, sleep=waits.append, monotonic=lambda: 0.0)
    gateway = SlackGateway(make_client("xoxb-test", base_url=double.api_url), store, clock, pacer=pacer)
    channel, _ = gateway.create_channel("inc-15", private=False)
    for i in range(4):
        gateway.post(channel, NOTICE, key=f"paced:{i}")
    assert waits == [1.0, 2.0]  # time stands still here, so the 3rd and 4th wait 1 s and 2 s


def test_a_channel_created_before_a_5xx_is_adopted_not_duplicated(gateway, double):
    double.faults.server_error("conversations.create", status=503, processed=True)  # created, then "failed"
    channel, name = gateway.create_channel("inc-16-db", private=False)
    assert name == "inc-16-db"
    assert [c.id for c in double.model.channels.values() if c.name.startswith("inc-16")] == [channel]


def test_a_channel_created_before_a_5xx_is_never_duplicated_while_slack_cannot_say_who_the_bot_is(gateway, double):
    """Adopting the channel needs the bot's own id (auth.test) to know the channel is its own. With auth.test
    failing too, the id was taken as "" and the channel as someone else's: the next attempt made inc-18-db-2, a
    second channel for one incident. Now the attempt fails as transient (the outbox tries again later)."""
    double.faults.add("auth.test", Fault(error="fatal_error"))
    double.faults.server_error("conversations.create", status=503, processed=True)  # created, then "failed"
    with pytest.raises(ChatError) as failed:
        gateway.create_channel("inc-18-db", private=False)
    assert failed.value.transient
    assert [c.name for c in double.model.channels.values() if c.name.startswith("inc-18")] == ["inc-18-db"]
    channel, name = gateway.create_channel("inc-18-db", private=False,  # Slack answers again: adopted
                                           adopt_since=gateway.clock.now() - timedelta(minutes=1))
    assert name == "inc-18-db" and [c.id for c in double.model.channels.values()
                                    if c.name.startswith("inc-18")] == [channel]


def test_someone_elses_channel_is_never_adopted_after_a_5xx(gateway, double):
    other = double.model.add_channel("inc-17-db", members=["U0SOMEONE"])
    other.creator = "U0SOMEONE"
    double.faults.server_error("conversations.create", status=503)  # not processed: nothing created
    channel, name = gateway.create_channel("inc-17-db", private=False)
    assert name == "inc-17-db-2" and channel != other.id


def test_user_groups_a_notice_names_are_mentioned_so_slack_notifies_them(gateway, double):
    group = double.model.add_usergroup("security-team")
    channel, _ = gateway.create_channel("inc-16", private=False)
    notice = Notice(kind="announcement", title="INC-16 declared", mention_groups=("security-team", "unknown-team"))
    gateway.post(channel, notice, key="feed:16")
    [message] = double.model.messages_in(channel)
    text = json.dumps(message.blocks)
    assert f"<!subteam^{group}>" in text  # a real mention: its members are notified
    assert "@unknown-team" in text and "subteam^@" not in text  # a group Slack does not know stays plain text


def test_without_the_usergroups_scope_groups_are_named_as_text(gateway, double):
    double.faults.error("usergroups.list", "missing_scope")
    channel, _ = gateway.create_channel("inc-17", private=False)
    gateway.post(channel, Notice(kind="announcement", title="INC-17", mention_groups=("security-team",)), key="k17")
    [message] = double.model.messages_in(channel)
    assert "@security-team" in json.dumps(message.blocks) and "subteam" not in json.dumps(message.blocks)


def test_the_outbox_retries_a_post_whose_user_groups_could_not_be_listed(double, store, clock):
    # A 5xx on usergroups.list used to be remembered for 15 minutes as "no groups": every announcement in
    # that time named the groups as text, notifying nobody. The outbox worker's row now tries again, mention
    # and all, and records the failure like any other.
    from bot.slack.client import make_worker_client

    group = double.model.add_usergroup("security-team")
    worker = SlackGateway(make_worker_client("xoxb-test", base_url=double.api_url), store, clock, send_attempts=1,
                          record_sends=False)
    channel, _ = worker.create_channel("inc-18", private=False)
    double.faults.server_error("usergroups.list", times=1, status=503)
    notice = Notice(kind="announcement", title="INC-18 declared", mention_groups=("security-team",))
    with pytest.raises(ChatError) as failed:
        worker.post(channel, notice, key="feed:18")
    assert failed.value.transient and "user groups" in str(failed.value)
    assert double.model.messages_in(channel) == []
    worker.post(channel, notice, key="feed:18")  # the row's next attempt
    [message] = double.model.messages_in(channel)
    assert f"<!subteam^{group}>" in json.dumps(message.blocks)


def test_a_listener_names_groups_as_text_once_when_slack_cannot_list_them_and_asks_again(double, store, clock):
    group = double.model.add_usergroup("security-team")
    client = make_client("xoxb-test", base_url=double.api_url, sleep=lambda s: None)
    gateway = SlackGateway(client, store, clock, backoff=0.0, sleep=lambda s: None)
    channel, _ = gateway.create_channel("inc-19", private=False)
    double.faults.server_error("usergroups.list", times=10, status=503)  # more than the client's own retries
    notice = Notice(kind="announcement", title="INC-19", mention_groups=("security-team",))
    gateway.post(channel, notice, key="k19a")
    double.faults.clear()
    gateway.post(channel, notice, key="k19b")
    first, second = double.model.messages_in(channel)
    assert "subteam" not in json.dumps(first.blocks) and f"<!subteam^{group}>" in json.dumps(second.blocks)
