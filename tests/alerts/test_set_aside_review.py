"""A set-aside receipt is dealt with by a person: ``incident-bot alerts retriage`` puts it back (the next pass
triages it; set aside again if it fails again), ``incident-bot alerts dismiss`` marks it dealt with (kept until
the purge, which then deletes it like a triaged one); each with its event on the global chain, ``check`` no
longer reporting it, the chain still verifying.  Refused, with nothing written: an unknown receipt, one not set
aside, no reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.alerts.intake_health import intake_problems
from bot.alerts.receipts import Receipts
from bot.alerts.set_aside import ATTEMPTS
from bot.audit.tables import TimelineEvent
from bot.cli import main
from bot.outbox.tables import Reminder
from tests.alerts.conftest import NIGHT, write_alerts_config
from tests.alerts.test_set_aside import (SECRET_WORDS, accept, events_of, poison,  # noqa: F401 (poison: a fixture)
                                        receipt_states)

LATER = NIGHT + timedelta(minutes=1)


@pytest.fixture
def cli(database_url, monkeypatch, capsys):
    """Run ``incident-bot`` on the test database: (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def set_aside_one(inbox, triage, store) -> int:
    bad = accept(inbox, "poison").receipt
    for _ in range(ATTEMPTS):
        triage.run_pending()
    assert receipt_states(store)[bad] == "set_aside"
    return bad


def chain_length(store) -> int:
    with store.session() as s:
        return s.exec(select(func.count()).select_from(TimelineEvent)).one()


def test_a_retriaged_receipt_is_triaged_on_the_next_pass(inbox, triage, store, poison, cli, database_url, tmp_path):
    bad = set_aside_one(inbox, triage, store)
    code, out, _ = cli("alerts", "set-aside")
    assert code == 0 and out.startswith(f"{bad}  scripts (generic)  received {NIGHT.isoformat()}  1 alert(s), 1 "
                                        f"not triaged  {ATTEMPTS} tries  builtins.RuntimeError raised at tests/")
    poison["on"] = False  # the bug is fixed

    code, out, err = cli("alerts", "retriage", str(bad), "--by", "anna", "--reason", "fixed in 1.8.2")
    assert (code, err) == (0, "") and out.startswith(f"alert receipt {bad} put back to be triaged")
    [retriaged] = events_of(store, "alert.retriaged")
    assert retriaged.chain == "global" and retriaged.actor == "anna"
    assert retriaged.data == {"receipt": bad, "source": "scripts", "format": "generic", "by": "anna",
                              "reason": "fixed in 1.8.2", "events": 1, "untriaged": 1}
    assert receipt_states(store)[bad] == "accepted"
    assert intake_problems(LATER, database_url=database_url) == []
    assert cli("alerts", "set-aside", "--json")[1].strip() == "[]"

    assert [(d.receipt, d.kind) for d in triage.run_pending()] == [(bad, "incident")]
    [disposition] = events_of(store, "alert.incident")
    assert disposition.data["receipt"] == bad and disposition.id > retriaged.id
    assert receipt_states(store)[bad] == "triaged"
    assert cli("audit", "verify")[0] == 0
    paths = write_alerts_config(tmp_path)
    assert cli("check", "--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir))[0] == 0


def test_a_retriaged_receipt_that_fails_again_is_set_aside_again(inbox, triage, store, poison, cli, database_url):
    bad = set_aside_one(inbox, triage, store)
    assert cli("alerts", "retriage", str(bad), "--by", "anna", "--reason", "try once more")[0] == 0
    for attempt in range(1, ATTEMPTS):
        assert triage.run_pending() == []
        assert receipt_states(store)[bad] == "accepted", f"set aside again after {attempt} failure(s)"
    assert triage.run_pending() == []
    assert receipt_states(store)[bad] == "set_aside"
    assert [e.data["receipt"] for e in events_of(store, "alert.set_aside")] == [bad, bad]
    [problem] = intake_problems(LATER, database_url=database_url)
    assert f"receipt(s) {bad} (from scripts" in problem
    assert cli("audit", "verify")[0] == 0


def test_each_setting_aside_is_told_to_the_operators_without_the_alerts_words(inbox, triage, store, poison, cli):
    def told():
        with store.session() as s:
            told = Reminder.key.startswith("operators:set_aside:")  # type: ignore[attr-defined]
            return list(s.exec(select(Reminder).where(told).order_by(Reminder.id)).all())

    bad = set_aside_one(inbox, triage, store)
    [notice] = told()  # nobody was paged for its alert: the people who run the bot hear of it, in Slack
    assert (notice.kind, notice.incident_id, notice.recipient) == ("post", None, "#incidents")
    text = repr(notice.payload)
    assert f"alerts retriage {bad}" in text and f"alerts dismiss {bad}" in text and "RuntimeError" in text
    assert SECRET_WORDS not in text  # the alert's own words may be what fails, and may name people
    assert cli("alerts", "retriage", str(bad), "--by", "anna", "--reason", "try once more")[0] == 0
    for _ in range(ATTEMPTS):
        triage.run_pending()
    assert receipt_states(store)[bad] == "set_aside"
    assert len(told()) == 2  # set aside a second time: told a second time


def test_a_dismissed_receipt_is_kept_not_reported_and_purged_like_a_triaged_one(inbox, triage, store, poison, cli,
                                                                                database_url, tmp_path):
    bad = set_aside_one(inbox, triage, store)
    paths = write_alerts_config(tmp_path)
    check = ("check", "--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir))
    assert cli(*check)[0] == 2

    code, out, err = cli("alerts", "dismiss", str(bad), "--by", "anna", "--reason", "test alert, handled by hand")
    assert (code, err) == (0, "") and out.startswith(f"alert receipt {bad} dismissed")
    [dismissed] = events_of(store, "alert.dismissed")
    assert dismissed.chain == "global" and dismissed.actor == "anna"
    assert dismissed.data["receipt"] == bad and dismissed.data["reason"] == "test alert, handled by hand"
    assert receipt_states(store) == {bad: "dismissed"}, "kept"
    assert triage.run_pending() == [], "never triaged"
    assert intake_problems(LATER, database_url=database_url) == []
    assert cli(*check)[0] == 0
    assert cli("audit", "verify")[0] == 0

    places = Receipts.of(store)
    assert places.forget_triaged(NIGHT) == 0, "kept until its retention period is over (received at NIGHT)"
    assert receipt_states(store) == {bad: "dismissed"}
    assert places.forget_triaged(NIGHT + timedelta(seconds=1)) == 1
    assert receipt_states(store) == {}


@pytest.mark.parametrize("command", ["retriage", "dismiss"])
@pytest.mark.parametrize("case", ["unknown receipt", "not set aside", "empty reason", "no name"])
def test_refusals_write_nothing(inbox, triage, store, poison, cli, command, case):
    bad = set_aside_one(inbox, triage, store)
    poison["on"] = False
    fine = accept(inbox, "alpha").receipt
    triage.run_pending()
    before, states = chain_length(store), receipt_states(store)
    receipt, by, reason = {"unknown receipt": (bad + 100, "anna", "why"), "not set aside": (fine, "anna", "why"),
                           "empty reason": (bad, "anna", "  "), "no name": (bad, " ", "why")}[case]
    code, out, err = cli("alerts", command, str(receipt), "--by", by, "--reason", reason)
    assert (code, out) == (2, "")
    expected = {"unknown receipt": f"no alert receipt {bad + 100} ",
                "not set aside": f"alert receipt {fine} is not set aside (it is triaged)",
                "empty reason": "--reason: say why", "no name": "--by: say who"}[case]
    assert err.startswith(expected) and "nothing was written" in err
    assert chain_length(store) == before and receipt_states(store) == states


def test_a_put_back_the_inbox_copy_missed_is_listed_and_completed_by_the_command_run_again(
        inbox, triage, store, poison, cli, database_url, monkeypatch):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no inbox file: the receipt's one row is written in the command's transaction")
    from bot.alerts.set_aside_review import retriage

    bad = set_aside_one(inbox, triage, store)
    poison["on"] = False
    with monkeypatch.context() as patch:  # a triage pass undid the early copy, then the process died
        patch.setattr(Receipts, "copy_to_inbox", lambda self, rows: None)
        retriage(store, bad, by="anna", reason="fixed", now=LATER)
    assert triage.run_pending() == [], "the triage pass reads the inbox file, which still says set aside"
    [problem] = intake_problems(LATER, database_url=database_url)
    assert f"receipt(s) {bad} (from scripts" in problem

    code, _, err = cli("alerts", "retriage", str(bad), "--by", "anna", "--reason", "again")
    assert code == 2 and err.startswith(f"alert receipt {bad} is not set aside (it is accepted)")
    assert len(events_of(store, "alert.retriaged")) == 1
    assert intake_problems(LATER, database_url=database_url) == []
    assert [(d.receipt, d.kind) for d in triage.run_pending()] == [(bad, "incident")]


def test_the_period_report_names_the_alert_source_of_a_dismissal_not_the_person(inbox, triage, store, poison):
    from bot.alerts.set_aside_review import dismiss
    from bot.learning.period_report import build

    bad = set_aside_one(inbox, triage, store)
    dismiss(store, bad, by="anna", reason="handled by hand", now=LATER)
    with store.session() as s:
        report = build(s, NIGHT - timedelta(days=1), NIGHT + timedelta(days=1), NIGHT + timedelta(hours=1))
    assert [(a["disposition"], a["source"]) for a in report["alerts"]["received"]] == [
        ("set_aside", "scripts"), ("dismissed", "scripts")]
