"""End to end: `/incident affects` names what was hit, the channel sees the derived facts with their reasons, and
`/incident confirm` by legal makes one count; a mistyped system gets a helpful answer."""

from __future__ import annotations

import json

import pytest

from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.test_e2e_lifecycle import incident_channel, replies

pytestmark = pytest.mark.slow


def test_affects_derives_and_legal_confirms(slack, double):
    slack.command("declare security Leaked backup credential", user=REPORTER)
    channel = incident_channel(double)
    slack.command("affects backup-stor", user=REPORTER, channel=channel.id)
    double.wait_for(lambda: any('unknown system \\"backup-stor\\"' in json.dumps(r) or 'unknown system "backup-stor"' in r
                                for r in replies(double)), what="the answer to a mistyped system")
    assert any('did you mean "backup-store"' in r for r in replies(double))
    slack.command("affects backup-store", user=REPORTER, channel=channel.id)
    post = double.wait_for(lambda: next((m for m in double.model.messages_in(channel.id)
                                         if "affected systems backup-store" in json.dumps(m.blocks)), None),
                           what="the post listing the derived facts")
    text = json.dumps(post.blocks)
    assert "gdpr_in_scope = true" in text and "backup-store holds personal and payment-card data" in text
    assert "Legal duties now:" in text
    # the commander may not confirm what the systems imply; legal may
    slack.command("confirm residents", user=REPORTER, channel=channel.id)
    double.wait_for(lambda: any("may not confirm fact" in r for r in replies(double)), what="the refusal")
    slack.command(f"role legal <@{ADMIN}|ada>", user=REPORTER, channel=channel.id)
    slack.command("confirm residents", user=ADMIN, channel=channel.id)
    double.wait_for(lambda: any("confirmed residents;" in r for r in replies(double)), what="the confirmation")
    # the channel sees what legal confirmed, why, and the duty list now
    post = double.wait_for(lambda: next((m for m in double.model.messages_in(channel.id)
                                         if "derived facts confirmed" in json.dumps(m.blocks)), None),
                           what="the channel post about the confirmation")
    text = json.dumps(post.blocks)
    assert "residents = {CA: 420}: because" in text and "Legal duties now:" in text
