"""The chat-facing on-call service: record work, ask for and answer covers, take owed rest, with the messages others get."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.oncall.service import OnCallService, RequestRefused
from tests.oncall.helpers import local, team_config

REST = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "compensate", "cite": "TEST art. 3"}
LEDGER = {"kind": "compensatory_rest", "schedule_within_hours": 0, "cite": "TEST art. 17(2)"}


def service(store, write_config, now: str, rules=None):
    config = team_config(write_config, rules if rules is not None else [REST, LEDGER],
                         people_extra={"anna": {"manager": "boss"}})
    return OnCallService(store, lambda: config, ManualClock(local(now)))


def test_worked_records_my_own_work_and_tells_my_manager(store, write_config):
    # anna (MO-FR 09:00-17:00 Berlin) types "/oncall worked 02:00-03:30 db failover" at WE 08:00: WE 02:00-03:30,
    # 9 h after TU 17:00, an incomplete 11 h rest under compensate: 11 h owed (TEST art. 3). Her manager boss gets a DM.
    svc = service(store, write_config, "2026-03-04 08:00")
    answer = svc.record_worked("U0ANNA001", "02:00-03:30", "db failover", key="cmd:1")
    assert answer.reply.startswith("Recorded: call-out of anna recorded: 2026-03-04 02:00 Europe/Berlin to "
                                   "2026-03-04 03:30 (1.5 h): db failover.")
    assert "11 h of compensatory rest are now owed to you (TEST art. 3, rest ledger #1)" in answer.reply
    [message] = answer.messages
    assert (message.to, message.notice.kind, message.key) == ("U0BOSS001", "work_recorded", "cmd:1:manager")
    with pytest.raises(RequestRefused, match="overlaps; work is counted once"):
        svc.record_worked("U0ANNA001", "03:00-04:00", "", key="cmd:2")
    with pytest.raises(RequestRefused, match="you are not in people.yaml"):
        svc.record_worked("U0NOBODY1", "03:00-04:00", "", key="cmd:3")


def test_cover_request_goes_to_the_taker_with_buttons_and_the_answer_back(store, write_config):
    svc = service(store, write_config, "2026-03-02 12:00", rules=[])
    answer = svc.propose_cover("U0ANNA001", "ops", "2026-03-03T18:00", "2026-03-04T08:00", "U0BEA0001", "school play",
                               key="cmd:1")
    assert answer.reply == ("Asked bea to take ops from 2026-03-03 18:00 Europe/Berlin to 2026-03-04 08:00 "
                            "Europe/Berlin (cover #1).")
    [ask] = answer.messages
    assert ask.to == "U0BEA0001" and [b.action for b in ask.notice.buttons] == ["cover.accept", "cover.decline"]
    assert ask.notice.buttons[0].value == "cover:1" and "instead of anna" in ask.notice.lines[0]
    with pytest.raises(RequestRefused, match="only bea, who is asked to take it, can accept cover #1"):
        svc.answer_cover("U0ANNA001", 1, accept=True, key="btn:0")
    answer = svc.answer_cover("U0BEA0001", 1, accept=True, key="btn:1")
    assert answer.reply == "Done: you hold ops for cover #1."
    [told] = answer.messages
    assert (told.to, told.notice.title) == ("U0ANNA001", "Cover #1: accepted")
    with pytest.raises(RequestRefused, match='expected a local date and time like "2027-01-05T18:00", got "tuesday"'):
        svc.propose_cover("U0ANNA001", "ops", "tuesday", "2026-03-04T08:00", "U0BEA0001", "", key="cmd:2")


def test_a_cover_someone_else_asked_for_tells_the_person_it_replaces(store, write_config):
    # boss asks bea to take anna's night; anna did not ask, so when bea accepts anna must learn she is no longer
    # on call for it (else a cover arranged behind her back leaves her thinking she will be paged)
    svc = service(store, write_config, "2026-03-02 12:00")
    svc.propose_cover("U0BOSS001", "ops", "2026-03-03T18:00", "2026-03-04T08:00", "U0BEA0001", "", key="cmd:1")
    answer = svc.answer_cover("U0BEA0001", 1, accept=True, key="btn:1")
    assert [(m.to, m.key) for m in answer.messages] == [("U0BOSS001", "btn:1:proposer"),
                                                        ("U0ANNA001", "btn:1:replaced")]
    replaced = answer.messages[1].notice
    assert replaced.title == "Cover #1: you no longer hold ops"
    assert replaced.lines[0].startswith("bea now holds ops instead of you from 2026-03-03 18:00 Europe/Berlin")
    # anna asking for her own cover is told once, as the proposer, not a second time as the one replaced
    svc.propose_cover("U0ANNA001", "ops", "2026-03-04T18:00", "2026-03-05T08:00", "U0BEA0001", "", key="cmd:2")
    assert [m.to for m in svc.answer_cover("U0BEA0001", 2, accept=True, key="btn:2").messages] == ["U0ANNA001"]


def test_refused_cover_tells_both_which_rule(store, write_config):
    config = team_config(write_config, [], people_extra={"bea": {"leave": [{"from": "2026-03-04", "to": "2026-03-04"}]}})
    svc = OnCallService(store, lambda: config, ManualClock(local("2026-03-02 12:00")))
    svc.propose_cover("U0ANNA001", "ops", "2026-03-03T18:00", "2026-03-04T08:00", "U0BEA0001", "", key="cmd:1")
    answer = svc.answer_cover("U0BEA0001", 1, accept=True, key="btn:1")
    assert answer.reply.startswith("Cover #1 was not written: you may not take it.\n• bea is rostered on ops on "
                                   "2026-03-04 but on vacation leave")
    assert answer.messages[0].notice.title == "Cover #1: refused"


def test_take_owed_rest_from_now_only_by_the_person_or_their_manager(store, write_config):
    svc = service(store, write_config, "2026-03-04 08:00")
    svc.record_worked("U0ANNA001", "02:00-03:30", "", key="cmd:1")
    with pytest.raises(RequestRefused, match="only anna or their manager can schedule rest #1"):
        svc.schedule_rest_now("U0BEA0001", 1, key="btn:1")
    # boss presses "Schedule it from now" at 08:00: 11 h from 08:00 to 19:00; anna is told
    answer = svc.schedule_rest_now("U0BOSS001", 1, key="btn:2")
    assert answer.reply == "Scheduled: anna rests from 2026-03-04 08:00 Europe/Berlin to 2026-03-04 19:00 Europe/Berlin."
    assert answer.messages[0].to == "U0ANNA001"
