"""``/incident mitigated``, ``/incident followup …``, ``/incident review`` and the review buttons, in-process."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.learning.service import LearningService
from bot.slack.command_parser import UsageError, parse_incident
from tests.slack.conftest import REPORTER
from tests.slack.test_listeners import button, command

OLIVIA, BRUNO = "U0OLIVIA1", "U0BRUNO01"  # the product owner and an engineer of config/people.yaml


def _learning(world, store):
    _, services, _ = world
    return LearningService(store, services.config, services.clock)


def test_parser_reads_a_follow_up_with_quotes_typed_on_a_phone(clock):
    cmd = parse_incident('INC-4 followup add \u201cWarm the cache on deploy\u201d owner <@U0BRUNO01|bruno> due 2026-03-20 '
                         'cost 1 day impact "search is slow after each deploy" likelihood likely horizon 6m',
                         clock.now())
    assert cmd.incident == 4 and cmd.args == {
        "action": "add", "title": "Warm the cache on deploy", "owner": "<@U0BRUNO01|bruno>", "due": "2026-03-20",
        "cost": "1 day", "impact": "search is slow after each deploy", "likelihood": "likely", "horizon": "6m"}
    defer = parse_incident("followup defer F-2 until 2026-06-01 because budget decided in Q2", clock.now())
    assert defer.args == {"action": "defer", "followup": "2", "until": "2026-06-01", "reason": "budget decided in Q2"}


@pytest.mark.parametrize("text, problem", [
    ('followup add "x" owner <@U0BRUNO01> due 2026-03-20 cost 1d', "Missing: impact, likelihood."),
    ('followup add "x" owner <@U0BRUNO01> due next week cost 1d impact y likelihood rare',
     'due: expected a day like 2027-03-31, got "next week"'),
    ("followup defer F-2 because no time", "Deferring needs a date and a reason"),
    ("followup accept F-2", "Accept needs a reason"),
    ("review later", '"/incident review" to draft it'),
])
def test_parser_says_what_is_wrong_and_shows_the_usage(text, problem, clock):
    with pytest.raises(UsageError) as caught:
        parse_incident(text, clock.now())
    assert problem in str(caught.value) and "Usage:" in str(caught.value)


def test_mitigated_follow_ups_deferral_by_the_product_owner_and_the_review_button(world, store, clock):
    learning = _learning(world, store)
    assert command(world, "declare sev3 Search is slow") == 200  # the reporter holds the commander role
    clock.set(clock.now() + timedelta(minutes=30))
    assert command(world, "INC-1 mitigated cache warmed by hand") == 200
    assert [m.name for m in learning.milestones(1)] == ["detected", "mitigated"]
    command(world, "INC-1 resolve latency normal")
    due = (clock.now() + timedelta(days=14)).date().isoformat()
    command(world, f'INC-1 followup add "Warm the cache on deploy" owner <@{BRUNO}|bruno> due {due} cost "1 day" '
                   'impact "search is slow after each deploy" likelihood likely')
    [added] = learning.followups_of(1)
    assert (added.title, added.owner, added.proposed_by, added.cost) == ("Warm the cache on deploy", BRUNO, REPORTER,
                                                                         "1 day")
    until = (clock.now() + timedelta(days=90)).date().isoformat()
    command(world, f"INC-1 followup defer F-1 until {until} because budget decided in Q2")  # the proposer: refused
    assert learning.followups_of(1)[0].state == "open"
    command(world, f"INC-1 followup defer F-1 until {until} because budget decided in Q2", user=OLIVIA)
    deferred = learning.followups_of(1)[0]
    assert (deferred.state, deferred.decided_by, deferred.deferred_until) == ("deferred", OLIVIA, until)
    review = learning.review(1)
    assert review is not None and review.owner == REPORTER and review.drafts == 0
    assert button(world, REPORTER, "review.draft", f"review:{review.id}") == 200
    assert learning.review(1).drafts == 1
    assert button(world, REPORTER, "review.done", f"review:{review.id}") == 200
    assert learning.review(1).state == "done"


@pytest.mark.parametrize("text, problem", [
    ('milestone detected 2026-03-02T09:30 reason "alert fired earlier"', "has no UTC offset"),
    ('milestone detected yesterday reason "alert fired earlier"', '"yesterday" is not a time'),
    ("milestone closed 2026-03-02T09:30+01:00 reason x", 'Unknown milestone "closed"'),
    ("milestone detected 2026-03-02T09:30+01:00", 'Say why, after "reason"'),
])
def test_milestone_parser_says_what_is_wrong(text, problem, clock):
    with pytest.raises(UsageError) as caught:
        parse_incident(text, clock.now())
    assert problem in str(caught.value) and "Usage: `/incident milestone" in str(caught.value)


def test_milestone_parser_reads_a_correction_with_a_typographic_quote(clock):
    cmd = parse_incident("INC-2 milestone detected 2026-03-02T08:40+01:00 reason \u201cthe alert fired at 08:40\u201d",
                         clock.now())
    assert cmd.incident == 2 and cmd.args == {"milestone": "detected", "at": "2026-03-02T08:40:00+01:00",
                                              "reason": "the alert fired at 08:40"}


def test_milestone_correction_from_slack_is_on_the_chain_and_refused_to_others(world, store, clock):
    learning = _learning(world, store)
    _, _, double = world
    assert command(world, "declare sev3 Search is slow") == 200  # 2026-03-02 09:00 UTC; the reporter commands
    declared = learning.milestones(1)[0].at
    clock.set(clock.now() + timedelta(minutes=30))
    # Bruno holds no role in INC-1: set_milestone is the commander's, the scribe's or an admin's.
    assert command(world, 'INC-1 milestone detected 2026-03-02T09:40+01:00 reason "alert fired at 08:40 UTC"',
                   user=BRUNO) == 200
    assert "may not set milestone" in " ".join(w.body.get("text", "") for w in double.webhooks())
    assert [(m.name, m.at) for m in learning.milestones(1)] == [("detected", declared)]
    # The commander: 09:40 at +01:00 is 08:40 UTC, twenty minutes before the declaration.
    assert command(world, 'INC-1 milestone detected 2026-03-02T09:40+01:00 reason "alert fired at 08:40 UTC"') == 200
    [detected] = learning.milestones(1)
    assert detected.at.isoformat() == "2026-03-02T08:40:00+00:00" and "alert fired at 08:40 UTC" in detected.source
    # The answer shows the instant in the reader's zone: 08:40 UTC is 09:40 CET (UTC+1 in March) for the commander.
    assert "detected at Mon 02 Mar 09:40 CET" in double.webhooks()[-1].body.get("text", "")
    # A time in the future is refused by the service with the reason; nothing changes.
    assert command(world, 'INC-1 milestone mitigated 2026-03-02T12:00+01:00 reason "later"') == 200
    assert "in the future" in " ".join(w.body.get("text", "") for w in double.webhooks())
    assert [m.name for m in learning.milestones(1)] == ["detected"]
