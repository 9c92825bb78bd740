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

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import pytest
import yaml

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths
from bot.incidents.errors import NotFound, PermissionDenied
from bot.incidents.permissions import ACTIONS
from bot.incidents.service import IncidentService
from bot.learning.exercises import Entry
from bot.learning.followups import Proposal
from bot.learning.service import LearningService
from bot.oncall.calendar_links import Scope
from tests.incidents.conftest import REPO, load

# people.yaml: Katrin (a site manager: person:katrin may declare exceptions), Camille (DPO deputy: person:camille,
# eligible for the legal role), Nadia (the privacy-office group), Lea, Anna (on call: paged), Hugo (no role).
KATRIN, CAMILLE, NADIA, LEA, ANNA, HUGO = ("U0KATRIN1", "U0CAMILLE", "U0NADIA01", "U0LEA0001", "U0ANNA001",
                                           "U0HUGO001")
# Olivia: the shipped product-owners group (risk_owner). It ships with her alone, so a follow-up she proposes could
# be deferred by nobody: a second product owner is added for the segregation row.
OLIVIA, SECOND_PO = "U0OLIVIA1", "U0PRODUCT2"
MALLORY = "U0MALLORY"  # in the workspace, nothing to do with the incident
ADMIN, AUDITOR = "U0ADMIN01", "U0AUDIT01"  # added to the shipped settings/permissions (both ship empty)
DECLARED = datetime(2026, 12, 22, 8, 0, tzinfo=timezone.utc)
CHRISTMAS_NIGHT = datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc)  # 02:00 in Munich, a public holiday
CHANNEL = "CSEC00001"

# A listed company's filing duty (no shipped playbook considers SEC Form 8-K; record_delay needs an obligation
# whose regulation allows a delay notice: Item 1.05(c), the Attorney General delay).
FILING = """
id: filing
name: "Listed-company security incident"
rank: 2
criteria: ["a material cybersecurity incident at the registrant"]
roles:
  - {id: commander, title: Incident commander, initial: reporter}
  - {id: legal, title: Legal}
  - {id: comms_lead, title: Communications lead}
communications: {external_owner: comms_lead, authority_owner: legal}
regulations: {consider: [sec_8k]}
status_updates: {cadence: 1h}
"""


