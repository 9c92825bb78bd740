"""Covers and swaps: proposed in chat, accepted by the taker after an eligibility check over the whole span,
stored as overrides in the database, exported as YAML. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import pytest
import yaml

from bot.audit.trail import events
from bot.oncall.covers import CoverError, accept, decline, export_yaml, propose
from bot.oncall.history import EngagementHistory, load_history
from bot.oncall.planner import plan_pages
from bot.oncall.team import team_of
from tests.oncall.helpers import local, team_config

REST = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "ArbZG §5(1)"}
NOW = "2026-03-02 12:00"  # MO; anna is on call for ops from MO 2026-03-02 09:00 to MO 03-09 09:00


def test_accepted_cover_is_an_override_that_pages_the_taker_and_exports_as_yaml(store, write_config):
    config = team_config(write_config, [REST])
    team = team_of(config)
    with store.session() as s:
        cover = propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 18:00"),
                        end=local("2026-03-04 08:00"), proposed_by="anna", now=local(NOW), reason="my Tuesday night")
        assert (cover.status, cover.replaces) == ("proposed", "anna")  # anna holds it then, and asked
        with pytest.raises(CoverError, match="only bea, who is asked to take it, can accept cover #1"):
            accept(s, team, EngagementHistory(), cover.id, by="anna", now=local(NOW))
        cover, check = accept(s, team, EngagementHistory(), cover.id, by="bea", now=local(NOW))
        assert cover.status == "accepted" and check.refusals == ()
        assert [e.kind for e in events(s, None)] == ["oncall.cover_proposed", "oncall.cover_accepted"]
    with store.session() as s:
        history = load_history(s, ["anna", "bea"], local("2026-03-03 20:00"))
        text = export_yaml(s, team)
    # TU 20:00 is inside the cover: bea is on call (the override layer wins), anna is her deputy
    plan = plan_pages(config, "ops", local("2026-03-03 20:00"), "sev2", history=history)
    assert plan.on_call == ["bea"] and (plan.plan[0].person, plan.plan[0].role) == ("bea", "on_call")
    # before and after it anna holds the rotation again
    assert plan_pages(config, "ops", local("2026-03-04 08:00"), "sev2", history=history).on_call == ["anna"]
    # the YAML is in the rotation's local time with its offset (CET, +01:00), ready for rotas.yaml
    [entry] = yaml.safe_load(text)["overrides"]
    assert entry["rotation"] == "ops" and entry["person"] == "bea" and entry["replaces"] == "anna"
    assert (entry["from"], entry["to"]) == ("2026-03-03 18:00+01:00", "2026-03-04 08:00+01:00")
    assert entry["reason"].startswith("my Tuesday night (cover #1, accepted by bea 2026-03-02")


def test_refused_for_leave_on_any_day_of_the_span(store, write_config):
    # bea is on vacation on WE 2026-03-04; a cover TU 18:00 -> WE 08:00 touches that day: refused, citing the leave rule.
    config = team_config(write_config, [REST], people_extra={"bea": {"leave": [{"from": "2026-03-04", "to": "2026-03-04"}]}})
    team = team_of(config)
    with store.session() as s:
        cover = propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 18:00"),
                        end=local("2026-03-04 08:00"), proposed_by="anna", now=local(NOW))
        cover, check = accept(s, team, EngagementHistory(), cover.id, by="bea", now=local(NOW))
        assert cover.status == "refused"
        assert any("bea is rostered on ops on 2026-03-04 but on vacation leave" in r and "TEST leave" in r
                   for r in check.refusals)
        assert events(s, None)[-1].kind == "oncall.cover_refused"
        assert export_yaml(s, team) == "overrides: []\n"  # nothing was written


def test_refused_while_a_restarted_rest_runs(store, write_config):
    # ArbZG §5(1): bea was called out MO 23:00 -> TU 01:00, 6 h after her 17:00 end: an incomplete rest, restarted
    # in full until TU 12:00. A cover from TU 09:00 would have her on call while she may not be paged: refused.
    config = team_config(write_config, [REST])
    team = team_of(config)
    history = EngagementHistory.of([("bea", local("2026-03-02 23:00"), local("2026-03-03 01:00"))])
    with store.session() as s:
        cover = propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 09:00"),
                        end=local("2026-03-03 18:00"), proposed_by="anna", now=local("2026-03-03 08:00"))
        cover, check = accept(s, team, history, cover.id, by="bea", now=local("2026-03-03 08:00"))
        assert cover.status == "refused"
        assert check.refusals == ("bea 2026-03-03 09:00 Europe/Berlin: 11 h daily rest running until 12:00 "
                                  "Europe/Berlin (ArbZG §5(1))",)


def test_refused_where_contact_during_rest_is_forbidden_even_on_standby(store, write_config):
    # A profile where rostered standby is still rest (CT art. 199.º-A read strictly): bea may not be contacted outside
    # her working hours (MO-FR 09:00-17:00) even when on call, so a night cover is refused at 17:00.
    rule = {"kind": "contact_window", "mode": "forbid", "rostered_standby_is_rest": True, "cite": "TEST art. 199-A"}
    config = team_config(write_config, [rule])
    team = team_of(config)
    with store.session() as s:
        cover = propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 12:00"),
                        end=local("2026-03-03 20:00"), proposed_by="anna", now=local(NOW))
        cover, check = accept(s, team, EngagementHistory(), cover.id, by="bea", now=local(NOW))
        assert cover.status == "refused"
        assert check.refusals == ("bea 2026-03-03 17:00 Europe/Berlin: contact during rest forbidden until "
                                  "2026-03-04 09:00 Europe/Berlin (TEST art. 199-A)",)


def test_bad_requests_and_decline(store, write_config):
    team = team_of(team_config(write_config, []))
    with store.session() as s:
        with pytest.raises(CoverError, match="expected the end after the start"):
            propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 18:00"), end=local("2026-03-03 17:00"),
                    proposed_by="anna", now=local(NOW))
        with pytest.raises(CoverError, match='unknown rotation "opz"'):
            propose(s, team, rotation="opz", taker="bea", start=local("2026-03-03 18:00"), end=local("2026-03-03 20:00"),
                    proposed_by="anna", now=local(NOW))
        with pytest.raises(CoverError, match="anna already holds ops for the whole span"):
            propose(s, team, rotation="ops", taker="anna", start=local("2026-03-03 18:00"),
                    end=local("2026-03-03 20:00"), proposed_by="bea", now=local(NOW))
        cover = propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 18:00"),
                        end=local("2026-03-03 20:00"), proposed_by="anna", now=local(NOW))
        assert decline(s, cover.id, by="bea", now=local(NOW)).status == "declined"
        with pytest.raises(CoverError, match="cover #1 is already declined"):
            accept(s, team, EngagementHistory(), cover.id, by="bea", now=local(NOW))



def test_nobody_takes_someone_else_s_shift_on_their_own_say_so(store, write_config):
    # bea asks that bea takes anna's Tuesday night, then accepts her own request: anna, who holds it and is replaced,
    # never agreed to anything. A cover needs two people: the one asking (usually the holder) and the taker.
    team = team_of(team_config(write_config, []))
    with store.session() as s:
        with pytest.raises(CoverError, match="bea cannot both ask for and take a cover of ops: anna, who holds it"):
            propose(s, team, rotation="ops", taker="bea", start=local("2026-03-03 18:00"),
                    end=local("2026-03-04 08:00"), proposed_by="bea", now=local(NOW))
        assert events(s, None) == [] and export_yaml(s, team) == "overrides: []\n"


def _cli_cover(write_config):
    """The CLI's arguments, and a cover for its commands: weekly rota anna/bea from MO 2026-03-02; the CLI runs on
    the real clock, so the cover is tomorrow 18:00 to the day after 08:00 Berlin, taken by whoever is not on call
    then. (args, start, end, holder, taker)."""
    from datetime import datetime, timedelta, timezone

    from bot.oncall.schedule import on_call
    from bot.oncall.wallclock import local_date

    config = team_config(write_config, [])
    args = ["--config-dir", str(config.paths.config_dir), "--playbooks-dir", str(config.paths.playbooks_dir)]
    tomorrow = local_date(datetime.now(timezone.utc), "Europe/Berlin") + timedelta(days=1)
    start, end = local(f"{tomorrow} 18:00"), local(f"{tomorrow + timedelta(days=1)} 08:00")
    holder = on_call(team_of(config), "ops", start).person
    return args, start, end, holder, "bea" if holder == "anna" else "anna"


def test_cli_propose_accept_export_and_preview_reads_the_cover(store, database_url, write_config, monkeypatch, capsys):
    from datetime import timedelta

    from bot.cli import main
    from bot.oncall.wallclock import local_date

    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end, holder, taker = _cli_cover(write_config)
    tomorrow = local_date(start, "Europe/Berlin")
    assert main(["covers", "propose", "ops", "--taker", taker, "--from", start.isoformat(), "--to", end.isoformat(),
                 "--by", holder, "--reason", "school play", *args]) == 0
    assert f"proposed cover #1: {taker} to take ops" in capsys.readouterr().out
    assert main(["covers", "accept", "1", "--by", holder, *args]) == 2  # only the taker
    assert f"only {taker}, who is asked to take it, can accept cover #1" in capsys.readouterr().err
    assert main(["covers", "accept", "1", "--by", taker, *args]) == 0
    capsys.readouterr()
    assert main(["covers", "export", *args]) == 0
    [entry] = yaml.safe_load(capsys.readouterr().out)["overrides"]
    assert (entry["person"], entry["replaces"], entry["from"][:16]) == (taker, holder, f"{tomorrow} 18:00")
    # rota preview reads the accepted cover from the database: the taker holds the night, marked as an override
    assert main(["rota", "preview", "ops", "--from", str(tomorrow), "--to", str(tomorrow + timedelta(days=1)),
                 "--json", *args]) == 0
    import json

    shifts = json.loads(capsys.readouterr().out)["people"]
    mine = next(p for p in shifts if p["person"] == taker)["shifts"]
    # 18:00 to 08:00 is 14 h, or 13 / 15 h across a DST change night: counted on absolute time
    hours = (end - start).total_seconds() / 3600
    assert any(s["source"].startswith("override: school play (cover #1") and s["hours"] == hours for s in mine), mine


def _decided_under(store, config, kinds: tuple[str, ...]) -> list[str]:
    """Each event of ``kinds`` on the global chain, checked to name ``config``'s version, which is on the chain too:
    the kinds found (an auditor reads which rota and labor rules decided a cover from the chain alone)."""
    from sqlmodel import select

    from bot.audit.tables import TimelineEvent
    from bot.config.version import config_version

    digest = config_version(config).digest
    with store.session() as s:
        rows = s.exec(select(TimelineEvent).where(TimelineEvent.chain == "global").order_by(TimelineEvent.id)).all()
    versions = [e for e in rows if e.kind == "config.version" and e.data["hash"] == digest]
    decided = [e for e in rows if e.kind in kinds]
    assert versions and all(e.data.get("config_version", {}).get("hash") == digest for e in decided), decided
    assert all(versions[0].id < e.id for e in decided)  # the version is on the chain before what it decided
    return [e.kind for e in decided]


def test_cover_decisions_name_the_configuration_that_made_them_on_the_cli(store, database_url, write_config,
                                                                         monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end, holder, taker = _cli_cover(write_config)
    assert main(["covers", "propose", "ops", "--taker", taker, "--from", start.isoformat(), "--to", end.isoformat(),
                 "--by", holder, *args]) == 0
    assert main(["covers", "accept", "1", "--by", taker, *args]) == 0
    config = team_config(write_config, [])
    assert _decided_under(store, config, ("oncall.cover_proposed", "oncall.cover_accepted")) == \
        ["oncall.cover_proposed", "oncall.cover_accepted"]


def test_cover_decisions_name_the_configuration_that_made_them_in_slack(store, write_config):
    from bot.clock import ManualClock
    from bot.oncall.service import OnCallService

    config = team_config(write_config, [])
    svc = OnCallService(store, lambda: config, ManualClock(local("2026-03-02 12:00")))
    svc.propose_cover("U0ANNA001", "ops", "2026-03-03T18:00", "2026-03-04T08:00", "U0BEA0001", "", key="cmd:1")
    svc.answer_cover("U0BEA0001", 1, accept=True, key="btn:1")
    assert _decided_under(store, config, ("oncall.cover_proposed", "oncall.cover_accepted")) == \
        ["oncall.cover_proposed", "oncall.cover_accepted"]


def test_cli_says_nothing_was_proposed_or_answered_when_the_commit_fails(store, database_url, write_config,
                                                                           monkeypatch, capsys):
    """The command printed "proposed cover #1" (and "cover #1 declined") inside the unit of work, before its
    commit: a commit the database refused left the person reading of a cover it did not keep."""
    from sqlalchemy.orm import Session as OrmSession

    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    args, start, end, holder, taker = _cli_cover(write_config)
    propose_args = ["covers", "propose", "ops", "--taker", taker, "--from", start.isoformat(), "--to", end.isoformat(),
                    "--by", holder, *args]

    def refused(self):
        raise RuntimeError("the database refused the commit")

    with monkeypatch.context() as patch:
        patch.setattr(OrmSession, "commit", refused)
        with pytest.raises(RuntimeError, match="refused the commit"):
            main(propose_args)
    assert "proposed cover" not in capsys.readouterr().out
    assert main(propose_args) == 0  # kept this time (#2 on PostgreSQL, whose sequence kept the refused #1)
    number = capsys.readouterr().out.split("proposed cover #")[1].split(":")[0]
    with monkeypatch.context() as patch:
        patch.setattr(OrmSession, "commit", refused)
        with pytest.raises(RuntimeError, match="refused the commit"):
            main(["covers", "decline", number, "--by", taker, *args])
    assert "declined" not in capsys.readouterr().out
