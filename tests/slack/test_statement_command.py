"""``/incident statement`` through the listeners (in-process against the Slack double): the security playbook's
comms lead drafts, legal or the commander signs off with the request's own Approve button, never the drafter; the
channel is told what was published and who signed it off."""

from __future__ import annotations

from bot.slack.mrkdwn import escape
from tests.slack.conftest import REPORTER
from tests.slack.test_listeners import ack_text, button, command, declare, replies
from tests.slack.test_e2e_lifecycle import kind, messages_with_button

COMMS, READER = "U0COMMS01", "U0READER1"  # the comms lead; the scribe
TEXT = "We are investigating access to <script>alert(1)</script> & our e-mail service."


def test_the_comms_lead_drafts_the_commander_signs_off_and_the_channel_is_told(world):
    _, services, double = world
    incident, channel = declare(world, "declare security Customer data exposed in a public bucket")
    assert command(world, f"role comms_lead <@{COMMS}|cam>", channel=channel.id) == 200
    assert command(world, f"role scribe <@{READER}|rea>", channel=channel.id) == 200  # reads the private incident

    command(world, "statement investigating We are looking into it.", user=READER, channel=channel.id)
    refusal = replies(double)[-1]
    assert "may not draft statement" in refusal and "comms lead" in refusal
    assert services.incidents.published_statements() == []

    command(world, f"statement investigating {escape(TEXT)}", user=COMMS, channel=channel.id)  # as Slack sends it
    ((message, value),) = messages_with_button(double, "request.approve")
    assert message.channel == channel.id
    assert button(world, COMMS, "request.approve", value) == 200
    assert "cannot approve it too" in replies(double)[-1]
    assert services.incidents.published_statements() == []

    assert button(world, REPORTER, "request.approve", value) == 200
    (published,) = services.incidents.published_statements()
    assert (published.status, published.text) == ("investigating", TEXT)
    (post,) = [m for m in double.model.messages_in(channel.id) if kind(m) == "statement_published"]
    shown = post.text + str(post.blocks)
    assert escape(TEXT) in shown and "<script>" not in shown  # escaped once for Slack
    assert "signed off by" in shown


def test_a_statement_without_status_or_text_is_answered_with_the_usage(world):
    _, _, double = world
    incident, channel = declare(world)
    answer = ack_text(world, "statement investigating", channel=channel.id)
    assert "Give the status and the statement's text." in answer and "/incident statement" in answer
    command(world, "statement fixed All good now.", user=REPORTER, channel=channel.id)
    assert "one of investigating, identified, monitoring, resolved" in replies(double)[-1]
