"""End to end after the declaration: paging and acknowledgement, severity change, resolve and close,
deadline nudges and marking a notification done, and Slack rate limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.clock import ManualClock, SystemClock
from bot.config.loader import ConfigPaths, load_config
from bot.slack.client import make_client
from bot.slack.gateway import SlackGateway
from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.harness import SlackSender, text_value

pytestmark = pytest.mark.slow


def sender(bot, double) -> SlackSender:
    return SlackSender(f"{bot.url}/slack/events", f"{double.url}/webhook")


def incident_channel(double, prefix: str = "inc-1"):
    channel = double.wait_for(lambda: next((c for c in double.model.channels.values() if c.name.startswith(prefix)),
                                           None), what=f"a channel named {prefix}…")
    double.wait_for(lambda: REPORTER in channel.members and double.model.messages_in(channel.id),
                    what="the channel to become usable")
    return channel


def messages_with_button(double, action_id: str):
    found = []
    for message in list(double.model.messages):
        for block in message.blocks:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    found.append((message, element["value"]))
    return found


def kind(message) -> str | None:
    return ((message.metadata or {}).get("event_payload") or {}).get("kind")


def replies(double) -> list[str]:
    return [w.body.get("text", "") for w in double.webhooks()]


def test_page_is_sent_and_acknowledged_once(bot_with_scheduler, double, store):
    from bot.oncall.tables import Page

    slack = sender(bot_with_scheduler, double)
    slack.command("declare sev2 Checkout is down", user=REPORTER)
    message, value = double.wait_for(lambda: messages_with_button(double, "page.ack"), timeout=20,
                                     what="a page with an Acknowledge button")[0]
    assert value.startswith("page:")
    assert "INC-1" in message.text and "Checkout is down" in json.dumps(message.blocks)
    paged = next(u for u in double.model.channels[message.channel].members if u != "UBOT00001")
    for _ in range(2):  # a double click
        assert slack.button(user=paged, channel=message.channel, message=message.as_json(with_metadata=False),
                            action_id="page.ack", value=value).status == 200
    double.wait_for(lambda: message.edits >= 1, what="the page message to show the acknowledgement")
    assert "Acknowledged by you" in json.dumps(message.blocks)
    assert all(m is not message for m, _ in messages_with_button(double, "page.ack"))  # buttons gone
    page_id = int(value.split(":")[1])
    with store.session() as s:
        page = s.get(Page, page_id)
        assert page.status == "acked" and page.acked_at is not None
        acked_events = s.exec(select(TimelineEvent).where(TimelineEvent.kind.contains("ack"))).all()
    assert len(acked_events) == 1  # the second click changed nothing


def test_severity_change_is_announced_and_open_duties_block_closing(slack, double):
    slack.command("declare sev3 Search is slow", user=REPORTER)
    channel = incident_channel(double, "inc-1-search-is-slow")
    slack.command("sev sev1", user="U0STRANGR", channel=channel.id)  # not the commander
    refusal = double.wait_for(lambda: [r for r in replies(double) if "commander" in r.lower()], what="a refusal")
    assert not [m for m in double.model.messages_in(channel.id) if kind(m) == "severity_change"], refusal
    slack.command("sev sev2 customers now notice", user=REPORTER, channel=channel.id)
    change = double.wait_for(lambda: [m for m in double.model.messages_in(channel.id) if kind(m) == "severity_change"],
                             what="the severity change message")
    assert "SEV2" in change[0].text.upper()
    # SEV2's playbook notifies #support-escalations on escalation
    escalations = double.model.channel_by_name("support-escalations")
    double.wait_for(lambda: double.model.messages_in(escalations.id), what="the escalation notification")
    # SEV2 considers NIS2: its duties must be settled before the incident can be closed
    slack.command("resolve fixed", user=REPORTER, channel=channel.id)
    slack.command("close done", user=REPORTER, channel=channel.id)
    blocked = double.wait_for(lambda: [r for r in replies(double) if "open notification duties" in r],
                              what="the refusal to close")[0]
    assert "nis2" in blocked


def test_resolve_and_close(slack, double):
    slack.command("declare sev3 Search is slow", user=REPORTER)
    channel = incident_channel(double, "inc-1-search-is-slow")
    slack.command("resolve cache warmed, latency normal", user=REPORTER, channel=channel.id)
    double.wait_for(lambda: any("resolved" in r.lower() for r in replies(double)), what="the resolve reply")
    slack.command("close Root cause: cold cache after deploy. Follow-ups filed.", user=REPORTER, channel=channel.id)
    double.wait_for(lambda: any("closed" in r.lower() for r in replies(double)), what="the close reply")
    closing = double.wait_for(lambda: [m for m in double.model.messages_in(channel.id)
                                       if "hash" in (m.text + json.dumps(m.blocks)).lower()],
                              what="the audit head hash posted on close")
    assert closing


def test_deadline_nudge_and_marking_notified(slack, double, store, tmp_path):
    from bot.deadlines.tables import Obligation
    from bot.scheduling.delivery import Dispatcher

    slack.command("declare security Customer data exposed in a public bucket", user=REPORTER)
    channel = incident_channel(double)
    slack.command(f"role legal <@{ADMIN}|ada>", user=REPORTER, channel=channel.id)
    slack.command(f"role comms_lead <@{ADMIN}|ada>", user=REPORTER, channel=channel.id)
    slack.command("trigger aware now", user=ADMIN, channel=channel.id)  # starts the legal clocks (GDPR: 72 h)

    def gdpr_clock_started():
        with store.session() as s:
            return s.exec(select(Obligation).where(Obligation.obligation_id == "gdpr.authority",
                                                   Obligation.due_at.is_not(None))).first()

    gdpr = double.wait_for(gdpr_clock_started, what="the GDPR clock to start")
    # The scheduler process delivers nudges through the Slack gateway; run its dispatcher here with
    # time moved on by 50 hours so the first reminders of a 72-hour obligation are due.
    config = load_config(ConfigPaths(tmp_path / "config", tmp_path / "playbooks"))
    later = ManualClock(SystemClock().now() + timedelta(hours=50))
    chat = SlackGateway(make_client("xoxb-test", base_url=double.api_url), store, later)
    Dispatcher(store, lambda: config, chat, later).run_due()
    message, value = double.wait_for(lambda: [(m, v) for m, v in messages_with_button(double, "obligation.notified")
                                              if v == f"obligation:{gdpr.id}"], what="the GDPR deadline nudge")[0]
    text = json.dumps(message.blocks)
    assert "UTC" in text  # due time in the reader's zone and in UTC
    assert slack.button(user=ADMIN, channel=message.channel, message=message.as_json(with_metadata=False),
                        action_id="obligation.notified", value=value).status == 200
    view = double.wait_for(lambda: [v for v in double.model.views if v["callback_id"] == "obligation.notified"],
                           what="the mark-notified form")[0]
    assert view["private_metadata"] == value
    values = {"reference": text_value("DPA-2026-0042"), "evidence": {"value": {"type": "url_text_input",
                                                                              "value": "https://evidence.example/1"}}}
    assert slack.view_submission(user=ADMIN, view=view, values=values).status == 200
    obligation_id = int(value.split(":")[1])

    def notified():
        with store.session() as s:
            row = s.get(Obligation, obligation_id)
            return row if row.status == "notified" else None

    row = double.wait_for(notified, what="the obligation to be marked notified")
    assert row.reference == "DPA-2026-0042" and row.evidence_url == "https://evidence.example/1"


def test_burst_of_429s_still_delivers_everything_exactly_once(slack, double):
    for method in ("conversations.create", "conversations.invite", "chat.postMessage", "pins.add",
                   "bookmarks.add", "conversations.setTopic"):
        double.faults.rate_limit(method, times=2, retry_after=0)
    slack.command("declare sev2 Checkout is down", user=REPORTER)
    channel = incident_channel(double, "inc-1-checkout")
    double.wait_for(lambda: channel.pins and channel.topic and channel.bookmarks, timeout=20,
                    what="pin, topic and bookmark despite 429s")
    feed = double.model.channel_by_name("incidents")
    double.wait_for(lambda: double.model.messages_in(feed.id), timeout=20, what="the feed announcement")
    assert len(double.calls("chat.postMessage", ok=False)) >= 2  # the 429s really happened
    assert len([c for c in double.model.channels.values() if c.name.startswith("inc-")]) == 1
    keys = [m.metadata["event_payload"]["key"] for m in double.model.messages if m.metadata]
    assert len(keys) == len(set(keys))  # no message twice
    assert len(double.model.messages_in(feed.id)) == 1


def test_the_bots_own_scheduler_nudges_about_the_gdpr_deadline(fast_bot, double):
    """No in-test dispatcher: the bot process (serve with its scheduler, on fast simulated time) delivers
    the nudge. GDPR Art. 33: 72 h from awareness; the security playbook's first nudge comes well before."""
    slack = SlackSender(f"{fast_bot.url}/slack/events", f"{double.url}/webhook")
    slack.command("declare security Customer data exposed in a public bucket", user=REPORTER)
    channel = incident_channel(double)
    slack.command(f"role legal <@{ADMIN}|ada>", user=REPORTER, channel=channel.id)
    slack.command("fact gdpr_in_scope true", user=ADMIN, channel=channel.id)
    slack.command("fact personal_data_breach true", user=ADMIN, channel=channel.id)
    slack.command("fact gdpr_role controller", user=ADMIN, channel=channel.id)
    # Aware when the simulated clock started, before the declaration: at 20,000x, "now" would be hours after the
    # declaration, and a first legal clock set well after the declaration waits for a second person's approval.
    slack.command(f"trigger aware {fast_bot.clock_start}", user=ADMIN, channel=channel.id)
    nudges = double.wait_for(
        lambda: [m for m in double.model.messages_in(channel.id)
                 if "gdpr.authority" in json.dumps(m.blocks) and "obligation.notified" in json.dumps(m.blocks)],
        timeout=30, what="a GDPR deadline nudge delivered by the bot's own scheduler")
    text = json.dumps(nudges[0].blocks)
    assert f"<@{ADMIN}>" in text  # the legal counsel is mentioned
    assert "UTC" in text and "Art. 33" in text
    keys = [m.metadata["event_payload"]["key"] for m in double.model.messages if m.metadata]
    assert len(keys) == len(set(keys))  # every message exactly once
