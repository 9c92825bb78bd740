"""End to end: the bot as a real process, Slack's requests signed as Slack signs them, Slack itself a double.

Every assertion is on what the Slack double received.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.conftest import REPORTER
from tests.slack.harness import oversized_request, select_value, sign, text_value

pytestmark = pytest.mark.slow


def incident_channel(double, prefix: str):
    return double.wait_for(lambda: next((c for c in double.model.channels.values() if c.name.startswith(prefix)), None),
                           what=f"a channel named {prefix}…")


def member(double, channel, user: str) -> None:
    double.wait_for(lambda: user in channel.members, what=f"{user} in #{channel.name}")


def replies(double) -> list[str]:
    return [w.body.get("text", "") for w in double.webhooks()]


def test_declare_by_command_opens_a_usable_channel_and_pings_nobody(slack, double):
    response = slack.command("declare sev2 Checkout is down <!channel> <!here>", user=REPORTER)
    assert response.status == 200
    channel = incident_channel(double, "inc-1-checkout-is-down")
    member(double, channel, REPORTER)
    assert not channel.is_private
    first = double.wait_for(lambda: double.model.messages_in(channel.id), what="the welcome message")[0]
    assert "INC-1" in first.text
    double.wait_for(lambda: channel.pins and channel.topic and channel.bookmarks, what="pin, topic and bookmarks")
    assert channel.topic.startswith("INC-1") and len(channel.topic) <= 250
    feed = double.model.channel_by_name("incidents")
    announced = double.wait_for(lambda: double.model.messages_in(feed.id), what="the feed announcement")
    double.wait_for(lambda: any("*Declared INC-1 (SEV2)" in r and "Join <#" in r for r in replies(double)), what="the reply to the reporter")
    # The title's <!channel> and <!here> reach Slack escaped: shown as text, pinging nobody.
    for message in double.model.messages_in(channel.id) + announced:
        raw = message.text + json.dumps([b for b in message.blocks if b["type"] != "header"])
        assert "<!channel>" not in raw and "<!here>" not in raw
    assert "&lt;!channel&gt;" in first.text


def test_declare_by_modal(slack, double):
    assert slack.command("declare", user=REPORTER).status == 200
    view = double.wait_for(lambda: double.model.views, what="the declare form")[0]
    assert view["callback_id"] == "incident.declare"
    shown = json.dumps(view["blocks"])
    assert "SEV1" in shown and "security" in shown.lower()  # each severity's criteria are on the form
    refused = slack.view_submission(user=REPORTER, view=view, values={"severity": select_value("sev3")})
    assert refused.status == 200 and refused.json()["response_action"] == "errors"
    assert "title" in refused.json()["errors"]  # the form stays open with the problem next to the field
    values = {"severity": select_value("sev3"), "title": text_value("Search is slow"),
              "description": text_value("p95 above 2 s since 09:00")}
    assert slack.view_submission(user=REPORTER, view=view, values=values).status == 200
    channel = incident_channel(double, "inc-1-search-is-slow")
    member(double, channel, REPORTER)


def test_private_security_incident_keeps_details_out_of_the_feed(slack, double):
    slack.command("declare security Customer data exposed in S3 bucket", user=REPORTER)
    channel = incident_channel(double, "inc-1")
    assert channel.is_private and channel.id.startswith("G")
    feed = double.model.channel_by_name("incidents")
    announced = double.wait_for(lambda: double.model.messages_in(feed.id), what="the feed announcement")
    assert "S3" not in announced[0].text and "S3" not in json.dumps(announced[0].blocks)


def test_channel_name_collision_and_the_80_character_limit(slack, double):
    taken = double.model.add_channel("inc-1-db-down")
    slack.command("declare sev3 db down", user=REPORTER)
    channel = incident_channel(double, "inc-1-db-down-")
    assert channel.name == "inc-1-db-down-2" and channel.id != taken.id
    member(double, channel, REPORTER)
    assert REPORTER not in taken.members  # never reused
    title = "the payment provider callback endpoint returns intermittent gateway timeouts for card payments in europe"
    slack.command(f"declare sev3 {title}", user=REPORTER)
    long_one = incident_channel(double, "inc-2-the-payment")
    assert len(long_one.name) <= 80


def test_retried_slash_command_declares_once(slack, double):
    body = slack.command_body("declare sev3 Retried request", user=REPORTER, trigger_id="777.888.retry")
    first = slack.post(body, "application/x-www-form-urlencoded")
    again = slack.post(body, "application/x-www-form-urlencoded",
                       headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status == 200 and again.status == 200
    incident_channel(double, "inc-1-retried-request")
    feed = double.model.channel_by_name("incidents")
    double.wait_for(lambda: double.model.messages_in(feed.id), what="the announcement")
    answered = double.wait_for(lambda: [w for w in double.webhooks() if "Declared INC-1" in w.body.get("text", "")],
                               what="the answer")
    late = slack.post(body, "application/x-www-form-urlencoded",  # a retry long after the channel exists
                      headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    assert late.status == 200
    time.sleep(0.5)  # give a duplicate every chance to appear
    assert len([c for c in double.model.channels.values() if c.name.startswith("inc-")]) == 1
    assert len(double.calls("conversations.create", ok=True)) == 1
    assert len(double.model.messages_in(feed.id)) == 1
    # One answer for the command however often Slack sent it, and it is never "being declared".
    assert len({w.path for w in double.webhooks()}) == 1 and len(double.webhooks()) == 1
    assert "Join <#" in answered[0].body["text"] and "being declared" not in answered[0].body["text"]


def test_a_retried_refusal_is_answered_once(slack, double):
    body = slack.command_body("status all fine", user=REPORTER, trigger_id="555.666.refused")
    for retry in range(3):
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        assert slack.post(body, "application/x-www-form-urlencoded", headers=headers).status == 200
    double.wait_for(lambda: double.webhooks(), what="the refusal")
    time.sleep(0.5)
    assert len(double.webhooks()) == 1 and "not an incident channel" in double.webhooks()[0].body["text"]


def test_forged_stale_malformed_and_oversized_requests_are_refused_by_the_served_bot(slack, double, bot):
    body = slack.command_body("declare sev3 forged", user=REPORTER)
    forged = slack.post(body, "application/x-www-form-urlencoded", signature=sign(body, int(time.time()), "wrong"))
    assert forged.status == 401
    old = int(time.time()) - 301  # bolt accepts at most 5 minutes of clock difference
    stale = slack.post(body, "application/x-www-form-urlencoded", timestamp=old, signature=sign(body, old))
    assert stale.status == 401
    not_a_time = slack.post(body, "application/x-www-form-urlencoded", headers={"X-Slack-Request-Timestamp": "soon"})
    assert not_a_time.status == 401
    assert slack.post(b"\xff\xfe", "application/x-www-form-urlencoded").status == 400  # signed, not UTF-8
    status, _ = oversized_request(bot.port, 20 * 1024 * 1024)
    assert status.startswith("HTTP/1.1 413"), status
    assert slack.command("help", user=REPORTER).status == 200  # the server went on
    assert not double.calls("conversations.create") and not double.calls("chat.postMessage")
    assert double.webhooks() == []  # the response_url in the refused bodies was never called
    assert "Traceback" not in bot.log()


def test_errors_are_ephemeral_specific_and_show_the_usage(slack, double):
    response = slack.command("role commander jane", user=REPORTER)
    assert response.status == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral" and "is not a person" in reply["text"]
    assert "/incident role &lt;role&gt; @person" in reply["text"]
    slack.command("status all fine", user=REPORTER, channel="CGENERAL1")
    outside = double.wait_for(lambda: replies(double), what="the reply")[0]
    assert "not an incident channel" in outside and "INC-42" in outside
