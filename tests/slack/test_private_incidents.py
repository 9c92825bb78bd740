"""Private incidents through Slack: an outsider asking from #general is told the incident does not exist, a member
of its channel (asked of Slack) reads it, and a bad fact value is refused with the allowed values."""

from __future__ import annotations

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.scheduling.delivery import Dispatcher
from bot.slack.app import build_app
from bot.slack.client import make_client
from bot.slack.double import SlackDouble
from bot.slack.gateway import SlackGateway
from bot.slack.membership import ChannelMembership
from bot.slack.services import SlackServices
from tests.slack.harness import SECRET, make_config
from tests.slack.test_listeners import ADMIN, REPORTER, command, declare, replies

OUTSIDER, GUEST = "U0OUTSID1", "U0GUEST01"


@pytest.fixture
def world(store, clock, tmp_path):
    config_dir, playbooks_dir = make_config(tmp_path, admins=[ADMIN])
    config = load_config(ConfigPaths(config_dir, playbooks_dir))
    with SlackDouble() as double:
        double.model.lenient_users = True
        double.model.add_user(REPORTER, "riley", "Europe/Berlin")
        for name in ("incidents", "support-escalations", "exec-updates", "security-leads"):
            double.model.add_channel(name)
        client = make_client("xoxb-test", base_url=double.api_url, sleep=lambda s: None)
        chat = SlackGateway(client, store, clock, backoff=0.0, sleep=lambda s: None)
        outbox = Dispatcher(store, lambda: config, chat, clock)
        incidents = IncidentService(store, lambda: config, clock, members=ChannelMembership(client).is_member)
        services = SlackServices(incidents=incidents, chat=chat, config=lambda: config, clock=clock,
                                 effects_written=outbox.run_due)
        app = build_app(services, client, signing_secret=SECRET, process_before_response=True)
        yield app, services, double
        services.shutdown()


def test_an_outsider_learns_nothing_and_a_channel_member_reads(world):
    _, services, double = world
    incident, channel = declare(world, "declare security Customer e-mails exported")
    assert incident.private
    for text in ("INC-1 timeline", "INC-1 deadlines", "INC-1 status all good"):
        command(world, text, user=OUTSIDER, channel="CGENERAL1")
        refused = replies(double)[-1]
        command(world, text.replace("INC-1", "INC-9"), user=OUTSIDER, channel="CGENERAL1")
        assert refused == replies(double)[-1].replace("INC-9", "INC-1")  # same words as for no incident at all
        assert "no incident INC-1" in refused and "e-mails" not in refused
    channel.members.append(GUEST)  # invited by hand into the private channel
    command(world, "INC-1 timeline", user=GUEST, channel="CGENERAL1")
    assert "Timeline of INC-1" in replies(double)[-1]


def test_a_fact_value_that_cannot_be_read_is_refused_with_the_allowed_values(world):
    _, services, double = world
    _, channel = declare(world, "declare security Laptop stolen")
    command(world, "fact risk_level hgh", user=ADMIN, channel=channel.id)
    assert 'one of unlikely, risk, high' in replies(double)[-1] and 'did you mean' in replies(double)[-1]
    command(world, "fact personal_data_breach unknown", user=ADMIN, channel=channel.id)
    assert "expected true or false" in replies(double)[-1]
    assert services.incidents.get(1).facts == {}
