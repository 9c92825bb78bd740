"""A person's ``/incident timeline`` shows what people did and were told, not the bot's record keeping
(bot/incidents/people_timeline.py); ``/incident timeline all`` shows everything."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bot.incidents.views import EventView
from bot.slack.command_parser import parse_incident
from bot.slack.command_usage import UsageError
from bot.slack.replies import TIMELINE_LINES, timeline

START = datetime(2026, 12, 22, 9, 0, tzinfo=timezone.utc)
INCIDENT = SimpleNamespace(label="INC-7")


def _event(seq: int, event_kind: str, summary: str, actor: str = "system", **data) -> EventView:
    return EventView(seq=seq, at=START + timedelta(minutes=seq), actor=actor, kind=event_kind, summary=summary,
                     data=data, hash=f"h{seq}")


EVENTS = [
    _event(1, "incident.declared", "Declared sev2: Checkout is down", actor="U0KATRIN1"),
    _event(2, "effect.done", "post welcome to the incident channel", kind="post"),
    _event(3, "evidence.recorded", "2 evidence row(s) recorded"),
    _event(4, "reminder.sent", "Sent deadline reminder to G00000007", kind="deadline"),
    _event(5, "reminder.sent", "Sent button update reminder to G00000007", kind="button_update"),
    _event(6, "reminder.sent", "Sent page update reminder to U0ANNA001", kind="page_update"),
    _event(7, "effects.wanted", "1 effect(s) queued for Slack"),
    _event(8, "effect.dropped", "Did not pin the welcome: the message to pin was not posted", kind="pin"),
    _event(9, "role.assigned", "Commander: U0KATRIN1", actor="U0KATRIN1"),
]


def test_record_keeping_is_left_out_and_counted():
    text = timeline(INCIDENT, EVENTS, "UTC")
    # kept: the declaration, the deadline nudge (someone was told something), the role
    for kept in ("Declared sev2", "Sent deadline reminder", "Commander:"):
        assert kept in text
    # left out: the post's delivery, the evidence record, the two message edits, the wanted and the dropped effect
    for hidden in ("post welcome", "evidence row", "button update", "page update", "queued for Slack", "Did not pin"):
        assert hidden not in text
    assert "_6 record-keeping entries" in text and "`/incident timeline all`" in text


def test_all_shows_every_event_and_no_note():
    text = timeline(INCIDENT, EVENTS, "UTC", everything=True)
    for seen in ("post welcome", "evidence row", "deadline reminder", "button update", "page update", "queued for Slack",
                 "Did not pin", "Declared sev2", "Commander:"):
        assert seen in text
    assert "record-keeping" not in text


def test_the_newest_lines_are_peoples_events_even_after_many_deliveries():
    people = [_event(i, "status.posted", f"status {i}", actor="U0KATRIN1") for i in range(1, TIMELINE_LINES + 1)]
    deliveries = [_event(100 + i, "effect.done", f"post status {i} to #incidents", kind="post")
                  for i in range(TIMELINE_LINES)]
    text = timeline(INCIDENT, people + deliveries, "UTC")
    # all 40 people's events fit (nothing earlier to mention), the 40 deliveries after them are counted instead
    lines = [line for line in text.splitlines() if line.startswith("`")]
    assert len(lines) == TIMELINE_LINES and not any("#incidents" in line for line in lines)
    assert "earlier events" not in text and f"_{TIMELINE_LINES} record-keeping entries" in text


def test_parser_accepts_all_and_refuses_other_words():
    assert parse_incident("timeline", START).args == {}
    assert parse_incident("timeline all", START).args == {"all": "yes"}
    assert parse_incident("INC-3 timeline ALL", START).incident == 3
    with pytest.raises(UsageError, match='or "all" for every entry'):
        parse_incident("timeline everything", START)
