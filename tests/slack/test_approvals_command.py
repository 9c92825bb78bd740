"""``/incident approvals``: the incident's pending approvals, shown to the reader only, with who asked, what and
since when in the reader's zone, and the request's own Approve / Reject buttons where the service says the
reader may decide (the requester never approves their own; a reader without the permission gets no buttons).

In-process against the Slack double (the ``world`` fixture); the clock stands at Mon 2026-03-02 09:00 UTC, the
reporter ("riley") reads in Europe/Berlin, everyone else in UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.slack.command_parser import parse_incident
from bot.slack.command_usage import UsageError
from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.test_listeners import button, command, declare

READER = "U0READER1"  # holds no role and no permission to approve
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def answer(double) -> dict:
    """The last ephemeral answer (a response_url post): its text and blocks."""
    return double.webhooks()[-1].body


def sections(body: dict) -> list[str]:
    return [b["text"]["text"] for b in body.get("blocks", []) if b["type"] == "section"]


def buttons(body: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in body.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]


def two_requests(world):
    """A security incident with a legal clock move asked for by the admin and a duty-removing fact asked for by
    the reporter (the commander)."""
    _, services, _ = world
    incident, channel = declare(world, "declare security Customer data exposed in a public bucket")
    command(world, "trigger aware now", user=ADMIN, channel=channel.id)
    command(world, "trigger aware 2026-03-02T08:30+00:00", user=ADMIN, channel=channel.id)
    command(world, "fact personal_information_breach no because the bucket held only product images",
            user=REPORTER, channel=channel.id)
    pending = services.incidents.approvals_to_decide(incident.number, reader=ADMIN)
    assert [a.kind for a in pending] == ["clock", "request"]
    return incident, channel, pending


def test_the_subcommand_is_in_the_grammar_and_takes_no_arguments():
    assert parse_incident("approvals", NOW).name == "approvals"
    assert parse_incident("INC-4 approvals", NOW).incident == 4
    with pytest.raises(UsageError, match="takes no arguments"):
        parse_incident("approvals all", NOW)
    from bot.slack.command_parser import help_text

    assert "/incident approvals" in help_text()


def test_an_approver_sees_who_asked_what_and_since_when_and_the_buttons_they_may_press(world):
    _, _, double = world
    _, channel, (clock, held) = two_requests(world)
    command(world, "approvals", user=ADMIN, channel=channel.id)
    body = answer(double)
    head, clock_line, held_line = sections(body)
    assert head == "*Pending approvals of INC-1* (times in UTC)"
    assert clock_line.startswith(f"`#{clock.id}` _legal clock_: move the legal clock aware from Mon 02 Mar 09:00 UTC "
                                 "to Mon 02 Mar 08:30 UTC")
    assert f"<@{ADMIN}> asked Mon 02 Mar 09:00 UTC" in clock_line
    assert held_line.startswith(f"`#{held.id}` _held change_: ")
    assert f"<@{REPORTER}> asked Mon 02 Mar 09:00 UTC. Reason: the bucket held only product images" in held_line
    # the admin asked for the clock move: they may reject it, never approve it (segregation of duties)
    assert buttons(body) == [("trigger.reject", f"approval:{clock.id}"),
                             ("request.approve", f"approval:{held.id}"), ("request.reject", f"approval:{held.id}")]


def test_the_requester_and_a_reader_without_the_permission_see_the_list_without_buttons(world):
    _, _, double = world
    _, channel, _ = two_requests(world)
    command(world, "approvals", user=REPORTER, channel=channel.id)
    body = answer(double)
    assert sections(body)[0] == "*Pending approvals of INC-1* (times in Europe/Berlin)"
    assert "asked Mon 02 Mar 10:00 CET" in sections(body)[1]  # the reader's zone
    assert buttons(body) == [] and "You cannot decide these" in sections(body)[-1]
    command(world, "INC-1 approvals", user=READER, channel="CGENERAL1")  # the incident is private
    assert answer(double)["text"] == "there is no incident INC-1; check the number"
    command(world, f"role scribe <@{READER}>", user=REPORTER, channel=channel.id)  # now on the response team
    command(world, "approvals", user=READER, channel=channel.id)
    body = answer(double)
    assert len(sections(body)) == 4 and buttons(body) == []


def test_the_buttons_decide_through_the_service_and_the_list_empties(world):
    _, services, double = world
    incident, channel, (clock, held) = two_requests(world)
    assert button(world, ADMIN, "request.approve", f"approval:{held.id}") == 200
    assert button(world, ADMIN, "trigger.reject", f"approval:{clock.id}") == 200
    command(world, "approvals", user=ADMIN, channel=channel.id)
    assert sections(answer(double)) == ["*INC-1* has no pending approvals."]
    assert services.incidents.approvals_to_decide(incident.number, reader=ADMIN) == []


def test_the_approver_is_told_what_their_button_did_and_never_an_error(world):
    """Approve / Reject on a held change apply it (or not) and answer the person who pressed, through the outbox,
    like every other button: before, the listener sent its own answer with no text, which Slack's client refused,
    so the approver read "The arg is unexpected type" although the change was applied."""
    _, services, double = world
    incident, channel, (clock, held) = two_requests(world)
    seen = len(double.webhooks())
    assert button(world, ADMIN, "request.approve", f"approval:{held.id}") == 200
    told = [w.body.get("text", "") for w in double.wait_for(lambda: double.webhooks()[seen:], what="the answer")]
    assert [a.kind for a in services.incidents.approvals_to_decide(incident.number, reader=ADMIN)] == ["clock"]
    assert not any("unexpected type" in t or "Something went wrong" in t for t in told), told
    assert any("personal_information_breach = False" in t for t in told), told  # what the approval applied
