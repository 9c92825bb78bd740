"""A derived fact (from the affected systems, not confirmed) may switch a duty on, never off, and never grants relief."""

from __future__ import annotations

from datetime import datetime

from bot.deadlines.assess import Situation, assess
from bot.deadlines.conditions import FactCondition, Not, evaluate


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


WHY = {"personal_data_breach": "crm holds personal data", "affected_individuals": "crm: about 300 people"}


def test_a_derived_value_can_make_a_condition_hold_and_says_why():
    verdict = evaluate(FactCondition(fact="personal_data_breach", equals=True), {"personal_data_breach": True}, WHY)
    assert verdict.value is True and "derived, not confirmed: because crm holds personal data" in verdict.used[0]


def test_a_derived_value_never_makes_a_condition_fail():
    verdict = evaluate(FactCondition(fact="affected_individuals", gte=500), {"affected_individuals": 300}, WHY)
    assert verdict.value is None and verdict.missing == ("affected_individuals",)
    # the same value recorded (confirmed) by a person decides
    assert evaluate(FactCondition(fact="affected_individuals", gte=500), {"affected_individuals": 300}).value is False
    # nor through a negation
    negated = Not.model_validate({"not": {"fact": "personal_data_breach", "equals": True}})
    assert evaluate(negated, {"personal_data_breach": True}, WHY).value is None


HIPAA = {"unsecured_phi_breach": True, "hipaa_covered_entity": True, "affected_individuals": 300,
         "max_residents_in_one_state": 300}


def test_hipaa_threshold_on_a_derived_count(catalog):
    # 164.408(b) "500 or more": a derived estimate of 300 cannot rule the HHS notice out: it stays assumed.
    situation = Situation(triggers={"discovered": T("2026-03-02T10:00:00-05:00")}, facts=HIPAA,
                          derived={"affected_individuals": "ehr holds health data of about 300 people"})
    results = {a.obligation: a for a in assess(catalog, ["hipaa"], situation)}
    assert results["hipaa.hhs_500_or_more"].status == "deadline"
    assert results["hipaa.hhs_500_or_more"].missing_facts == ("affected_individuals",)
    assert results["hipaa.hhs_under_500"].status == "deadline"
    # confirmed, 300 decides: the 500-or-more notice does not apply
    confirmed = {a.obligation: a for a in assess(catalog, ["hipaa"], Situation(
        triggers={"discovered": T("2026-03-02T10:00:00-05:00")}, facts=HIPAA))}
    assert confirmed["hipaa.hhs_500_or_more"].status == "not_applicable"


def test_a_derived_fact_never_grants_relief(catalog):
    # DORA insurer, Saturday 00:00 CET limit (see test_regimes "dora-insurer-relief"): with nis2_identified = false
    # confirmed, the limit rolls to Mon 12:00; derived (not confirmed), the relief waits and Sat 00:00 CET stands.
    facts = {"dora_financial_entity": True, "major_ict_incident": True, "member_state": "DE",
             "entity_zone": "Europe/Berlin", "nis2_identified": False, "dora_entity_type": "insurer"}
    triggers = {"aware": T("2026-03-06T09:00:00+01:00"), "classified_major": T("2026-03-06T20:00:00+01:00")}
    derived = {a.obligation: a for a in assess(catalog, ["dora"], Situation(
        triggers=triggers, facts=facts, derived={"nis2_identified": "the catalog says so"}))}["dora.initial"]
    assert derived.to_json()["due_at"] == "2026-03-07T00:00:00+01:00" and "conservative" in derived.reason
    confirmed = {a.obligation: a for a in assess(catalog, ["dora"], Situation(triggers=triggers, facts=facts))}
    assert confirmed["dora.initial"].to_json()["due_at"] == "2026-03-09T12:00:00+01:00"
