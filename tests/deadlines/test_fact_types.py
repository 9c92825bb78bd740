"""Typed facts: the catalog declares each fact's type; values are read against it or refused with what is allowed,
and a value that cannot be read never switches a duty off."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from bot.cli import main
from bot.deadlines.assess import Situation, assess
from bot.deadlines.fact_types import FactSpec, FactValueError, check_facts, read_value
from tests.deadlines.conftest import REPO_ROOT, load_dir

RISK = FactSpec(type="enum", values=["unlikely", "risk", "high"], question="risk")
BREACH = FactSpec(type="boolean", question="breach?")
COUNT = FactSpec(type="number", question="how many?")
RESIDENTS = FactSpec(type="counts", question="per state", keys=["CA", "TX"])


@pytest.mark.parametrize("spec, given, expected", [
    (BREACH, "yes", True), (BREACH, "FALSE", False), (BREACH, True, True),
    (RISK, "High", "high"),  # enum values match case-insensitively and are stored as declared
    (COUNT, "600", 600), (COUNT, 12.5, 12.5),
    (FactSpec(type="zone", question="z"), "Europe/Berlin", "Europe/Berlin"),
    (FactSpec(type="country", question="c"), "de", "DE"),
    (RESIDENTS, {"ca": "600"}, {"CA": 600}),
])
def test_values_are_read_against_their_type(spec, given, expected):
    assert read_value(spec, given) == expected


@pytest.mark.parametrize("spec, given, says", [
    (BREACH, "unknown", "expected true or false"),
    (BREACH, "ja", "expected true or false"),
    (BREACH, 1, "expected true or false"),
    (RISK, "hgh", 'one of unlikely, risk, high, got \'hgh\' (did you mean "high"?)'),
    (COUNT, "-3", "at least 0"),
    (COUNT, "many", "expected a number"),
    (COUNT, True, "expected a number"),
    (FactSpec(type="zone", question="z"), "Europe/Berln", "IANA time zone"),
    (FactSpec(type="country", question="c"), "XX", "country code"),
    (RESIDENTS, {"CAL": 4}, 'unknown key "CAL"; expected one of CA, TX (did you mean "CA"?)'),
    (RESIDENTS, {"CA": 2.5}, "whole number"),
    (RESIDENTS, 600, "counts per key"),
    (BREACH, "", "got nothing"),
])
def test_unreadable_values_are_refused_with_what_is_allowed(spec, given, says):
    with pytest.raises(FactValueError) as err:
        read_value(spec, given)
    assert says in str(err.value)


def test_unknown_names_get_a_did_you_mean():
    with pytest.raises(FactValueError) as err:
        check_facts({"personal_data_breach": BREACH}, {"personal_data_beach": True})
    assert 'unknown fact "personal_data_beach" (did you mean "personal_data_breach"?)' in str(err.value)


def test_names_are_matched_case_insensitively():
    assert check_facts({"risk_level": RISK}, {"Risk_Level": "HIGH"}) == {"risk_level": "high"}


def test_an_unreadable_stored_value_never_switches_a_duty_off(catalog):
    # GDPR Art. 33(1) applies when gdpr_in_scope and personal_data_breach are true (and the controller assesses a
    # risk). A value the engine cannot read as true/false ("ja", "unknown") must leave the duty assumed, exactly as
    # if the fact were not known, and never turn it into "not applicable" as a plain "!= true" comparison would.
    aware = {"aware": datetime.fromisoformat("2026-03-27T10:00:00+01:00")}
    base = {"gdpr_in_scope": True, "gdpr_role": "controller", "risk_level": "high"}
    for unreadable in ("ja", "unknown", 1):
        result = {a.obligation: a for a in assess(catalog, ["gdpr"], Situation(
            triggers=aware, facts=base | {"personal_data_breach": unreadable}))}["gdpr.authority"]
        assert result.status == "deadline" and "personal_data_breach" in result.missing_facts, unreadable
    result = {a.obligation: a for a in assess(catalog, ["gdpr"], Situation(
        triggers=aware, facts=base | {"personal_data_breach": False}))}["gdpr.authority"]
    assert result.status == "not_applicable"  # a readable "false" does switch it off


def test_every_shipped_fact_declares_a_type(catalog):
    for regime in catalog.values():
        for name, spec in regime.facts.items():
            assert isinstance(spec, FactSpec), (regime.id, name)


def _catalog_dir(tmp_path, edit):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    path = tmp_path / "regulations" / "gdpr.yaml"
    path.write_text(edit(path.read_text()))
    return tmp_path


def _errors(cfg):
    config, issues = load_dir(cfg)
    assert config is None
    return "\n".join(str(i) for i in issues if i.severity == "error")


def test_check_refuses_a_fact_without_a_type(tmp_path):
    cfg = _catalog_dir(tmp_path, lambda t: t.replace(
        'personal_data_breach: {type: boolean, question: "Was personal data compromised (confidentiality, integrity '
        'or availability)?"}', 'personal_data_breach: "Was personal data compromised?"'))
    err = _errors(cfg)
    assert "gdpr.yaml" in err and "expected a typed fact like {type: boolean" in err


def test_check_refuses_a_condition_its_fact_can_never_meet(tmp_path):
    cfg = _catalog_dir(tmp_path, lambda t: t.replace("{fact: gdpr_role, equals: controller}",
                                                     "{fact: gdpr_role, equals: controler}", 1))
    err = _errors(cfg)
    assert '"gdpr_role = controler" can never hold' in err and "one of controller, processor" in err


def test_check_refuses_a_fact_declared_two_ways(tmp_path):
    cfg = _catalog_dir(tmp_path, lambda t: t.replace(
        "risk_level: {type: enum, values: [unlikely, risk, high]", "risk_level: {type: enum, values: [low, high]"))
    err = _errors(cfg)
    assert "fact risk_level is declared as one of" in err and "declare it the same way in both" in err
    assert "one of low, high" in err and "one of unlikely, risk, high" in err


def test_deadlines_cli_refuses_bad_facts_and_matches_regimes_case_insensitively(tmp_path, capsys):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    base = ["deadlines", "--config-dir", str(tmp_path), "--trigger", "aware=2026-03-27T10:00:00+01:00"]
    assert main([*base, "--regime", "gdpr", "--fact", "risk_level=hgh"]) == 2
    assert 'did you mean "high"' in capsys.readouterr().err
    assert main([*base, "--regime", "gdpr", "--fact", "personal_data_breach=unknown"]) == 2
    assert "expected true or false" in capsys.readouterr().err
    assert main([*base, "--regime", "gpdr"]) == 2
    assert 'unknown regime "gpdr" (did you mean "gdpr"?)' in capsys.readouterr().err
    assert main([*base, "--regime", "GDPR", "--fact", "member_state=no", "--json"]) == 0  # Norway, not "false"
    assert "gdpr.authority" in capsys.readouterr().out
