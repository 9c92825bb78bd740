"""The permission matrix: every action of ``config/permissions.yaml``, checked in the service with the shipped file.

For each action (one row each; a second row where one action guards two kinds of request):

* a person the shipped rule allows acts, and the state the action changes does change;
* a person on the incident the rule does not allow is refused with ``PermissionDenied`` naming who may, and
  nothing changes (the timeline and the state keep their length and value);
* an outsider acting on the private incident is told it does not exist, and nothing changes;
* where a second person must approve, the requester approving their own request is refused (even when they are
  otherwise allowed to approve), and another allowed person's approval takes effect; the same for the proposer of a
  follow-up deciding on its risk.

``read_private`` has its own test: who reads a private incident, and what an outsider is told. The expected people
come from reading ``config/permissions.yaml`` (each row quotes its rule), never from what the code answers. This is
the one place listing every action: a new action without a row here fails ``test_every_action_has_a_row``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable

import pytest
import yaml

from bot.incidents.errors import NotFound, PermissionDenied
from bot.incidents.permissions import ACTIONS
from bot.learning.exercises import Entry
from bot.oncall.calendar_links import Scope
from tests.incidents.conftest import REPO
from tests.incidents.permission_world import (  # noqa: F401 - world and matrix_config are fixtures
    ADMIN, ANNA, AUDITOR, CAMILLE, CHANNEL, DECLARED, HUGO, KATRIN, LEA, MALLORY, NADIA, OLIVIA, SECOND_PO,
    World, _followup, _proposal, _statements, _unconfirmed, backdated_notification_requested, breach,
    breach_resolved, breach_with_clock, breach_with_systems, duty_removal_requested, exception_at_declaration,
    exception_by_escalation, filing_with_clock, followup_proposed, followup_proposed_by_a_product_owner,
    late_clock_requested, matrix_config, quiet, statement_drafted, world,
)


# --- the matrix -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    action: str
    setup: Callable[[World], None]
    act: Callable[[World, str, str], Any]  # (world, actor, idempotency key)
    state: Callable[[World], Any]  # what the action changes
    allowed: str
    denied: str | None  # None: the rule is "everyone"
    who: tuple[str, ...] = ()  # what the refusal must name as allowed
    requester: str | None = None  # whose request this is: approving it themselves is refused
    private: bool = True  # acts on a private incident: an outsider is told it does not exist
    held: bool = False  # the disallowed person's change is not refused but waits for a second person

    @property
    def id(self) -> str:
        return f"{self.action}:{self.setup.__name__}"


def _holder(role: str) -> Callable[[World], Any]:
    return lambda w: w.svc.get(1).holder(role)


def _status(obligation: str) -> Callable[[World], Any]:
    return lambda w: w.ob(obligation).status


def _calendar_links(w: World) -> Any:
    from bot.reports.calendar_links import CalendarLinks

    return CalendarLinks(w.svc.ctx.store, w.svc.ctx.config, w.clock, base_url="https://bot.example.com/web")


ROWS = [
    # declare: [everyone]
    Row("declare", breach, lambda w, a, k: w.svc.declare("sev4", "Typo on the status page", actor=a, key=k),
        lambda w: len(w.svc.open_incidents()), allowed=MALLORY, denied=None, private=False),
    # change_severity: [role:commander, admins]
    Row("change_severity", breach, lambda w, a, k: w.svc.change_severity(1, "sev1", actor=a, key=k),
        lambda w: w.svc.get(1).severity, allowed=KATRIN, denied=LEA,
        who=("the commander (Katrin", "an admin")),
    # attach_channel: [role:commander, admins]
    Row("attach_channel", breach, lambda w, a, k: w.svc.attach_channel(1, "CHAND0001", "inc-1-leak", actor=a, key=k),
        lambda w: w.svc.get(1).channel_id, allowed=ADMIN, denied=LEA, who=("the commander", "an admin")),
    # assign_role: [role:commander, admins]
    Row("assign_role", breach, lambda w, a, k: w.svc.assign_role(1, "scribe", HUGO, actor=a, key=k),
        _holder("scribe"), allowed=KATRIN, denied=LEA, who=("the commander", "an admin")),
    # hand_over_role: [role_holder, role:commander, admins]
    Row("hand_over_role", breach, lambda w, a, k: w.svc.hand_over_role(1, "comms_lead", HUGO, actor=a, key=k),
        _holder("comms_lead"), allowed=LEA, denied=ANNA,
        who=("the role's current holder (Léa", "the commander", "an admin")),
    # post_status: [role:commander, role:comms_lead, role:scribe, admins]
    Row("post_status", breach, lambda w, a, k: w.svc.post_status(1, "contained; keys rotated", actor=a, key=k),
        lambda w: [e.kind for e in w.svc.timeline(1)].count("status.posted"), allowed=LEA, denied=ANNA,
        who=("the commander", "the comms lead", "the scribe (unfilled)", "an admin")),
    # add_note: [everyone]
    Row("add_note", breach, lambda w, a, k: w.svc.add_note(1, "I see the same key in the logs", actor=a, key=k),
        lambda w: [e.kind for e in w.svc.timeline(1)].count("note.added"), allowed=ANNA, denied=None),
    # set_fact: [role:commander, role:comms_lead, role:legal, role:dpo, role:security_lead, group:privacy-office, admins]
    Row("set_fact", breach, lambda w, a, k: w.svc.set_fact(1, "personal_information_breach", "yes", actor=a, key=k),
        lambda w: w.svc.get(1).facts.get("personal_information_breach"), allowed=LEA, denied=ANNA,
        who=("the commander", "the comms lead", "the legal", "the dpo", "the security lead",
             "group privacy-office", "an admin")),
    # set_systems: [role:commander, role:comms_lead, role:legal, role:dpo, role:security_lead, group:privacy-office,
    # admins]
    Row("set_systems", breach, lambda w, a, k: w.svc.affects(1, ["billing-db"], actor=a, key=k),
        lambda w: w.svc.get(1).systems, allowed=LEA, denied=ANNA,
        who=("the commander (Katrin", "the comms lead (Léa", "the legal (Camille", "the dpo", "the security lead",
             "group privacy-office", "an admin")),
    # confirm_fact: [role:legal, role:dpo, group:privacy-office, admins]  (not the commander who named the systems)
    Row("confirm_fact", breach_with_systems, lambda w, a, k: w.svc.confirm_facts(1, ["residents"], actor=a, key=k),
        lambda w: w.svc.get(1).facts.get("residents"), allowed=CAMILLE, denied=KATRIN,
        who=("the legal (Camille", "the dpo", "group privacy-office", "an admin")),
    # set_trigger: [role:comms_lead, role:legal, role:dpo, group:privacy-office, admins]  (not the commander)
    Row("set_trigger", breach, lambda w, a, k: w.svc.set_trigger(1, "aware", DECLARED, actor=a, key=k),
        lambda w: w.svc.get(1).triggers, allowed=NADIA, denied=KATRIN,
        who=("the comms lead", "the legal", "the dpo", "group privacy-office", "an admin")),
    # approve_trigger_change: [role:comms_lead, role:legal, role:dpo, group:privacy-office, admins]; not the requester
    Row("approve_trigger_change", late_clock_requested,
        lambda w, a, k: w.svc.approve_trigger_change(w.ids["request"], actor=a, key=k),
        lambda w: w.svc.get(1).triggers, allowed=LEA, denied=KATRIN, requester=CAMILLE,
        who=("the comms lead", "the legal", "the dpo", "group privacy-office", "an admin")),
    # complete_task: [task_owner, role:commander, admins]
    Row("complete_task", breach, lambda w, a, k: w.svc.complete_task(w.ids["task"], actor=a, key=k),
        lambda w: [t.done for t in w.svc.tasks(1) if t.id == w.ids["task"]], allowed=LEA, denied=ANNA,
        who=("the task's owner (Léa", "the commander", "an admin")),
    # acknowledge_page: [page_recipient, admins]  (not even the commander)
    Row("acknowledge_page", breach, lambda w, a, k: w.svc.acknowledge_page(w.ids["page"], actor=a, key=k),
        lambda w: [p.status for p in w.svc.pages(1)], allowed=ANNA, denied=KATRIN,
        who=("the person paged (Anna", "an admin")),
    # decline_page: [page_recipient, admins]
    Row("decline_page", breach, lambda w, a, k: w.svc.decline_page(w.ids["page"], "on a train, no laptop", actor=a,
                                                                    key=k),
        lambda w: [p.status for p in w.svc.pages(1)], allowed=ANNA, denied=KATRIN,
        who=("the person paged (Anna", "an admin")),
    # mark_notified: [role:comms_lead, role:legal, role:dpo, group:privacy-office, admins]
    Row("mark_notified", breach_with_clock,
        lambda w, a, k: w.svc.mark_notified(w.ids["gdpr"], actor=a, key=k, reference="CNIL-2026-1",
                                            submitted_at=w.clock.now() - timedelta(minutes=10)),
        _status("gdpr.authority"), allowed=LEA, denied=KATRIN,
        who=("the comms lead", "the legal", "the dpo", "group privacy-office", "an admin")),
    # mark_not_required: [role:legal, role:dpo, group:privacy-office, admins]  (not the comms lead)
    Row("mark_not_required", breach_with_clock,
        lambda w, a, k: w.svc.mark_not_required(w.ids["gdpr"], "the keys gave access to hashed data only", actor=a,
                                                key=k),
        _status("gdpr.authority"), allowed=CAMILLE, denied=LEA,
        who=("the legal (Camille", "the dpo", "group privacy-office", "an admin")),
    # snooze_obligation: [role:comms_lead, role:legal, role:dpo, group:privacy-office, admins]
    Row("snooze_obligation", breach_with_clock,
        lambda w, a, k: w.svc.snooze_obligation(w.ids["gdpr"], w.clock.now() + timedelta(hours=2), actor=a, key=k),
        lambda w: w.ob("gdpr.authority").snoozed_until, allowed=LEA, denied=KATRIN,
        who=("the comms lead", "the legal", "the dpo", "group privacy-office", "an admin")),
    # record_delay: [role:legal, group:privacy-office, admins]  (not the comms lead)
    Row("record_delay", filing_with_clock,
        lambda w, a, k: w.svc.record_delay(w.ids["filing"], "attorney_general",
                                           w.ob("sec_8k.item_1_05").due_at + timedelta(days=28), "DOJ-2026-17",
                                           actor=a, key=k),
        lambda w: w.ob("sec_8k.item_1_05").due_at, allowed=CAMILLE, denied=LEA,
        who=("the legal (Camille", "group privacy-office", "an admin")),
    # resolve: [role:commander, admins]
    Row("resolve", breach, lambda w, a, k: w.svc.resolve(1, actor=a, key=k), lambda w: w.svc.get(1).status,
        allowed=KATRIN, denied=LEA, who=("the commander (Katrin", "an admin")),
    # close: [role:commander, admins]
    Row("close", quiet, lambda w, a, k: w.svc.close(1, "keys rotated, no data left the bucket", actor=a, key=k),
        lambda w: w.svc.get(1).status, allowed=ADMIN, denied=HUGO, who=("the commander (Katrin", "an admin")),
    # remove_legal_duty: [role:legal, role:dpo, group:privacy-office, admins]; anyone else's change waits
    Row("remove_legal_duty", breach,
        lambda w, a, k: w.svc.set_fact(1, "personal_information_breach", "no", actor=a, key=k,
                                       reason="only hashed keys in that bucket"),
        _status("us_state_ca.residents"), allowed=CAMILLE, denied=KATRIN, held=True),
    # approve_request: [role:legal, role:dpo, group:privacy-office, admins]; never the requester (duty-removing fact)
    Row("approve_request", duty_removal_requested,
        lambda w, a, k: w.svc.approve_request(w.ids["request"], actor=a, key=k),
        _status("us_state_ca.residents"), allowed=NADIA, denied=LEA, requester=KATRIN,
        who=("the legal (Camille", "the dpo", "group privacy-office", "an admin")),
    # approve_request, the same rule, for a backdated notification (the requester is allowed to approve others')
    Row("approve_request", backdated_notification_requested,
        lambda w, a, k: w.svc.approve_request(w.ids["request"], actor=a, key=k),
        _status("gdpr.authority"), allowed=NADIA, denied=KATRIN, requester=CAMILLE,
        who=("the legal (Camille", "the dpo", "group privacy-office", "an admin")),
    # set_milestone: [role:commander, role:scribe, admins]
    Row("set_milestone", breach,
        lambda w, a, k: w.learn.set_milestone(1, "mitigated", w.clock.now(), actor=a, key=k,
                                              reason="the leaked key was revoked"),
        lambda w: w.learn.milestones(1), allowed=KATRIN, denied=LEA,
        who=("the commander (Katrin", "the scribe (unfilled)", "an admin")),
    # draft_review: [review_owner, role:commander, role:scribe, admins]
    Row("draft_review", breach_resolved, lambda w, a, k: w.learn.draft_review(1, actor=a, key=k),
        lambda w: w.learn.review(1).drafts, allowed=HUGO, denied=LEA,
        who=("the review's owner (Katrin", "the commander (Katrin", "the scribe (Hugo", "an admin")),
    # complete_review: [review_owner, role:commander, admins]  (not the scribe, who may draft it)
    Row("complete_review", breach_resolved,
        lambda w, a, k: w.learn.complete_review(1, actor=a, key=k, link="https://wiki.example/inc-1-review"),
        lambda w: w.learn.review(1).state, allowed=KATRIN, denied=HUGO,
        who=("the review's owner (Katrin", "the commander (Katrin", "an admin")),
    # add_followup: [everyone]
    Row("add_followup", breach, lambda w, a, k: w.learn.add_followup(1, _proposal(), actor=a, key=k),
        lambda w: len(w.learn.followups_of(1)), allowed=ANNA, denied=None),
    # update_followup: [followup_owner, role:commander, admins]
    Row("update_followup", followup_proposed, lambda w, a, k: w.learn.start_followup(w.ids["followup"], actor=a, key=k),
        _followup, allowed=ANNA, denied=LEA, who=("the follow-up's owner (Anna", "the commander (Katrin", "an admin")),
    # risk_owner: [group:product-owners]; the person who proposed the follow-up is always refused
    Row("risk_owner", followup_proposed_by_a_product_owner,
        lambda w, a, k: w.learn.defer_followup(w.ids["followup"], date(2027, 3, 31), "after the key-vault migration",
                                               actor=a, key=k),
        _followup, allowed=SECOND_PO, denied=KATRIN, requester=OLIVIA, who=("group product-owners",)),
    # record_exercise: [group:incident-managers, admins]  (incident-managers: Katrin, Camille; not an engineer)
    Row("record_exercise", breach,
        lambda w, a, k: w.learn.record_exercise(Entry(day=date(2026, 12, 15), scenario="Leaked key, tabletop",
                                                      participants=("anna", "lea")), actor=a, key=k),
        lambda w: len(w.learn.exercises()), allowed=CAMILLE, denied=ANNA, private=False,
        who=("group incident-managers", "an admin")),
    # draft_statement: [admins], and the playbook's communications.external_owner (security: the comms lead)
    Row("draft_statement", breach,
        lambda w, a, k: w.svc.draft_statement(1, "investigating", "We are investigating.", actor=a, key=k),
        _statements("statement.drafted"), allowed=LEA, denied=ANNA, who=("the comms lead (Léa", "an admin")),
    # approve_statement: [group:privacy-office, admins], and the playbook's approval_needed_from (security: legal,
    # commander); never the drafter
    Row("approve_statement", statement_drafted,
        lambda w, a, k: w.svc.approve_request(w.ids["request"], actor=a, key=k),
        _statements("statement.published"), allowed=CAMILLE, denied=ANNA, requester=LEA,
        who=("the legal (Camille", "the commander (Katrin", "group privacy-office", "an admin")),
    # issue_calendar_link: [group:incident-managers, admins]  (a link to a rotation's shifts; one's own needs nothing)
    Row("issue_calendar_link", breach,
        lambda w, a, k: _calendar_links(w).issue(Scope(rotation="platform"), actor=a),
        lambda w: len(_calendar_links(w).listing()), allowed=CAMILLE, denied=ANNA, private=False,
        who=("group incident-managers", "an admin")),
    # declare_exception: [person:katrin, person:camille, admins]; not the one who applied it
    Row("declare_exception", exception_at_declaration,
        lambda w, a, k: w.svc.confirm_exception(w.use(), "all card payments failing; no rested DBA nearby", actor=a,
                                                key=k),
        _unconfirmed, allowed=CAMILLE, denied=ANNA, requester=KATRIN, private=False,
        who=("person katrin", "person camille", "an admin")),
    # the same rule when the exception came with an escalation: the escalating commander applied it
    Row("declare_exception", exception_by_escalation,
        lambda w, a, k: w.svc.confirm_exception(w.use(), "replica lag became a full outage at 02:00", actor=a, key=k),
        _unconfirmed, allowed=CAMILLE, denied=LEA, requester=KATRIN, private=False,
        who=("person katrin", "person camille", "an admin")),
]


def test_every_action_has_a_row():
    """The matrix lists every action the permission schema knows, and the shipped file sets each one."""
    shipped = yaml.safe_load((REPO / "config" / "permissions.yaml").read_text())["actions"]
    assert set(ACTIONS) == set(shipped)
    assert {r.action for r in ROWS} | {"read_private"} == set(ACTIONS)


def _length(w: World, row: Row) -> int:
    """Events on every incident's chain (a declaration starts a second incident) and on the global chain (an
    exercise record)."""
    from bot.audit.trail import events as chain_events

    with w.svc.ctx.store.session() as s:
        total = len(chain_events(s, None))
    for number in (1, 2):
        try:
            total += len(w.svc.timeline(number))
        except NotFound:
            pass
    return total


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_matrix(world, row):
    w = world
    row.setup(w)
    before, events = row.state(w), _length(w, row)

    if row.private:  # an outsider: the incident does not exist for them, and nothing changes
        with pytest.raises(NotFound, match="^there is no incident INC-1; check the number$"):
            row.act(w, MALLORY, "k-outsider")
        assert (row.state(w), _length(w, row)) == (before, events)

    if row.held:  # not refused: a request is recorded and the change waits for a second person
        asked = row.act(w, row.denied, "k-denied")
        assert "needs a second person's approval" in asked.message
        assert row.state(w) == before
        asked_event = w.svc.timeline(1)[-1]
        assert (asked_event.kind, asked_event.actor) == ("approval.requested", row.denied)
        events = _length(w, row)
    elif row.denied is not None:  # on the incident, not allowed: told who may, nothing changes
        with pytest.raises(PermissionDenied) as refused:
            row.act(w, row.denied, "k-denied")
        message = str(refused.value)
        assert message.startswith("You (") and f"may not {row.action.replace('_', ' ')}" in message
        for allowed in row.who:
            assert allowed in message, (allowed, message)
        assert (row.state(w), _length(w, row)) == (before, events)

    if row.requester is not None:  # the requester approving their own request
        with pytest.raises(PermissionDenied, match="cannot (approve|confirm) it too|you may not also (defer|accept)"):
            row.act(w, row.requester, "k-self")
        assert (row.state(w), _length(w, row)) == (before, events)

    # someone the rule allows (with the key the refusals tried: a refusal never uses up a key)
    row.act(w, row.allowed, "k-denied")
    assert row.state(w) != before
    assert _length(w, row) > events


# --- read_private: [response_team, channel_member, group:privacy-office, admins, auditors] ----------------

READS = {
    "get": lambda s, n, r: s.get(n, reader=r),
    "timeline": lambda s, n, r: s.timeline(n, reader=r),
    "deadlines": lambda s, n, r: s.obligations(n, reader=r),
    "open deadlines": lambda s, n, r: s.open_obligations(n, reader=r),
    "tasks": lambda s, n, r: s.tasks(n, reader=r),
    "pages": lambda s, n, r: s.pages(n, reader=r),
    "approvals": lambda s, n, r: s.pending_approvals(n, reader=r),
}

READERS = {
    "response team: the reporter": KATRIN,
    "response team: a role holder": CAMILLE,
    "response team: the person paged": ANNA,
    "a member of the incident channel": HUGO,
    "group:privacy-office": NADIA,
    "admins": ADMIN,
    "auditors": AUDITOR,
}


@pytest.fixture
def private_incident(world):
    breach(world)
    world.svc.record_channel(world.svc.get(1).id, CHANNEL, "inc-1-leak", key="s:ch")
    world.members[CHANNEL] = {HUGO}
    return world


def test_read_private_allowed(private_incident):
    svc = private_incident.svc
    for who, reader in READERS.items():
        assert svc.may_read(1, reader), who
        for read in READS.values():
            read(svc, 1, reader)
        assert svc.get(1, reader=reader).title == "Customer e-mails exported by a leaked key"
        assert 1 in [i.number for i in svc.open_incidents(reader=reader)], who
        assert svc.incident_by_channel(CHANNEL, reader=reader).number == 1


def test_read_private_refused_as_if_it_did_not_exist(private_incident):
    svc = private_incident.svc
    assert not svc.may_read(1, MALLORY) and not svc.may_read(99, MALLORY)
    for name, read in READS.items():
        with pytest.raises(NotFound) as refused:
            read(svc, 1, MALLORY)
        with pytest.raises(NotFound) as missing:
            read(svc, 99, MALLORY)
        assert str(refused.value) == str(missing.value).replace("INC-99", "INC-1"), name
    assert svc.open_incidents(reader=MALLORY) == []
    assert svc.incident_by_channel(CHANNEL, reader=MALLORY) is None
    private_incident.members[CHANNEL] = set()  # Hugo left the channel: he no longer reads it
    assert not svc.may_read(1, HUGO)
