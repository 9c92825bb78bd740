"""The world the permission matrix acts in (:mod:`tests.incidents.test_permission_matrix`): the shipped
configuration with an admin, an auditor, a second product owner and a filing playbook; its people; and the incidents
and requests each row starts from."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths
from bot.incidents.service import IncidentService
from bot.learning.followups import Proposal
from bot.learning.service import LearningService
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
