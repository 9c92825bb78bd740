"""The drill pages beyond Slack: SMS and calls through the Twilio double, an acknowledgement by SMS reply.

Expectations derived by hand from the shipped configuration (config/people.yaml, config/rotas.yaml and the
security playbook), not from the drill's output:

* The breach is declared at 02:00 CET on 25 Dec; anna is paged at level 1 (high urgency) and, in this story,
  answers nothing. The organisation's rule (``notification_rules.high``) is Slack at once, SMS after 2 min and
  a call after 5: SMS at 02:02, call at 02:05.
* Level 1's ack timeout is 5 min: at 02:05 the page escalates to the deputy, carla. Her own rule (``notify``,
  tighter than the organisation's and so allowed) is Slack at once, SMS after 1 min, calls after 2 and 5 min:
  SMS at 02:06, call at 02:07, a second call due 02:10.
* The drill's people answer 3 minutes after the page reached them (bot/drill/responders.py): carla at 02:08.
  Her call has rung by then, so she answers on the phone's channel: she replies "ack 2" by SMS (page 2 is
  the second page of the incident). Twilio posts the reply, signed, to the bot's webhook; the answer is the
  bot's TwiML reply. Her second call (02:10) is cancelled as acknowledged, and no third level is paged.
"""

from __future__ import annotations

import re

import io
from datetime import timedelta

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.drill.runner import DrillOptions, run_drill
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def shipped():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


def test_the_rules_the_story_relies_on_are_the_shipped_ones(shipped):
    people = shipped.one("people")
    org = [(s.method, s.after) for s in people.notification_rules.high]
    assert org == [("slack", timedelta(0)), ("sms", timedelta(minutes=2)), ("voice", timedelta(minutes=5))]
    carla = next(p for p in people.people if p.id == "carla")
    assert [(s.method, s.after) for s in carla.notify.high] == [
        ("slack", timedelta(0)), ("sms", timedelta(minutes=1)), ("voice", timedelta(minutes=2)),
        ("voice", timedelta(minutes=5))]


def test_a_page_goes_from_slack_to_sms_to_a_call_and_is_acknowledged_by_sms_reply(shipped, database_url,
                                                                                   monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    outcome = run_drill(shipped, DrillOptions(database_url=database_url), out)
    text = out.getvalue()
    assert outcome.closed and outcome.chain_ok

    expected = [
        "[Fri 25 Dec 02:00 CET] DM to anna\n    Page: INC-1",
        "[Fri 25 Dec 02:02 CET] SMS to anna (+44770****001)\n    INC-1 security high urgency: ",
        "[Fri 25 Dec 02:05 CET] call to anna (+44770****001)\n    says: Incident page for INC-1, security, high "
        "urgency: ",
        "[Fri 25 Dec 02:05 CET] DM to carla\n    Page: INC-1",
        "[Fri 25 Dec 02:06 CET] SMS to carla (+44770****003)\n    INC-1 security high urgency: ",
        "[Fri 25 Dec 02:07 CET] call to carla (+44770****003)\n    says: Incident page for INC-1",
        "[Fri 25 Dec 02:08 CET] SMS from carla (+44770****003)\n    ack 2\n"
        "    answer: Carla Huber acknowledged the page for INC-1.",
        "[Fri 25 Dec 02:08 CET] pager: a call to carla of page 2 not made\n"
        "    due Fri 25 Dec 02:10 CET, cancelled: acknowledged",
        "[Fri 25 Dec 02:08 CET] #inc-1-sec\n    Carla Huber acknowledged the page for INC-1",
    ]
    at = [text.find(line) for line in expected]
    missing = [line for line, i in zip(expected, at) if i < 0]
    assert not missing, missing
    assert at == sorted(at), "the steps are told in the order they happened"
    # the SMS tells how to answer it, with the page's number
    assert "Reply 'ack 2' to take it or 'decline 2 <reason>'" in text
    # nothing more goes out to either of them once carla has acknowledged, and nobody else is paged
    after = text[at[-1]:]
    assert "SMS to " not in after and "call to " not in after
    assert "Escalating INC-1" not in after
    # the page record in the summary: which methods, when due, and what became of each
    summary = text[text.index("Each page beyond Slack"):text.index("Legal notification deadlines")]
    assert [line.strip() for line in summary.splitlines()[2:] if line.strip()] == [
        "page 1 to anna: SMS due Fri 25 Dec 02:02 CET (after 2 min): sent Fri 25 Dec 02:02 CET",
        "page 1 to anna: call due Fri 25 Dec 02:05 CET (after 5 min): sent Fri 25 Dec 02:05 CET",
        "page 2 to carla: SMS due Fri 25 Dec 02:06 CET (after 1 min): sent Fri 25 Dec 02:06 CET",
        "page 2 to carla: call due Fri 25 Dec 02:07 CET (after 2 min): sent Fri 25 Dec 02:07 CET",
        "page 2 to carla: call due Fri 25 Dec 02:10 CET (after 5 min): cancelled (acknowledged)",
    ]
    # carla's acknowledgement is the one the rest story counts from (02:08 CET = 01:08 UTC), shown like every
    # other time of the drill in the reader's zone (settings.yaml: Europe/Berlin, CET in December)
    assert "level 2: carla acked, acknowledged Fri 25 Dec 02:08 CET" in text
    # the story records the GDPR authority notified on Sun 27 Dec at 02:20 CET, as the channel was told; no time
    # of the summary is left in ISO form
    assert re.search(r"gdpr\.authority -> .*; met, notified Sun 27 Dec 02:20 CET ref GDPR-", text)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", text[text.index("SUMMARY of INC-1"):text.index("Rest after call-outs")])
