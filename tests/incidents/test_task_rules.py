"""Checklist tasks done by the state they ask for (playbooks' ``done_when``), on the shipped security playbook:
"Record when we became aware" (done_when: trigger aware), "Decide per regulation: notify or document why not"
(obligations_settled: ["*"]) and "Confirm affected individuals were informed" (obligations_settled: individuals,
data subjects, data principals, residents)."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.config.loader import ConfigPaths, collect
from bot.outbox.tables import Reminder
from tests.incidents.conftest import REPO
from tests.incidents.test_shipped import KATRIN, NADIA, TUESDAY, clock, service  # noqa: F401 - fixtures

# Facts of a GDPR personal-data breach by a controller with California residents affected: obligations
# gdpr.authority, gdpr.breach_record, gdpr.data_subjects, us_state_ca.residents, ... (config/regulations/).
BREACH = {"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"}


def _task(service, name):
    return next(t for t in service.tasks(1) if t.task == name)


@pytest.fixture
def breach(service):
    service.declare("security", "Customer emails exported", actor=KATRIN, key="d1", facts=BREACH)
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")


def test_recording_the_trigger_completes_the_task_that_asks_for_it(service, store, breach):
    assert not _task(service, "aware-time").done
    with store.session() as s:  # its nudge is planned (nudge_after: 30m) while it is open
        task_id = _task(service, "aware-time").id
        nudge = s.exec(select(Reminder).where(Reminder.key == f"task:{task_id}:nudge")).one()
        assert nudge.state == "pending"
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=2), actor=NADIA, key="t1")
    task = _task(service, "aware-time")
    assert task.done and task.done_by == "system"
    events = service.timeline(1)
    done = next(e for e in events if e.kind == "task.completed" and e.data["task"] == "aware-time")
    # The change that satisfied it comes just before it (with what it changed: the obligations it started), by the
    # person who recorded the trigger.
    before = events[:events.index(done)]
    cause = next(e for e in reversed(before) if e.kind == "trigger.set")
    assert cause.actor == NADIA
    assert {e.actor for e in before[before.index(cause):]} == {NADIA}
    assert done.actor == "system" and done.data["done_when"] == {"trigger": "aware"}
    assert "aware trigger was recorded" in done.summary
    with store.session() as s:  # and its nudge is no longer wanted
        assert s.get(Reminder, nudge.id).state == "cancelled"


def test_a_task_is_done_once_every_obligation_it_names_is_settled(service, breach, clock):
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=2), actor=NADIA, key="t1")
    obligations = {o.obligation: o for o in service.obligations(1)}
    individuals = [o for name, o in obligations.items()
                   if name.endswith((".individuals", ".data_subjects", ".data_principals", ".residents"))
                   and o.status not in ("not_applicable", "informational")]
    others = [o for o in obligations.values() if o not in individuals
              and o.status not in ("not_applicable", "informational")]
    # The facts make both kinds exist: gdpr.data_subjects / us_state_ca.residents, and gdpr.authority.
    assert individuals and others, sorted(obligations)
    clock.advance(hours=1)
    for n, ob in enumerate(individuals[:-1]):
        service.mark_not_required(ob.id, "nobody of this group was affected", actor=NADIA, key=f"i{n}")
        assert not _task(service, "individuals-notified").done  # one of the matching duties is still open
    last = individuals[-1]
    service.mark_notified(last.id, actor=NADIA, key="ilast", reference="letter-1",
                          submitted_at=clock.now() - timedelta(minutes=5))
    assert _task(service, "individuals-notified").done
    # "*" names every obligation: the authority's duty is still open, so the decision task is not done.
    assert not _task(service, "notification-decision").done
    for n, ob in enumerate(others):
        service.mark_notified(ob.id, actor=NADIA, key=f"o{n}", reference=f"ref-{n}",
                              submitted_at=clock.now() - timedelta(minutes=5))
    assert _task(service, "notification-decision").done
    done = [e for e in service.timeline(1) if e.kind == "task.completed"]
    assert [e.data["task"] for e in done] == ["aware-time", "individuals-notified", "notification-decision"]
    assert f"{len(individuals) - 1} not required" in done[1].summary and "1 notified" in done[1].summary


def test_a_person_can_still_tick_it_first(service, breach):
    task = _task(service, "aware-time")
    service.complete_task(task.id, actor=NADIA, key="k1")
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=2), actor=NADIA, key="t1")
    assert _task(service, "aware-time").done_by == NADIA
    assert len([e for e in service.timeline(1) if e.kind == "task.completed"]) == 1


def test_no_obligation_needing_a_decision_leaves_the_task_to_a_person(service):
    # No facts: no regime applies yet, so nothing says the decision was made.
    service.declare("security", "Suspicious login", actor=KATRIN, key="d1")
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=1), actor=NADIA, key="t1")
    assert not [o for o in service.obligations(1) if o.status in ("notified", "not_required")]
    assert not _task(service, "notification-decision").done
    assert not _task(service, "individuals-notified").done


def test_publishing_a_signed_off_statement_completes_the_holding_statement_task(service, breach):
    # security.yaml: "Prepare a holding statement approved by legal" (owner comms_lead, done_when:
    # {statement_published: true}); its communications ask legal's or the commander's sign-off, never the drafter's.
    comms = "U0COMMS01"
    service.assign_role(1, "comms_lead", comms, actor=KATRIN, key="r2")
    service.draft_statement(1, "investigating", "We are investigating unusual access to customer e-mails.",
                            actor=comms, key="s1")
    assert not _task(service, "holding-statement").done  # drafted, waiting for sign-off: nothing published
    (held,) = [a for a in service.approvals_to_decide(1, reader=NADIA) if a.kind == "request"]
    service.approve_request(held.id, actor=NADIA, key="a1")
    task = _task(service, "holding-statement")
    assert task.done and task.done_by == "system"
    events = service.timeline(1)
    done = next(e for e in events if e.kind == "task.completed" and e.data["task"] == "holding-statement")
    assert events[events.index(done) - 1].kind == "statement.published"  # the sign-off that satisfied it, just before
    assert done.data["done_when"] == {"statement_published": True} and "statement was published" in done.summary


def test_a_rejected_statement_leaves_the_holding_statement_task_open(service, breach):
    comms = "U0COMMS01"
    service.assign_role(1, "comms_lead", comms, actor=KATRIN, key="r2")
    service.draft_statement(1, "identified", "All is fine.", actor=comms, key="s1")
    (held,) = [a for a in service.approvals_to_decide(1, reader=NADIA) if a.kind == "request"]
    service.reject_request(held.id, actor=NADIA, key="x1")
    assert not _task(service, "holding-statement").done


@pytest.mark.parametrize("rule, expected", [
    ("{trigger: noticed}", 'expected a trigger (aware, '),
    ("{trigger: aware, obligations_settled: ['*']}",
     "expected exactly one of trigger, obligations_settled and statement_published"),
    ("{trigger: aware, statement_published: true}",
     "expected exactly one of trigger, obligations_settled and statement_published"),
    ("{statement_published: false}", "statement_published: expected true"),
    ("{obligations_settled: ['gdpr.data_subject']}", '"gdpr.data_subject" matches no obligation in config/regulations/'),
    ("{obligations_settled: ['GDPR authority']}", 'expected an obligation id or a pattern like "*.data_subjects"'),
    ("{obligations_settled: []}", "obligations_settled"),
])
def test_check_refuses_a_rule_that_could_never_hold(tmp_path, rule, expected):
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "playbooks", tmp_path / "playbooks")
    path = tmp_path / "playbooks" / "security.yaml"
    text = path.read_text()
    old = "done_when: {trigger: aware}"
    assert old in text
    path.write_text(text.replace(old, f"done_when: {rule}", 1))
    config, issues = collect(ConfigPaths(tmp_path / "config", tmp_path / "playbooks"))
    errors = [str(i) for i in issues if i.severity == "error"]
    assert config is None and len(errors) == 1 and expected in errors[0] and "security.yaml:" in errors[0], errors
