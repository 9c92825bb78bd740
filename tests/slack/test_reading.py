"""What a person reads in Slack: escaping once, names not ids, times in the reader's zone to the minute,
channel links, words not stored values, the snooze button, unknown severities, bidi controls.

The bolt app and the services run in this process against the Slack double (the ``world`` fixture);
the test clock stands at Mon 2026-03-02 09:00 UTC.  The reporter (U0REPORT1, "riley") reads in
Europe/Berlin (CET = UTC+1); every other user the double meets lives in UTC.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from bot.scheduling.notices import page_notice
from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.test_listeners import ack_text, command, declare, interaction, open_home, replies

RAW_USER_ID = re.compile(r"(?<![@\w])U0[A-Z0-9]{6,}")


def mrkdwn_of(message) -> str:
    return message.text + json.dumps([b for b in message.blocks if b["type"] != "header"], ensure_ascii=False)


def test_slack_escaping_is_decoded_once_on_input_and_escaped_once_on_output(world):
    _, services, double = world
    # Slack sends what the person typed, "a < b & c", escaped: "a &lt; b &amp; c"
    incident, channel = declare(world, "declare sev2 a &lt; b &amp; c")
    assert incident.title == "a < b & c"
    assert channel.name == "inc-1-a-b-c"  # no "lt" or "amp" in the channel name
    welcome = double.model.messages_in(channel.id)[0]
    assert welcome.blocks[0]["text"]["text"] == "INC-1: a < b & c"  # plain text: shown exactly as typed
    assert "a &lt; b &amp; c" in welcome.text  # mrkdwn: escaped exactly once, Slack shows "a < b & c"
    everything = "".join(mrkdwn_of(m) for m in double.model.messages) + "".join(replies(double))
    assert "&amp;lt;" not in everything and "&amp;amp;" not in everything
    declared = double.wait_for(lambda: [r for r in replies(double) if r.startswith("*Declared")], what="the reply")[0]
    assert "a &lt; b &amp; c" in declared


def test_app_home_escapes_the_title_exactly_once(world):
    declare(world, "declare sev2 a &lt; b &amp; c &lt;!channel&gt;")
    home = open_home(world, REPORTER)
    line = next(b["text"]["text"] for b in home["blocks"] if b["type"] == "section" and "INC-1" in b["text"]["text"])
    assert "a &lt; b &amp; c &lt;!channel&gt;" in line  # Slack shows: a < b & c <!channel>, and pings nobody
    assert "<!channel>" not in line and "&amp;lt;" not in line


def test_bidi_controls_are_stripped_from_titles(world):
    _, services, double = world
    incident, channel = declare(world, "declare sev2 Invoice\u202egpj.exe\u202c \u2067x\u2069 failing")
    assert incident.title == "Invoicegpj.exe x failing"
    shown = "".join(json.dumps(m.blocks) + m.text for m in double.model.messages_in(channel.id))
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", shown + channel.topic)


def test_an_unknown_severity_is_named_with_the_valid_ones(world):
    _, _, double = world
    text = ack_text(world, "declare sev9 Checkout is down")
    assert text.startswith('Unknown severity "sev9". Choose one of: security, sev1, sev2, sev3, sev4')
    assert not double.model.views  # the form was not opened as if "sev9" were part of the title
    assert ack_text(world, "declare SEV-0 Checkout is down").startswith('Unknown severity "sev-0"')
    assert ack_text(world, "declare v2 API is down") == ""  # an ordinary first word: the form opens
    double.wait_for(lambda: double.model.views, what="the declare form")


def test_people_are_named_in_the_topic_and_the_feed_and_mentioned_in_refusals(world):
    _, services, double = world
    incident, channel = declare(world)
    double.wait_for(lambda: channel.topic, what="the topic")
    assert "commander: riley" in channel.topic and "U0REPORT1" not in channel.topic
    feed = double.model.channel_by_name("incidents")
    announcement = double.wait_for(lambda: double.model.messages_in(feed.id), what="the announcement")[0]
    fields = [f["text"] for b in announcement.blocks for f in b.get("fields", [])]
    assert "*Commander*\nriley" in fields
    assert f"Channel: <#{channel.id}>" in mrkdwn_of(announcement)  # a link to the channel, not its name
    assert not RAW_USER_ID.search(mrkdwn_of(announcement))
    command(world, "sev sev1 worse", user="U0STRANGR", channel=channel.id)
    refusal = replies(double)[-1]
    assert refusal.startswith("You (<@U0STRANGR>) may not change severity on INC-1.")
    assert "the commander (<@U0REPORT1>)" in refusal and not RAW_USER_ID.search(refusal)


def test_the_escalation_header_names_the_severity_once(world):
    _, services, double = world
    _, channel = declare(world)
    command(world, "sev sev1 payments down too", channel=channel.id)
    feed = double.model.channel_by_name("incidents")
    header = double.wait_for(lambda: [m.blocks[0]["text"]["text"] for m in double.model.messages_in(feed.id)
                                      if "escalated" in m.blocks[0]["text"]["text"]], what="the escalation")[0]
    assert header == "INC-1 escalated to SEV1 - critical"


def test_times_are_in_the_readers_zone_to_the_minute(world):
    _, services, double = world
    _, channel = declare(world, "declare security Laptop stolen")
    command(world, "trigger aware 2026-03-02T08:30:15.123456+01:00", user=ADMIN, channel=channel.id)
    reply = replies(double)[-1]
    # ADMIN reads in UTC: 08:30:15.123456 at UTC+1 is 07:30 UTC, shown to the minute
    assert "aware set to Mon 02 Mar 07:30 UTC" in reply
    assert ".123456" not in reply and "T07:30" not in reply and ":15" not in reply
    command(world, "deadlines", user=REPORTER, channel=channel.id)
    deadlines = replies(double)[-1]
    assert "qualitative" not in deadlines and "open, no fixed deadline" in deadlines  # words, not stored values


def press_snooze(world, obligation_id: int, action_ts: str) -> None:
    interaction(world, {"type": "block_actions", "user": {"id": ADMIN},
                        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "D1"},
                        "channel": {"id": "D1"}, "message": {"ts": "1700000000.000100", "blocks": []},
                        "actions": [{"action_id": "obligation.snooze", "value": f"obligation:{obligation_id}",
                                     "type": "button", "block_id": "b", "action_ts": action_ts}]})


def test_snooze_after_a_snooze_ran_out_counts_from_now(world, clock):
    _, services, double = world
    incident, channel = declare(world, "declare security Laptop stolen")
    command(world, "trigger aware now", user=ADMIN, channel=channel.id)
    gdpr = next(o for o in services.incidents.open_obligations(1) if o.obligation == "gdpr.authority")

    def snoozes() -> int:
        return len([e for e in services.incidents.timeline(1) if e.kind == "obligation.snoozed"])

    press_snooze(world, gdpr.id, "1.1")  # answers are the outbox's: the first line in bold
    assert replies(double)[-1] == "*reminders for gdpr.authority snoozed until Mon 02 Mar 10:00 UTC*"
    press_snooze(world, gdpr.id, "1.1")  # Slack retrying the same press: the same answer, nothing new
    press_snooze(world, gdpr.id, "1.2")  # a double click: the snooze running now already ends then
    assert replies(double)[-1] == "*reminders for gdpr.authority are already snoozed until Mon 02 Mar 10:00 UTC*"
    assert snoozes() == 1
    clock.advance(hours=2)  # the snooze ran out at 10:00; it is 11:00, the same message is pressed again
    press_snooze(world, gdpr.id, "2.1")
    assert replies(double)[-1] == "*reminders for gdpr.authority snoozed until Mon 02 Mar 12:00 UTC*"
    assert snoozes() == 2
    snoozed = next(o for o in services.incidents.obligations(1) if o.id == gdpr.id).snoozed_until
    assert snoozed == clock.now() + timedelta(hours=1)


def test_a_page_says_why_in_words():
    class Incident:
        id, number, title, severity, channel_id = 9, 4, "Checkout down", "sev2", "C0INCIDENT4"

    notice = page_notice(Incident(), page_id=1, key="k", person="U0ANNA001", reason="on_call", urgency="high")
    assert "Why you: you are on call for this service." in notice.lines
    assert ("Channel", "C0INCIDENT4") in notice.fields  # rendered as a link <#C0INCIDENT4>
