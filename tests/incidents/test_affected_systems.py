"""Declaring names what was hit: facts derived from the systems catalog switch duties on (never off) until a person
with the right role confirms them. Uses the shipped configuration (catalog, derivations, regulations)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.incidents.errors import InvalidRequest, PermissionDenied
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, CAROL, REPORTER


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
    service.assign_role(1, "legal", CAROL, actor=REPORTER, key=keys())
    service.set_trigger(1, "discovered", clock.now() - timedelta(minutes=5), actor=CAROL, key=keys())
    # California applies on derived facts, and says so with the reason
    ca = _rows(store, "us_state_ca.residents")
    assert ca.status == "open" and not ca.missing_facts
    assert "derived, not confirmed: because" in ca.reason and "US-CA" in ca.reason
    # Texas: the derived counts say 0 Texans, but a derived fact never switches a duty off: still assumed
    tx = _rows(store, "us_state_tx.residents")
    assert tx.status == "open" and tx.missing_facts == ["residents.TX"]


def test_only_an_allowed_role_confirms_and_confirmation_decides(service, keys, clock, store):
    service.declare("security", "Leaked backup credential", actor=REPORTER, key=keys(), systems=["backup-store"])
    service.assign_role(1, "legal", CAROL, actor=REPORTER, key=keys())
    service.set_trigger(1, "discovered", clock.now() - timedelta(minutes=5), actor=CAROL, key=keys())
    # the reporter is commander: may name systems, may not confirm what they imply
    with pytest.raises(PermissionDenied, match="confirm fact"):
        service.confirm_fact(1, "residents", actor=REPORTER, key=keys())
    out = service.confirm_fact(1, "residents", actor=CAROL, key=keys())
    assert out.incident.facts["residents"] == {"CA": 420}
    event = service.timeline(1)[-1] if service.timeline(1)[-1].kind == "fact.confirmed" else \
        next(e for e in reversed(service.timeline(1)) if e.kind == "fact.confirmed")
    assert event.actor == CAROL and "backup-store" in event.data["because"]
    # confirmed: no Texans -> the Texas duty does not apply (its clock, from the determination, had not started)
    assert _rows(store, "us_state_tx.residents").status == "not_applicable"
    # Washington's clock (from discovery) had started: the row stays open until a person closes it, saying why,
    # and its reason records the change
    wa = _rows(store, "us_state_wa.residents")
    assert wa.status == "open" and "now assessed as not applicable" in wa.reason
    # a fact that was not derived cannot be "confirmed": record it instead
    with pytest.raises(InvalidRequest, match="not a derived fact"):
        service.confirm_fact(1, "gdpr_role", actor=CAROL, key=keys())


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
