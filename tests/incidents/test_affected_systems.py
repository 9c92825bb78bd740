"""Declaring names what was hit: facts derived from the systems catalog switch duties on (never off) until a person
with the right role confirms them. Uses the shipped configuration (catalog, derivations, regulations)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.incidents.errors import InvalidRequest, PermissionDenied
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, REPORTER

# config/permissions.yaml: the legal and dpo roles are held only by the privacy office (Nadia), Camille (DPO
# deputy) or an admin. Camille is not in the privacy-office group, so whatever she may do here she may do only
# because of the role she holds in this incident.
CAMILLE = "U0CAMILLE"


@pytest.fixture
def service(store, clock, shipped_config):
    return IncidentService(store, lambda: shipped_config, clock)


def _obligations(service):
    return {o.obligation: o for o in service.obligations(1)}


def _rows(store, name):
    from sqlmodel import select

    from bot.deadlines.tables import Obligation

    with store.session() as s:
        return s.exec(select(Obligation).where(Obligation.obligation_id == name)).one()


def test_declare_with_systems_derives_facts_with_reasons(service, keys, clock, store):
    out = service.declare("security", "Leaked backup credential", actor=REPORTER, key=keys(), systems=["backup-store"])
    derived = out.incident.derived_facts
    assert out.incident.systems == ("backup-store",)
    assert derived["gdpr_in_scope"]["value"] is True
    assert derived["gdpr_in_scope"]["because"] == \
        "backup-store holds personal and payment-card data of EU/EEA data subjects (AT, DE, FR, PT)"
    assert derived["residents"]["value"] == {"CA": 420}
    event = service.timeline(1)[0]
    assert event.kind == "incident.declared" and event.data["after"]["systems"] == ["backup-store"]
    service.assign_role(1, "legal", CAMILLE, actor=REPORTER, key=keys())
    service.set_trigger(1, "discovered", clock.now() - timedelta(minutes=5), actor=CAMILLE, key=keys())
    # California applies on derived facts, and says so with the reason
    ca = _rows(store, "us_state_ca.residents")
    assert ca.status == "open" and not ca.missing_facts
    assert "derived, not confirmed: because" in ca.reason and "US-CA" in ca.reason
    # Texas: the derived counts say 0 Texans, but a derived fact never switches a duty off: still assumed
    tx = _rows(store, "us_state_tx.residents")
    assert tx.status == "open" and tx.missing_facts == ["residents.TX"]


def test_only_an_allowed_role_confirms_and_confirmation_decides(service, keys, clock, store):
    service.declare("security", "Leaked backup credential", actor=REPORTER, key=keys(), systems=["backup-store"])
    service.assign_role(1, "legal", CAMILLE, actor=REPORTER, key=keys())
    service.set_trigger(1, "discovered", clock.now() - timedelta(minutes=5), actor=CAMILLE, key=keys())
    # the reporter is commander: may name systems, may not confirm what they imply
    with pytest.raises(PermissionDenied, match="confirm fact"):
        service.confirm_facts(1, ["residents"], actor=REPORTER, key=keys())
    out = service.confirm_facts(1, ["residents"], actor=CAMILLE, key=keys())
    assert out.incident.facts["residents"] == {"CA": 420}
    event = service.timeline(1)[-1] if service.timeline(1)[-1].kind == "fact.confirmed" else \
        next(e for e in reversed(service.timeline(1)) if e.kind == "fact.confirmed")
    assert event.actor == CAMILLE and "backup-store" in event.data["because"]
    # confirmed: no Texans -> the Texas duty does not apply (its clock, from the determination, had not started)
    assert _rows(store, "us_state_tx.residents").status == "not_applicable"
    # Washington's clock (from discovery) had started: the row stays open until a person closes it, saying why,
    # and its reason records the change
    wa = _rows(store, "us_state_wa.residents")
    assert wa.status == "open" and "now assessed as not applicable" in wa.reason
    # a fact that was not derived cannot be "confirmed": record it instead
    with pytest.raises(InvalidRequest, match="not a derived fact"):
        service.confirm_facts(1, ["gdpr_role"], actor=CAMILLE, key=keys())


def test_affects_names_unknown_systems_and_adds_facts(service, keys):
    service.declare("sev2", "Checkout slow", actor=REPORTER, key=keys())
    with pytest.raises(InvalidRequest, match='unknown system "biling-db"; did you mean "billing-db"'):
        service.affects(1, ["biling-db"], actor=REPORTER, key=keys())
    out = service.affects(1, ["billing-db"], actor=REPORTER, key=keys())
    assert out.incident.systems == ("billing-db",)
    assert out.incident.derived_facts["card_accounts"]["value"] == {"VISA": 17000, "MASTERCARD": 11000}
    # billing-db is critical and holds card data: the playbooks' suggestions are named
    assert "suggested severity: security" in out.message and "sev1 (billing-db is critical)" in out.message
    [post] = [p for p in out.posts if p.notice.kind == "systems_affected"]
    text = post.notice.as_text()
    assert "card_data_compromise = true (likely): because billing-db holds payment-card data" in text
    assert "Legal duties now:" in text
    # someone with no role may not change what the incident affects
    with pytest.raises(PermissionDenied):
        service.affects(1, ["crm"], actor=ALICE, key=keys())


def test_confirming_several_facts_is_all_or_nothing(service, keys, store):
    service.declare("security", "Leaked backup credential", actor=REPORTER, key=keys(), systems=["backup-store"])
    # config/permissions.yaml lets the data protection officer confirm too (confirm_fact: legal, dpo, ...)
    service.assign_role(1, "dpo", CAMILLE, actor=REPORTER, key=keys())
    # one name is not derived: nothing is confirmed
    with pytest.raises(InvalidRequest, match='"gdpr_role" is not a derived fact'):
        service.confirm_facts(1, ["residents", "gdpr_role"], actor=CAMILLE, key=keys())
    assert "residents" not in service.get(1).facts
    out = service.confirm_facts(1, ["residents", "gdpr_in_scope", "residents"], actor=CAMILLE, key=keys())
    assert out.incident.facts["residents"] == {"CA": 420} and out.incident.facts["gdpr_in_scope"] is True
    assert [e.data["fact"] for e in service.timeline(1) if e.kind == "fact.confirmed"] == ["residents", "gdpr_in_scope"]
    [post] = [p for p in out.posts if p.notice.kind == "facts_confirmed"]
    text = post.notice.as_text()
    assert "gdpr_in_scope = true: because backup-store holds personal and payment-card data" in text
    # backup-store's derived facts (config/derivations.yaml) less the two confirmed ones
    assert ("Still derived, not confirmed: affected_individuals, card_accounts, card_data_compromise, "
            "personal_data_breach, personal_information_breach\n") in text and "Legal duties now:" in text


def test_the_duty_tally_counts_assumed_derived_and_not_yet_in_force_apart():
    from types import SimpleNamespace as Row

    from bot.incidents.messages import duty_tally

    rows = [Row(status="open", missing_facts=["residents.TX"], reason=""),  # assumed
            Row(status="open", missing_facts=[], reason="derived, not confirmed: because crm holds ..."),  # applies
            Row(status="notified", missing_facts=[], reason=""),  # applied, done
            Row(status="not_applicable", missing_facts=[], reason=""),
            Row(status="informational", missing_facts=[], reason="not in effect until 2027-05-13")]
    assert duty_tally(rows) == ("2 duties apply (1 on derived facts, to be confirmed), 1 assumed until facts are known, "
                                "1 do not apply, 1 informational (not in force)")
    assert duty_tally(rows[2:4]).startswith("1 duty applies, 0 assumed")


def test_confirming_a_fact_that_turns_duties_off_says_who_and_why_like_any_fact_change(service, keys, clock, store):
    # Confirming the derived residents (CA 420 only) turns the other states' assumed duties off. Like a recorded fact
    # that does so, it is an obligation.turned_off event: the pack's "Duties turned off (who and why)" lists them.
    from bot.audit.export import evidence_pack

    service.declare("security", "Leaked backup credential", actor=REPORTER, key=keys(), systems=["backup-store"])
    service.assign_role(1, "legal", CAMILLE, actor=REPORTER, key=keys())
    service.confirm_facts(1, ["residents"], actor=CAMILLE, key=keys())
    assert _rows(store, "us_state_tx.residents").status == "not_applicable"
    [event] = [e for e in service.timeline(1) if e.kind == "obligation.turned_off"]
    assert event.actor == CAMILLE and "us_state_tx.residents" in event.data["obligations"]
    assert event.data["fact"] == "residents" and "backup-store" in event.data["reason"]
    with store.session() as s:
        off = evidence_pack(s, 1, now=clock.now())["duties_turned_off"]
    assert {d["obligation"] for d in off} == set(event.data["obligations"]) and {d["by"] for d in off} == {CAMILLE}


def test_confirming_a_fact_that_turns_duties_off_needs_remove_legal_duty(store, clock, keys, tmp_path):
    # A team that lets its comms lead confirm derived facts has not let them turn legal duties off alone: that stays
    # remove_legal_duty's (legal, the DPO, the privacy office, admins), as for a recorded fact.
    import shutil

    from bot.config.loader import ConfigPaths
    from tests.incidents.conftest import REPO, load

    shutil.copytree(REPO / "config", tmp_path / "config")
    permissions = tmp_path / "config" / "permissions.yaml"
    text = permissions.read_text()
    assert "  confirm_fact: [role:legal, " in text
    permissions.write_text(text.replace("  confirm_fact: [role:legal, ", "  confirm_fact: [role:comms_lead, role:legal, "))
    config = load(ConfigPaths(tmp_path / "config", REPO / "playbooks"))
    service = IncidentService(store, lambda: config, clock)
    service.declare("security", "Leaked backup credential", actor=REPORTER, key=keys(), systems=["backup-store"])
    service.assign_role(1, "comms_lead", ALICE, actor=REPORTER, key=keys())
    service.confirm_facts(1, ["gdpr_in_scope"], actor=ALICE, key=keys())  # turns nothing off: allowed
    with pytest.raises(PermissionDenied, match="turns off .*us_state_tx.residents"):
        service.confirm_facts(1, ["residents"], actor=ALICE, key=keys())
    assert "residents" not in service.get(1).facts and _rows(store, "us_state_tx.residents").status == "open"
