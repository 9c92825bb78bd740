"""A column a later migration adds to an evidence table (incident_task.done_when) is absent from the rows chained
before it. Still empty in the table it is no edit; given a value outside the bot, it is one."""

from __future__ import annotations

from bot.audit.evidence import differences

CHAINED = {("incident_task", 7): {"id": 7, "incident_id": 1, "task": "aware-time", "done_at": None}}


def test_a_column_added_later_and_still_empty_is_no_edit():
    table = {("incident_task", 7): {**CHAINED[("incident_task", 7)], "done_when": None}}
    assert differences(CHAINED, table, "INC-1") == []


def test_a_value_written_into_the_added_column_outside_the_bot_is_reported():
    table = {("incident_task", 7): {**CHAINED[("incident_task", 7)], "done_when": {"trigger": "aware"}}}
    problems = differences(CHAINED, table, "INC-1")
    assert problems == ["INC-1 incident_task row 7: edited outside the bot: done_when is {'trigger': 'aware'} in the "
                        "table but None on the chain"]
