"""The Slack double behaves like Slack where the bot depends on it, over real HTTP."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.double import BOT_USER_ID, SlackDouble


@pytest.fixture
def double():
    with SlackDouble() as d:
        d.model.add_user("UALICE001", "alice", "Europe/Berlin")
        d.model.add_user("UBOB00001", "bob", "America/New_York")
        yield d


@pytest.fixture
def client(double) -> WebClient:
    return WebClient(token="xoxb-test", base_url=double.api_url)


def test_listens_on_loopback_with_a_free_port(double):
    assert double.url.startswith("http://127.0.0.1:")
    assert not double.url.endswith(":0")


def test_auth_test_and_users_info_with_timezone(client):
    assert client.auth_test()["user_id"] == BOT_USER_ID
    assert client.users_info(user="UALICE001")["user"]["tz"] == "Europe/Berlin"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="UNOBODY01")
    assert err.value.response["error"] == "user_not_found"


def test_channel_names_are_unique_and_validated(client):
    created = client.conversations_create(name="inc-1-db-down")["channel"]
    assert created["id"].startswith("C")
    for name, code in [("inc-1-db-down", "name_taken"), ("x" * 81, "invalid_name_maxlength"),
                       ("Has Spaces", "invalid_name_specials")]:
        with pytest.raises(SlackApiError) as err:
            client.conversations_create(name=name)
        assert err.value.response["error"] == code
    private = client.conversations_create(name="inc-2-breach", is_private=True)["channel"]
    assert private["is_private"] is True and private["id"].startswith("G")


def test_members_topics_pins_bookmarks(client, double):
    channel = client.conversations_create(name="inc-3")["channel"]["id"]
    client.conversations_invite(channel=channel, users=["UALICE001"])
    with pytest.raises(SlackApiError) as err:
        client.conversations_invite(channel=channel, users=["UALICE001"])
    assert err.value.response["error"] == "already_in_channel"
    assert set(double.model.channels[channel].members) == {BOT_USER_ID, "UALICE001"}
    with pytest.raises(SlackApiError) as err:
        client.conversations_setTopic(channel=channel, topic="t" * 251)
    assert err.value.response["error"] == "too_long"
    client.conversations_setTopic(channel=channel, topic="t" * 250)
    ts = client.chat_postMessage(channel=channel, text="hello")["ts"]
    client.pins_add(channel=channel, timestamp=ts)
    with pytest.raises(SlackApiError) as err:
        client.pins_add(channel=channel, timestamp=ts)
    assert err.value.response["error"] == "already_pinned"
    client.bookmarks_add(channel_id=channel, title="Runbook", type="link", link="https://runbooks.example/db")
    assert double.model.channels[channel].bookmarks[0]["title"] == "Runbook"


def test_messages_keep_metadata_for_history_lookups(client):
    channel = client.conversations_create(name="inc-4")["channel"]["id"]
    first = client.chat_postMessage(channel=channel, text="one",
                                    metadata={"event_type": "incident_bot_message", "event_payload": {"key": "k1"}})["ts"]
    second = client.chat_postMessage(channel=channel, text="two")["ts"]
    assert float(second) > float(first)
    plain = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in plain] == ["two", "one"] and "metadata" not in plain[1]
    full = client.conversations_history(channel=channel, include_all_metadata=True)["messages"]
    assert full[1]["metadata"]["event_payload"]["key"] == "k1"


def test_history_is_read_a_page_at_a_time_by_cursor_and_edits_are_marked(client):
    channel = client.conversations_create(name="inc-5")["channel"]["id"]
    sent = [client.chat_postMessage(channel=channel, text=f"m{n}")["ts"] for n in range(7)]
    client.chat_update(channel=channel, ts=sent[2], text="m2 (changed)")
    first = client.conversations_history(channel=channel, limit=3)
    assert first["has_more"] and first["response_metadata"]["next_cursor"]
    seen, cursor = [m["ts"] for m in first["messages"]], first["response_metadata"]["next_cursor"]
    while cursor:
        page = client.conversations_history(channel=channel, limit=3, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
    assert seen == sent[::-1]  # newest first, each once
    edited = {m["ts"]: m.get("edited") for m in client.conversations_history(channel=channel)["messages"]}
    assert edited[sent[2]]["user"] == BOT_USER_ID and float(edited[sent[2]]["ts"]) > float(sent[6])
    assert all(edited[ts] is None for ts in sent if ts != sent[2])
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel=channel, cursor="not-a-cursor")
    assert err.value.response["error"] == "invalid_cursor"


def test_direct_messages_and_updates(client, double):
    dm = client.conversations_open(users="UBOB00001")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users="UBOB00001")["channel"]["id"] == dm
    ts = client.chat_postMessage(channel=dm, text="page")["ts"]
    client.chat_update(channel=dm, ts=ts, text="page (acknowledged)")
    assert double.model.messages_in(dm)[0].text == "page (acknowledged)"


def test_block_kit_limits_are_enforced(client):
    channel = client.conversations_create(name="inc-5")["channel"]["id"]
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=channel, text="x", blocks=[{"type": "divider"}] * 51)
    assert err.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=channel, text="x",
                                blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}])


def test_scripted_faults_rate_limit_server_error_and_error_code(double, client):
    double.faults.rate_limit("chat.postMessage", times=1, retry_after=7)
    double.faults.server_error("auth.test", status=503)
    double.faults.error("conversations.create", "restricted_action")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0", text="x")
    assert err.value.response.status_code == 429 and err.value.response.headers["Retry-After"] == "7"
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response.status_code == 503
    with pytest.raises(SlackApiError) as err:
        client.conversations_create(name="fine-name")
    assert err.value.response["error"] == "restricted_action"
    assert client.auth_test()["ok"]  # faults are used up
    assert [c.status for c in double.calls("chat.postMessage")] == [429]


def test_latency_applies_to_every_call(double, client):
    import time

    double.faults.latency = 0.1
    started = time.monotonic()
    client.auth_test()
    client.auth_test()
    assert time.monotonic() - started >= 0.2


def test_unauthenticated_calls_are_refused(double):
    anonymous = WebClient(base_url=double.api_url)
    with pytest.raises(SlackApiError) as err:
        anonymous.auth_test()
    assert err.value.response["error"] == "not_authed"


def test_response_url_posts_are_recorded(double):
    import json
    import urllib.request

    request = urllib.request.Request(double.webhook_url("abc"), data=json.dumps({"text": "hi"}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
    assert double.webhooks()[0].body == {"text": "hi"}


def test_an_outage_fails_every_call_for_a_while_then_slack_is_back(double, client):
    import time

    from slack_sdk.webhook import WebhookClient

    client.retry_handlers.clear()
    double.faults.outage(0.4)
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response.status_code == 503
    assert WebhookClient(double.webhook_url("x")).send(text="hi").status_code == 503
    time.sleep(0.5)
    assert client.auth_test()["ok"] and WebhookClient(double.webhook_url("x")).send(text="hi").status_code == 200


def test_a_rate_limit_window_says_when_to_come_back(double, client):
    client.retry_handlers.clear()
    double.faults.rate_limited_for(5, retry_after=30)
    with pytest.raises(SlackApiError) as err:
        client.conversations_create(name="inc-9")
    assert err.value.response.status_code == 429 and err.value.response.headers["Retry-After"] == "30"
    assert double.model.channel_by_name("inc-9") is None


def test_kill_on_call_kills_the_caller_after_slack_did_it(double, client):
    import subprocess
    import sys

    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        double.faults.kill_on_call(victim.pid, nth=2, processed=True)
        client.retry_handlers.clear()
        client.conversations_create(name="inc-10")  # the first call goes through
        with pytest.raises(Exception):
            client.conversations_create(name="inc-11")  # the second is done, then the caller "dies"
        assert victim.wait(10) == -9
        assert double.model.channel_by_name("inc-11") is not None  # Slack did it; nobody heard the answer
        assert [k[:2] for k in double.faults.killed] == [(victim.pid, "conversations.create")]
    finally:
        victim.kill()