@pytest.fixture(scope="module")
def matrix_config(tmp_path_factory):
    """The shipped configuration with one admin and one auditor (both lists ship empty), a second product owner and
    the filing playbook."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "playbooks", root / "playbooks")
    settings, perms = root / "config" / "settings.yaml", root / "config" / "permissions.yaml"
    text = settings.read_text()
    assert "\nadmins: []" in text
    settings.write_text(text.replace("\nadmins: []", f"\nadmins: [{ADMIN}]"))
    text = perms.read_text()
    assert "\nauditors: []" in text
    assert "\n  product-owners: [olivia]" in text
    text = text.replace("\n  product-owners: [olivia]", f"\n  product-owners: [olivia, {SECOND_PO}]")
    perms.write_text(text.replace("\nauditors: []", f"\nauditors: [{AUDITOR}]"))
    (root / "playbooks" / "filing.yaml").write_text(FILING)
    return load(ConfigPaths(root / "config", root / "playbooks"))


@dataclass
class World:
    svc: IncidentService
    learn: LearningService  # on the same context (store, configuration, clock, channel members)
    clock: ManualClock
    members: dict[str, set[str]]
    ids: dict[str, int]

    def ob(self, obligation: str, number: int = 1) -> Any:
        return next(o for o in self.svc.obligations(number) if o.obligation == obligation)

    def use(self) -> Any:
        return self.ids["use"]


@pytest.fixture
def world(store, matrix_config):
    clock, members = ManualClock(DECLARED), {}
    svc = IncidentService(store, lambda: matrix_config, clock,
                          members=lambda channel, user: user in members.get(channel, set()))
    return World(svc, LearningService.on(svc.ctx), clock, members, {})


# --- the incidents the rows act on ----------------------------------------------------------------------


def breach(w: World) -> None:
    """INC-1, private (security playbook): Katrin reports and commands, Camille holds legal, Lea comms, Anna paged."""
    w.svc.declare("security", "Customer e-mails exported by a leaked key", actor=KATRIN, key="s:d",
                  facts={"gdpr_in_scope": "yes", "gdpr_role": "controller"})
    w.svc.assign_role(1, "legal", CAMILLE, actor=KATRIN, key="s:r1")
    w.svc.assign_role(1, "comms_lead", LEA, actor=KATRIN, key="s:r2")
    assert {p.slack_user for p in w.svc.pages(1)} == {ANNA}
    w.ids["page"] = w.svc.pages(1)[0].id
    w.ids["task"] = next(t.id for t in w.svc.tasks(1) if t.task == "holding-statement")  # owner: comms_lead


def breach_with_clock(w: World) -> None:
    breach(w)
    w.svc.set_trigger(1, "aware", DECLARED, actor=CAMILLE, key="s:t")  # GDPR Art. 33: 72 h from awareness
    w.clock.advance(hours=1)
    w.ids["gdpr"] = w.ob("gdpr.authority").id


def duty_removal_requested(w: World) -> None:
    breach(w)
    # Cal. Civ. Code 1798.82 applies while a personal-information breach is possible; the commander may set facts
    # but not remove a legal duty, so her change waits for a second person.
    asked = w.svc.set_fact(1, "personal_information_breach", "no", actor=KATRIN, key="s:f",
                           reason="only hashed keys in that bucket")
    w.ids["request"] = _request_id(asked)


def backdated_notification_requested(w: World) -> None:
    breach(w)
    w.svc.set_trigger(1, "aware", DECLARED, actor=CAMILLE, key="s:t")
    # Recorded four days after awareness as "submitted three days ago": more than the 60-minute
    # backdate_tolerance_minutes, so it waits; Camille (legal) asks, she is also someone allowed to approve.
    w.clock.set(datetime(2026, 12, 26, 8, 0, tzinfo=timezone.utc))
    asked = w.svc.mark_notified(w.ob("gdpr.authority").id, actor=CAMILLE, key="s:n", reference="CNIL-1",
                                submitted_at=datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc),
                                reason="sent by registered letter; the receipt came today")
    w.ids["request"] = _request_id(asked)


def late_clock_requested(w: World) -> None:
    breach(w)
    # A first clock start five hours after the declaration is beyond late_clock_tolerance_minutes (60): it waits.
    w.clock.advance(hours=6)
    asked = w.svc.set_trigger(1, "aware", DECLARED + timedelta(hours=5), actor=CAMILLE, key="s:t",
                              reason="the alert was triaged at 13:00")
    assert asked.approval is not None and asked.approval.status == "pending"
    w.ids["request"] = asked.approval.id


def quiet(w: World) -> None:
    """INC-1, a private sev4 (no regulation, so nothing stands in the way of closing) resolved by Katrin; Hugo is in
    its channel (so he reads it) and holds no role."""
    w.svc.declare("sev4", "Near miss: a test key was committed and revoked", actor=KATRIN, key="s:d", private=True)
    w.svc.record_channel(w.svc.get(1).id, CHANNEL, "inc-1-near-miss", key="s:ch")
    w.members[CHANNEL] = {HUGO}
    w.svc.resolve(1, actor=KATRIN, key="s:res")


def filing_with_clock(w: World) -> None:
    w.svc.declare("filing", "Ransomware at the registrant", actor=KATRIN, key="s:d", private=True,
                  facts={"sec_registrant": True})
    w.svc.assign_role(1, "legal", CAMILLE, actor=KATRIN, key="s:r1")
    w.svc.assign_role(1, "comms_lead", LEA, actor=KATRIN, key="s:r2")
    w.svc.set_trigger(1, "materiality_determined", DECLARED, actor=CAMILLE, key="s:t")
    w.ids["filing"] = w.ob("sec_8k.item_1_05").id


def exception_at_declaration(w: World) -> None:
    # Christmas night in Munich: the sev1 page to Anna goes out under the playbook's ArbZG §14 exception,
    # declared by Katrin (who declared the incident), unconfirmed until someone allowed confirms it.
    w.clock.set(CHRISTMAS_NIGHT)
    w.svc.declare("sev1", "Database cluster down", actor=KATRIN, key="s:d")
    ((use, _number, _person, _exception),) = w.svc.unconfirmed_exceptions()
    w.ids["use"] = use


def exception_by_escalation(w: World) -> None:
    # Lea reports a sev3 (its low-urgency page waits for working hours) and hands command to Katrin, who escalates
    # to sev1: the new sev1 target is paged under the exception, applied by Katrin's escalation, not by Lea.
    w.clock.set(CHRISTMAS_NIGHT)
    w.svc.declare("sev3", "Database replica lagging", actor=LEA, key="s:d")
    w.svc.assign_role(1, "commander", KATRIN, actor=LEA, key="s:r")
    w.svc.change_severity(1, "sev1", actor=KATRIN, key="s:e")
    ((use, _number, _person, _exception),) = w.svc.unconfirmed_exceptions()
    w.ids["use"] = use


def breach_with_systems(w: World) -> None:
    breach(w)
    # config/catalog.yaml: backup-store holds personal data of EU/EEA and Californian data subjects; the facts it
    # implies (residents among them) are derived, not confirmed.
    w.svc.affects(1, ["backup-store"], actor=KATRIN, key="s:sys")
    assert "residents" in w.svc.get(1).derived_facts


def breach_resolved(w: World) -> None:
    # The security playbook requires a review owned by the commander: Katrin owns it once she resolves INC-1.
    # Hugo is the scribe.
    breach(w)
    w.svc.assign_role(1, "scribe", HUGO, actor=KATRIN, key="s:r3")
    w.svc.resolve(1, actor=KATRIN, key="s:res")
    assert w.learn.review(1).owner == KATRIN


def _proposal() -> Proposal:
    return Proposal(title="Scan every bucket for long-lived keys", owner=ANNA, due=date(2027, 1, 29),
                    cost="2 days of one engineer", impact="another leaked key exposes customer e-mails",
                    likelihood="possible")


def followup_proposed(w: World) -> None:
    breach(w)
    w.ids["followup"] = w.learn.add_followup(1, _proposal(), actor=KATRIN, key="s:f").followup.id  # Anna owns it


def followup_proposed_by_a_product_owner(w: World) -> None:
    # Olivia reads the private incident (read_private: group:product-owners) and proposes the follow-up herself.
    breach(w)
    w.ids["followup"] = w.learn.add_followup(1, _proposal(), actor=OLIVIA, key="s:f").followup.id


def statement_drafted(w: World) -> None:
    breach(w)  # the security playbook: the comms lead drafts, legal or the commander signs off
    asked = w.svc.draft_statement(1, "investigating", "We are investigating unauthorised access.", actor=LEA,
                                  key="s:st")
    w.ids["request"] = _request_id(asked)


def _statements(kind: str) -> Callable[[World], Any]:
    return lambda w: [e.kind for e in w.svc.timeline(1)].count(kind)


def _request_id(outcome) -> int:
    return int(outcome.message.split("request #")[1].split(")")[0])


def _unconfirmed(w: World) -> list[int]:
    return [u for u, *_ in w.svc.unconfirmed_exceptions()]


def _followup(w: World) -> Any:
    return next((f.state, f.deferred_until) for f in w.learn.followups_of(1) if f.id == w.ids["followup"])


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
