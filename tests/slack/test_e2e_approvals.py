"""In Slack: a commander's fact that turns a legal duty off is only a request; the requester's own Approve is
refused, a second permitted person's Approve applies it."""

from __future__ import annotations

import pytest

from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.test_e2e_lifecycle import incident_channel, messages_with_button, replies

pytestmark = pytest.mark.slow


def test_a_duty_removing_fact_waits_for_a_second_person(bot, slack, double, store):
    from bot.deadlines.tables import Obligation
    from sqlmodel import select

    def ca_status():
        with store.session() as s:
            return s.exec(select(Obligation.status).where(Obligation.obligation_id == "us_state_ca.residents")).one()

    slack.command("declare security Customer data exposed in a public bucket", user=REPORTER)
    channel = incident_channel(double)
    assert ca_status() == "open"  # assumed until personal_information_breach is known
    slack.command("fact personal_information_breach no", user=REPORTER, channel=channel.id)
    double.wait_for(lambda: any("needs a reason" in r for r in replies(double)), what="the request for a reason")
    slack.command("fact personal_information_breach no because the bucket held only product images",
                  user=REPORTER, channel=channel.id)
    message, value = double.wait_for(lambda: messages_with_button(double, "request.approve"), timeout=20,
                                     what="an approval request with an Approve button")[0]
    assert ca_status() == "open"
    slack.button(user=REPORTER, channel=message.channel, message=message.as_json(with_metadata=False),
                 action_id="request.approve", value=value)
    double.wait_for(lambda: any("cannot approve it too" in r for r in replies(double)), what="the refusal")
    assert ca_status() == "open"
    slack.button(user=ADMIN, channel=message.channel, message=message.as_json(with_metadata=False),
                 action_id="request.approve", value=value)
    double.wait_for(lambda: ca_status() == "not_applicable", what="the approved change to apply")
