"""One receipt whose triage always fails costs that receipt, not the alerts after it: the others are triaged in
the same pass, it is set aside after a few failures (its progress, an ``alert.set_aside`` event on the global
chain, kept by the purge, reported by ``incident-bot check``); a failure of the database as a whole sets nothing
aside and the next pass triages everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.alerts.intake_health import intake_problems
from bot.alerts.receipts import Receipts
from bot.alerts.set_aside import ATTEMPTS
from bot.alerts.tables import AlertGroup, AlertReceipt
from bot.alerts.triage import Triage
from bot.audit.tables import TimelineEvent
from bot.audit.trail import verify_chain
from bot.outbox.tables import Reminder
from tests.alerts.conftest import NIGHT, TOKENS, write_alerts_config

SECRET_WORDS = "Patient 4711 Erika Mustermann"  # the alert's own words: never in the set-aside event


@pytest.fixture
def poison(monkeypatch):
    """While ``poison["on"]``, triage of an event whose key is "poison" raises, every time."""
    state = {"on": True}
    real = Triage._step

    def step(self, work, receipt, index, event, alerts, now):
        if state["on"] and event.key == "poison":
            raise RuntimeError("cannot handle this alert\nsecond line with " + SECRET_WORDS)
        return real(self, work, receipt, index, event, alerts, now)

    monkeypatch.setattr(Triage, "_step", step)
    return state


def accept(inbox, key):
    title = SECRET_WORDS if key == "poison" else f"{key} is down"
    return inbox.webhook("scripts", TOKENS["T_GENERIC"], {"title": title, "status": "firing", "dedup_key": key,
                                                          "labels": {"severity": "critical", "job": key}})


def receipt_states(store):
    with store.session() as s:
        return {r.id: r.state for r in s.exec(select(AlertReceipt)).all()}


def events_of(store, kind):
    with store.session() as s:
        return sorted(s.exec(select(TimelineEvent).where(TimelineEvent.kind == kind)).all(), key=lambda e: e.id)


def test_a_poisoned_receipt_among_grouped_ones_is_set_aside_and_the_others_are_triaged(inbox, triage, store, poison,
                                                                                       database_url):
    poison["on"] = False
    for key in ("alpha", "poison", "omega"):
        accept(inbox, key)
    assert [d.kind for d in triage.run_pending()] == ["incident"] * 3  # each key has an open group now
    poison["on"] = True
    good_before, bad, good_after = (accept(inbox, key).receipt for key in ("alpha", "poison", "omega"))

    # one transaction would take all three; it fails, each is tried on its own, the good ones are grouped
    assert [(d.receipt, d.kind) for d in triage.run_pending()] == [(good_before, "grouped"), (good_after, "grouped")]
    assert receipt_states(store)[bad] == "accepted" and not events_of(store, "alert.set_aside")
    for attempt in range(2, ATTEMPTS):
        assert triage.run_pending() == []
        assert receipt_states(store)[bad] == "accepted", f"not set aside after {attempt} failures"
    assert triage.run_pending() == []
    states = receipt_states(store)
    assert states[bad] == "set_aside" and states[good_before] == states[good_after] == "triaged"
    assert triage.run_pending() == [], "a set-aside receipt is not tried again"

    [event] = events_of(store, "alert.set_aside")
    assert event.chain == "global" and event.incident_id is None and event.actor == "alerts:scripts"
    error = event.data.pop("error")
    # the notice to the operators is named on the chain with the event (bot/audit/wanted_effects.py)
    with store.session() as s:
        told = s.exec(select(Reminder.key).where(Reminder.key.startswith(f"operators:set_aside:{bad}:"))).all()
    assert event.data.pop("effects_wanted") == [{"key": key, "kind": "post"} for key in told] and len(told) == 1
    assert event.data == {"disposition": "set_aside", "receipt": bad, "source": "scripts", "format": "generic",
                          "events": 1, "untriaged": 1, "attempts": ATTEMPTS}
    assert error["class"] == "builtins.RuntimeError" and set(error) == {"class", "raised_at"}
    assert error["raised_at"].startswith("tests/alerts/test_set_aside.py:") and error["raised_at"].endswith(" in step")
    assert SECRET_WORDS not in event.summary and f"alert receipt {bad} from scripts set aside" in event.summary
    with store.session() as s:
        assert verify_chain(s, None).ok
        assert {g.key: g.alerts for g in s.exec(select(AlertGroup)).all()} == {"alpha": 2, "poison": 1, "omega": 2}

    [problem] = intake_problems(NIGHT + timedelta(minutes=1), database_url=database_url)
    assert problem.startswith("alert triage set aside 1 alert receipt(s) whose triage failed 3 times, nobody paged")
    assert f"receipt(s) {bad} (from scripts, received " in problem and "alert.set_aside" in problem

    assert Receipts.of(store).forget_triaged(NIGHT + timedelta(days=400)) == 5  # the purge: triaged ones only
    assert receipt_states(store) == {bad: "set_aside"}, "a set-aside receipt is never deleted"


def _poison_between_two(inbox, triage, store) -> tuple[int, list]:
    """alpha, poison, omega: the two are opened in the first pass, the poison set aside at its last attempt;
    returns the poison's receipt and the ``alert.set_aside`` events."""
    first, bad, last = (accept(inbox, key).receipt for key in ("alpha", "poison", "omega"))
    assert [(d.receipt, d.kind) for d in triage.run_pending()] == [(first, "incident"), (last, "incident")]
    for _ in range(ATTEMPTS - 1):
        assert triage.run_pending() == []
    assert receipt_states(store) == {first: "triaged", bad: "set_aside", last: "triaged"}
    return bad, events_of(store, "alert.set_aside")


