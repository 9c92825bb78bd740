"""The CLI's ``--by`` names a person of people.yaml: ``covers propose|accept|decline``, ``oncall record`` and
``rest schedule`` record the person's id on the chain (also when given their Slack user id, as the Slack face
knows them), and refuse a name people.yaml does not hold with exit 2, the closest ids, and nothing written: no
chain event, no row, no change to a row.  (The config: anna and bea rotate ``ops``, boss is the fallback; Slack
ids U0ANNA001, U0BEA0001, U0BOSS001.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.cli import main
from bot.oncall.tables import CoverRequest, Engagement, RestDebt
from tests.oncall.test_covers import _cli_cover
from tests.oncall.test_rest_ledger import _cli_callout

SLACK_ID = {"anna": "U0ANNA001", "bea": "U0BEA0001", "boss": "U0BOSS001"}


def written(store) -> dict:
    """Everything these commands write: the chain's events, and the rows of covers, work records and rest owed."""
    with store.session() as s:
        return {"events": [(e.kind, e.actor) for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.id))],
                "covers": [(c.id, c.status, c.proposed_by) for c in s.exec(select(CoverRequest))],
                "work": [(w.id, w.person_id, w.recorded_by) for w in s.exec(select(Engagement))],
                "rest": [(d.id, d.scheduled_by, d.scheduled_start) for d in s.exec(select(RestDebt))]}


def actors(store, kind: str) -> list[str]:
    return [actor for k, actor in written(store)["events"] if k == kind]


def refused(capsys, name: str, *, suggests: str | None = None) -> None:
    """The refusal says which name, that people.yaml does not hold it, how to give a person, and that nothing
    was written."""
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f'--by: "{name}" is not a person in people.yaml'), captured.err
    assert "people in " in captured.err and "anna, bea, boss" in captured.err and "nothing was written" in captured.err
    if suggests:
        assert f'did you mean "{suggests}"' in captured.err


@pytest.fixture
def cover_cli(store, database_url, write_config, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    return _cli_cover(write_config)


def _propose(args, start, end, holder, taker, by) -> int:
    return main(["covers", "propose", "ops", "--taker", taker, "--from", start.isoformat(), "--to", end.isoformat(),
                 "--by", by, *args])


def test_covers_propose_records_the_person_and_refuses_a_name_people_yaml_does_not_hold(store, cover_cli, capsys):
    args, start, end, holder, taker = cover_cli
    before = written(store)
    assert _propose(args, start, end, holder, taker, holder + "x") == 2
    refused(capsys, holder + "x", suggests=holder)
    assert written(store) == before
    assert _propose(args, start, end, holder, taker, SLACK_ID[holder]) == 0
    assert [c[2] for c in written(store)["covers"]] == [holder]
    assert actors(store, "oncall.cover_proposed") == [holder]


@pytest.mark.parametrize("answer, status", [("accept", "accepted"), ("decline", "declined")])
def test_covers_answers_record_the_person_and_refuse_a_name_people_yaml_does_not_hold(store, cover_cli, capsys,
                                                                                      answer, status):
    args, start, end, holder, taker = cover_cli
    assert _propose(args, start, end, holder, taker, holder) == 0
    capsys.readouterr()
    before = written(store)
    assert main(["covers", answer, "1", "--by", "nobody", *args]) == 2
    refused(capsys, "nobody")
    assert written(store) == before  # still proposed, and not even the configuration's version on the chain again
    # the taker by their Slack id: the same person the service compares with the cover's taker
    assert main(["covers", answer, "1", "--by", SLACK_ID[taker], *args]) == 0
    assert [c[1] for c in written(store)["covers"]] == [status]
    assert actors(store, f"oncall.cover_{status}") == [taker]


def test_oncall_record_records_the_person_and_refuses_a_name_people_yaml_does_not_hold(store, database_url,
                                                                                      write_config, monkeypatch,
                                                                                      capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end = _cli_callout(write_config)
    record = ["oncall", "record", "anna", "--from", start, "--to", end, "--note", "phoned", *args]
    before = written(store)
    assert main([*record, "--by", "bosss"]) == 2
    refused(capsys, "bosss", suggests="boss")
    assert written(store) == before
    assert main([*record, "--by", SLACK_ID["boss"]]) == 0
    assert "call-out of anna recorded" in capsys.readouterr().out
    assert [w[1:] for w in written(store)["work"]] == [("anna", "boss")]
    assert actors(store, "oncall.work_recorded") == ["boss"]


def test_rest_schedule_records_the_person_and_refuses_a_name_people_yaml_does_not_hold(store, database_url,
                                                                                      write_config, monkeypatch,
                                                                                      capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end = _cli_callout(write_config)
    assert main(["oncall", "record", "anna", "--from", start, "--to", end, *args]) == 0  # owes 11 h: rest owed #1
    debt = capsys.readouterr().out.split("rest owed #")[1].split(":")[0]
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    schedule = ["rest", "schedule", debt, "--from", later.isoformat(), "--to", (later + timedelta(hours=11)).isoformat(),
                *args]
    before = written(store)
    assert main([*schedule, "--by", "cli"]) == 2  # the old default is no person either
    refused(capsys, "cli")
    assert written(store) == before
    with pytest.raises(SystemExit) as exit_info:  # no default: argparse asks for --by
        main(schedule)
    assert exit_info.value.code == 2 and "the following arguments are required: --by" in capsys.readouterr().err
    assert written(store) == before
    assert main([*schedule, "--by", SLACK_ID["boss"]]) == 0
    assert [r[1] for r in written(store)["rest"]] == ["boss"]
    assert actors(store, "oncall.rest_scheduled") == ["boss"]


def test_a_blank_by_says_who_is_wanted(store, cover_cli, capsys):
    args, start, end, holder, taker = cover_cli
    before = written(store)
    assert _propose(args, start, end, holder, taker, "  ") == 2
    err = capsys.readouterr().err
    assert err.startswith("--by: say who acts; --by takes the id (or Slack user id) of a person in people.yaml")
    assert written(store) == before
