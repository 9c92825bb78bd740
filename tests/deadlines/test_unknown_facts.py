"""Unknown facts: an obligation is assumed to apply until its facts are known, and says so plainly."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

from bot.cli import main
from bot.deadlines.assess import Situation, assess
from bot.deadlines.conditions import AnyOf, FactCondition, Not, evaluate
from tests.deadlines.conftest import REPO_ROOT


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


PDPA = {"pdpa_organisation": True, "personal_data_breach": True}


def test_a_failed_any_of_limb_is_not_given_as_a_reason_it_applies(catalog):
    # PDPA s 26B: notifiable if significant harm OR significant scale (>= 500). Harm is known to be false, the count is
    # not known yet: still assumed to apply (the count may reach 500), but "significant_harm = true (is false)" is no
    # reason for that and must not be listed among what held.
    situation = Situation(triggers={"assessed_notifiable": T("2026-06-10T10:00:00+08:00")},
                          facts=PDPA | {"significant_harm": False})
    result = {a.obligation: a for a in assess(catalog, ["sg_pdpa"], situation)}["sg_pdpa.commission"]
    assert result.status == "deadline"
    assert result.missing_facts == ("affected_individuals",)
    assert "is false" not in result.reason
    assert result.reason.startswith("assumed to apply until these facts are known: affected_individuals")
    # once the count is known to be below 500, it does not apply, and the reason names both facts
    known = Situation(triggers=situation.triggers, facts=PDPA | {"significant_harm": False, "affected_individuals": 499})
    result = {a.obligation: a for a in assess(catalog, ["sg_pdpa"], known)}["sg_pdpa.commission"]
    assert result.status == "not_applicable"
    assert "significant_harm" in result.reason and "affected_individuals >= 500 (is 499)" in result.reason


def test_an_undecided_negation_lists_no_reason():
    # not(a and b) with a true and b unknown is undecided; "not a = true" would be a false statement about a.
    inner = {"all_of": [{"fact": "a", "equals": True}, {"fact": "b", "equals": True}]}
    verdict = evaluate(Not.model_validate({"not": inner}), {"a": True})
    assert (verdict.value, verdict.used, verdict.missing) == (None, (), ("b",))


def test_an_undecided_any_of_keeps_only_what_is_still_open():
    cond = AnyOf(any_of=[FactCondition(fact="x", equals=True), FactCondition(fact="y", gte=500)])
    verdict = evaluate(cond, {"x": False})
    assert (verdict.value, verdict.used, verdict.missing) == (None, (), ("y",))


def test_assumed_obligations_are_flagged_in_the_json(capsys, tmp_path):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    base = ["deadlines", "--config-dir", str(tmp_path), "--regime", "gdpr", "--trigger", "aware=2026-03-27T10:00:00+01:00",
            "--json", "--fact", "gdpr_in_scope=true", "--fact", "personal_data_breach=true"]
    assert main(base) == 0
    rows = {r["obligation"]: r for r in json.loads(capsys.readouterr().out)}
    # gdpr_role and risk_level are not given: the 72 h deadline is computed but flagged as assumed
    authority = rows["gdpr.authority"]
    assert (authority["status"], authority["assumed"]) == ("deadline", True)
    assert set(authority["missing_facts"]) == {"gdpr_role", "risk_level"}
    assert main([*base, "--fact", "gdpr_role=controller", "--fact", "risk_level=risk"]) == 0
    rows = {r["obligation"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["gdpr.authority"]["assumed"], rows["gdpr.authority"]["missing_facts"]) == (False, [])
    assert rows["gdpr.authority"]["reason"].startswith("applies because gdpr_in_scope = true")


def test_a_proposed_regime_never_yields_a_legal_obligation(catalog):
    # CIRCIA is proposed: whatever the facts (known, unknown) and triggers, nothing is legal and nothing is a deadline.
    for facts in ({}, {"circia_covered_entity": True, "extortion_payment_made": True}):
        for triggers in ({}, {"aware": T("2026-03-02T10:00:00Z"), "ransom_paid": T("2026-03-02T12:00:00Z")}):
            for result in assess(catalog, ["circia"], Situation(triggers=triggers, facts=facts)):
                assert result.legal is False, result
                assert result.status in ("informational", "not_applicable"), result
