"""Follow-up actions: every transition, who may make it, and the segregation rule for deferral and risk acceptance."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.audit.trail import events
from bot.clock import ManualClock
from bot.incidents.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from bot.incidents.service import IncidentService
from bot.learning.followups import Proposal
from bot.learning.service import LearningService
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from tests.incidents.conftest import ADMIN, ALICE, BOB, CAROL, MALLORY, REPORTER, load, write_config
from tests.scheduling.fakes import FakeChat

PRODUCT_OWNER, SECOND_PO = "UPRODUCT1", "UPRODUCT2"
PERMISSIONS = f"""
groups:
  product-owners: [{PRODUCT_OWNER}, {SECOND_PO}, {ALICE}]
actions:
  risk_owner: [group:product-owners]
"""
START = datetime(2027, 3, 1, 10, 0, tzinfo=timezone.utc)  # Monday


@pytest.fixture
def env(tmp_path, store):
    config = load(write_config(tmp_path / "c", permissions=PERMISSIONS))
    clock = ManualClock(START)
    incidents = IncidentService(store, lambda: config, clock)
    learning = LearningService(store, lambda: config, clock)
    incidents.declare("major", "Checkout is down", actor=REPORTER, key="declare")
    return clock, incidents, learning, Dispatcher(store, lambda: config, FakeChat(), clock)


def _proposal(**overrides):
    values = dict(title="Add a circuit breaker to the payment client", owner=BOB, due=date(2027, 3, 15),
                  cost="3 days of one engineer", impact="checkout stops for every customer when the PSP is slow",
                  likelihood="likely")
    values.update(overrides)
    return Proposal(**values)


def _add(learning, actor=ALICE, key="add", **overrides):
    return learning.add_followup(1, _proposal(**overrides), actor=actor, key=key)


def test_add_records_cost_impact_likelihood_and_a_risk_score(env, store):
    _, _, learning, _ = env
    added = _add(learning)
    view = added.followup
    # "major" is the rank-1 playbook: with no impact level given, a repeat is taken as severe (5);
    # likely is 4 on the likelihood scale: 5 x 4 = 20.
    assert (view.label, view.state, view.impact_level, view.likelihood, view.risk_score) == ("F-1", "open", 5, 4, 20)
    assert view.horizon == "1y" and view.proposed_by == ALICE and view.due == "2027-03-15"
    with store.session() as s:
        added_event = [e for e in events(s, 1) if e.kind == "followup.added"][0]
    assert added_event.actor == ALICE
    assert {k: added_event.data[k] for k in ("title", "owner", "cost", "impact", "state", "risk_score")} == {
        "title": "Add a circuit breaker to the payment client", "owner": BOB, "cost": "3 days of one engineer",
        "impact": "checkout stops for every customer when the PSP is slow", "state": "open", "risk_score": 20}
    targets = [(p.target, p.to) for p in added.outcome.posts]
    assert targets == [("incident_channel", ""), ("user", BOB)]  # the channel hears it, the owner is told
    with store.session() as s:  # ... through the outbox, written in the same unit of work as the follow-up
        rows = {r.key for r in s.exec(select(Reminder).where(Reminder.kind == "post")).all()}
    assert {"add:post:0", "add:post:1"} <= rows
    explicit = _add(learning, key="g", impact_level="minor", likelihood="rare", horizon="6m").followup
    assert (explicit.impact_level, explicit.likelihood, explicit.risk_score, explicit.horizon) == (2, 1, 2, "6m")


@pytest.mark.parametrize("overrides, message", [
    ({"cost": ""}, "expected a cost estimate"),
    ({"impact": "  "}, "expected the impact in plain words"),
    ({"likelihood": "sometimes"}, 'expected a likelihood (rare, unlikely, possible, likely, almost-certain), got "sometimes"'),
    ({"impact_level": "huge"}, 'expected an impact level (negligible, minor, moderate, major, severe), got "huge"'),
    ({"horizon": "forever"}, 'expected a horizon like "12m", "2y" or "26w", got "forever"'),
    ({"due": date(2027, 2, 28)}, "expected a due date from today on (2027-03-01 in UTC, the owner's zone), got 2027-02-28"),
])
def test_add_refuses_what_the_product_owner_could_not_rank(env, overrides, message):
    _, _, learning, _ = env
    with pytest.raises(InvalidRequest, match=message.replace("(", r"\(").replace(")", r"\)")):
        _add(learning, **overrides)
    assert learning.followups() == []


def test_owner_starts_and_finishes_others_may_not(env):
    _, _, learning, _ = env
    _add(learning)
    with pytest.raises(PermissionDenied, match="may not update followup"):
        learning.start_followup(1, actor=MALLORY, key="m")
    assert learning.start_followup(1, actor=BOB, key="s").followup.state == "in_progress"
    with pytest.raises(Conflict, match="F-1 is in progress; it cannot be started from there"):
        learning.start_followup(1, actor=BOB, key="s2")
    done = learning.finish_followup(1, actor=BOB, key="d").followup
    assert done.state == "done" and done.done_at == START
    assert learning.finish_followup(1, actor=BOB, key="d").replayed  # a double click does nothing more
    with pytest.raises(Conflict, match="F-1 is done"):
        learning.finish_followup(1, actor=REPORTER, key="d2")


def test_the_commander_may_close_a_follow_up_for_its_owner(env):
    _, _, learning, _ = env
    _add(learning)
    assert learning.finish_followup(1, actor=REPORTER, key="d").followup.state == "done"
    with pytest.raises(PermissionDenied, match="Allowed: the follow-up's owner"):
        _add(learning, key="g")
        learning.finish_followup(2, actor=CAROL, key="carol")


def test_deferral_by_a_product_owner_who_did_not_propose_it(env, store):
    clock, _, learning, _ = env
    _add(learning, actor=PRODUCT_OWNER)  # the first product owner proposes it
    with pytest.raises(PermissionDenied, match="You proposed F-1, so you may not also defer it"):
        learning.defer_followup(1, date(2027, 6, 30), "after the migration", actor=PRODUCT_OWNER, key="x")
    with pytest.raises(PermissionDenied, match="may not risk owner"):
        learning.defer_followup(1, date(2027, 6, 30), "after the migration", actor=BOB, key="y")  # the owner is no PO
    with pytest.raises(InvalidRequest, match="deferring needs a reason"):
        learning.defer_followup(1, date(2027, 6, 30), "", actor=SECOND_PO, key="z")
    with pytest.raises(InvalidRequest, match="expected a deferral into the future"):
        learning.defer_followup(1, date(2027, 3, 1), "today is not later", actor=SECOND_PO, key="w")
    deferred = learning.defer_followup(1, date(2027, 6, 30), "the PSP migration in Q2 removes the risk",
                                       actor=SECOND_PO, key="ok").followup
    assert (deferred.state, deferred.deferred_until, deferred.decided_by) == ("deferred", "2027-06-30", SECOND_PO)
    assert deferred.decision_reason == "the PSP migration in Q2 removes the risk"
    with store.session() as s:
        ev = [e for e in events(s, 1) if e.kind == "followup.deferred"][0]
    assert (ev.actor, ev.data["before"], ev.data["state"], ev.data["deferred_until"], ev.data["reason"]) == (
        SECOND_PO, "open", "deferred", "2027-06-30", "the PSP migration in Q2 removes the risk")


def test_risk_acceptance_needs_a_product_owner_who_is_not_the_proposer(env, store):
    _, _, learning, _ = env
    _add(learning, actor=ALICE)  # Alice is in the product-owners group and proposes it
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        learning.accept_risk(1, "we live with it", actor=ALICE, key="a")
    with pytest.raises(PermissionDenied):
        learning.accept_risk(1, "we live with it", actor=ADMIN, key="b")  # admins are not risk owners here
    with pytest.raises(InvalidRequest, match="accepting the risk needs a reason"):
        learning.accept_risk(1, "", actor=PRODUCT_OWNER, key="c")
    accepted = learning.accept_risk(1, "a slow PSP costs less than the breaker", actor=PRODUCT_OWNER,
                                    key="d").followup
    assert (accepted.state, accepted.decided_by) == ("risk_accepted", PRODUCT_OWNER)
    with pytest.raises(Conflict, match="F-1 is risk accepted"):
        learning.start_followup(1, actor=BOB, key="e")
    # Reopening an accepted risk is the risk owner's call too; the owner alone may not.
    with pytest.raises(PermissionDenied):
        learning.reopen_followup(1, "the PSP got slower", actor=BOB, key="f")
    reopened = learning.reopen_followup(1, "the PSP got slower", actor=SECOND_PO, key="g").followup
    assert reopened.state == "open" and reopened.decision_reason == "the PSP got slower"
    with store.session() as s:
        kinds = [e.kind for e in events(s, 1) if e.kind.startswith("followup.")]
    assert kinds == ["followup.added", "followup.risk_accepted", "followup.reopened"]


def test_nobody_may_defer_until_a_risk_owner_is_configured(tmp_path, store):
    config = load(write_config(tmp_path / "plain"))  # no risk_owner entry: the default is nobody
    clock = ManualClock(START)
    IncidentService(store, lambda: config, clock).declare("major", "x", actor=REPORTER, key="declare")
    learning = LearningService(store, lambda: config, clock)
    _add(learning, actor=ALICE)
    with pytest.raises(PermissionDenied, match="nobody \\(the action is disabled\\)"):
        learning.accept_risk(1, "fine", actor=ADMIN, key="a")


def test_unknown_follow_up_and_transition(env):
    _, _, learning, _ = env
    with pytest.raises(NotFound, match="there is no follow-up F-9"):
        learning.finish_followup(9, actor=BOB, key="n")


def test_listing_ranks_by_risk_score_then_due(env):
    _, _, learning, _ = env
    _add(learning, key="a", title="low", impact_level="minor", likelihood="unlikely")  # 2 x 2 = 4
    _add(learning, key="b", title="high", impact_level="severe", likelihood="almost-certain")  # 5 x 5 = 25
    _add(learning, key="c", title="mid-late", impact_level="moderate", likelihood="possible",
         due=date(2027, 4, 1))  # 3 x 3 = 9
    _add(learning, key="d", title="mid-early", impact_level="moderate", likelihood="possible",
         due=date(2027, 3, 10))  # 9, due earlier
    assert [f.title for f in learning.followups()] == ["high", "mid-early", "mid-late", "low"]
    learning.finish_followup(2, actor=BOB, key="done")
    assert [f.title for f in learning.followups(open_only=True)] == ["mid-early", "mid-late", "low"]


def _nudges(store):
    with store.session() as s:
        return {r.key: (r.state, r.due_at, r.sent_at) for r in s.exec(select(Reminder).where(
            Reminder.kind == "followup")).all()}


def test_owner_is_nudged_before_on_and_weekly_after_the_due_day_and_a_deferral_starts_over(env, store):
    clock, _, learning, dispatcher = env
    _add(learning)  # due Monday 15 March 2027; Bob has no people.yaml entry: workspace zone UTC, no hours to hold for
    nine = lambda d: datetime(2027, 3, d, 9, 0, tzinfo=timezone.utc)  # noqa: E731
    for when in (nine(12), nine(15), nine(22), nine(29)):  # 3 days before, on the day, then every 7 days
        clock.set(when)
        dispatcher.run_due()
    sent = {k: v[2] for k, v in _nudges(store).items() if v[0] == "sent"}
    assert sent == {"followup:1:2027-03-15:soon": nine(12), "followup:1:2027-03-15:due": nine(15),
                    "followup:1:2027-03-15:overdue:1": nine(22), "followup:1:2027-03-15:overdue:2": nine(29)}
    learning.defer_followup(1, date(2027, 5, 3), "waiting for the PSP contract", actor=PRODUCT_OWNER, key="defer")
    pending = {k for k, v in _nudges(store).items() if v[0] == "pending"}
    # The old series stops (its next overdue nudge is cancelled); a new one counts to 3 May.
    assert pending == {"followup:1:2027-05-03:soon", "followup:1:2027-05-03:due", "followup:1:2027-05-03:overdue:1"}
    learning.finish_followup(1, actor=BOB, key="done")
    assert not {k for k, v in _nudges(store).items() if v[0] == "pending"}  # done: nothing more
    clock.set(datetime(2027, 6, 1, tzinfo=timezone.utc))
    dispatcher.run_due()  # delivers the channel posts about the deferral and the finish, and no nudge
    assert {k for k, v in _nudges(store).items() if v[0] == "sent"} == set(sent)