def test_a_poisoned_alert_of_a_new_group_does_not_hold_up_the_alerts_after_it(inbox, triage, store, poison):
    bad, [event] = _poison_between_two(inbox, triage, store)
    assert event.data["receipt"] == bad and event.data["attempts"] == ATTEMPTS


def test_a_receipt_that_fails_fewer_times_is_triaged_once_it_can_be(inbox, triage, store, poison):
    bad = accept(inbox, "poison").receipt
    for _ in range(ATTEMPTS - 1):
        assert triage.run_pending() == []
    poison["on"] = False  # e.g. the bug was fixed and the bot restarted, or what failed went away
    assert [(d.receipt, d.kind) for d in triage.run_pending()] == [(bad, "incident")]
    assert not events_of(store, "alert.set_aside")


def test_a_failure_of_the_whole_database_sets_nothing_aside_and_the_next_pass_triages_everything(
        inbox, triage, store, monkeypatch, database_url):
    ids = [accept(inbox, key).receipt for key in ("alpha", "beta", "gamma")]
    real_commit = Session.commit
    commits = {"seen": 0}

    def commit(self):
        commits["seen"] += 1
        if commits["seen"] % 2 == 0:  # the read of the waiting receipts commits; the first triage's does not
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return real_commit(self)

    monkeypatch.setattr(Session, "commit", commit)
    for _ in range(ATTEMPTS + 1):  # more failures than set a receipt aside
        commits["seen"] = 0
        with pytest.raises(OperationalError):
            triage.run_pending()
    monkeypatch.setattr(Session, "commit", real_commit)
    assert set(receipt_states(store).values()) == {"accepted"} and not events_of(store, "alert.set_aside")
    assert intake_problems(NIGHT + timedelta(minutes=1), database_url=database_url) == []
    assert [(d.receipt, d.kind) for d in triage.run_pending()] == [(i, "incident") for i in ids]


def test_check_command_exits_2_on_a_set_aside_receipt(inbox, triage, store, poison, database_url, tmp_path,
                                                      monkeypatch, capsys):
    from bot.cli import main

    bad = accept(inbox, "poison").receipt
    for _ in range(ATTEMPTS):
        triage.run_pending()
    paths = write_alerts_config(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["check", "--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir)]) == 2
    err = capsys.readouterr().err
    assert "1 problem(s) with the alert intake:" in err and f"receipt(s) {bad} (from scripts" in err


def test_set_aside_before_the_inbox_copy_is_reported_and_not_tried_again(inbox, triage, store, poison, monkeypatch,
                                                                        database_url):
    bad = accept(inbox, "poison").receipt
    for _ in range(ATTEMPTS - 1):
        triage.run_pending()
    with monkeypatch.context() as patch:  # SQLite: the process dies before the inbox is told
        patch.setattr(Receipts, "copy_to_inbox", lambda self, rows: None)
        triage.run_pending()
    [problem] = intake_problems(NIGHT + timedelta(minutes=1), database_url=database_url)
    assert f"receipt(s) {bad} (from scripts" in problem
    assert triage.run_pending() == [] and receipt_states(store) == {bad: "set_aside"}
    assert len(events_of(store, "alert.set_aside")) == 1


def test_an_unexpected_error_of_a_declaration_counts_against_its_receipt_only(inbox, triage, store, incidents,
                                                                             monkeypatch):
    real = incidents.declare

    def declare(playbook, title, **kwargs):
        if "poison" in kwargs["description"]:
            raise RuntimeError("the chat workspace said no")
        return real(playbook, title, **kwargs)

    monkeypatch.setattr(incidents, "declare", declare)
    _, [event] = _poison_between_two(inbox, triage, store)
    assert event.data["error"]["class"] == "builtins.RuntimeError"
    assert event.data["error"]["raised_at"].startswith("tests/alerts/test_set_aside.py:")


def test_the_set_aside_event_never_quotes_the_error_message(inbox, triage, store, monkeypatch):
    real = Triage._step

    def step(self, work, receipt, index, event, alerts, now):
        if event.key == "poison":
            return {}[event.labels.get("customer", SECRET_WORDS)]  # KeyError: 'Patient 4711 ...'
        return real(self, work, receipt, index, event, alerts, now)

    monkeypatch.setattr(Triage, "_step", step)
    bad = accept(inbox, "poison").receipt
    for _ in range(ATTEMPTS):
        assert triage.run_pending() == []
    [event] = events_of(store, "alert.set_aside")
    assert event.data["receipt"] == bad and event.data["error"]["class"] == "builtins.KeyError"
    assert SECRET_WORDS not in event.summary and SECRET_WORDS not in str(event.data)
    assert "Patient" not in event.summary and "Patient" not in str(event.data)
