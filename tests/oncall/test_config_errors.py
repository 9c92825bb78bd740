"""Bad on-call config: clear messages, nothing applied."""

from __future__ import annotations

from tests.oncall.conftest import BASE_PROFILE, one_rotation, person, site


def errors(write_config, *, people=None, rotas=None, labor=None):
    people = people or {"sites": [site("munich", "Europe/Berlin")],
                        "people": [person("anna", "U0ANNA001"), person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]}
    config, issues = write_config(people=people, rotas=rotas or one_rotation(["anna", "bea"]),
                                  labor=labor or [BASE_PROFILE], expect_valid=False)
    assert config is None
    return [str(i) for i in issues if i.severity == "error"]


def test_unknown_rule_kind_and_missing_citation(write_config):
    bad = {"id": "base", "rules": [{"kind": "min_daily_rets", "hours": 11, "cite": "x"}, {"kind": "leave"}]}
    out = errors(write_config, labor=[bad])
    assert any("unknown kind" in e and "min_daily_rets" in e for e in out)
    assert any('required key "cite" is missing' in e for e in out)


def test_exception_waiving_unknown_rule(write_config):
    bad = dict(BASE_PROFILE, exceptions=[{"id": "emergency", "severities": ["sev1"], "waives": ["rest"], "cite": "x"}])
    assert any('unknown rule "rest"' in e for e in errors(write_config, labor=[bad]))


def test_handoff_weekday_must_match_start(write_config):
    out = errors(write_config, rotas=one_rotation(["anna", "bea"], start="2026-03-03"))
    assert any("start to fall on the handoff weekday (MO)" in e and "Tuesday" in e for e in out)


def test_unknown_people_profiles_and_sites(write_config):
    rotas = one_rotation(["anna", "zoe"])
    assert any('unknown person "zoe"' in e and "rotas.yaml" in e for e in errors(write_config, rotas=rotas))
    people = {"sites": [site("munich", "Europe/Berlin", profile="de-nope")],
              "people": [person("anna", "U0ANNA001", site="berlin"), person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]}
    out = errors(write_config, people=people)
    assert any('unknown labor profile "de-nope"' in e for e in out)
    assert any('unknown site "berlin"' in e for e in out)


def test_bad_values_say_what_was_expected(write_config):
    people = {"sites": [site("munich", "Europe/Munich", holidays={"country": "DE", "subdivision": "XX"})],
              "people": [person("anna", "U0ANNA001", working_hours={"MO-FR": ["9-17"]}), person("bea", "bea"),
                         person("boss", "U0BOSS001")]}
    out = errors(write_config, people=people)
    assert any('expected an IANA time zone like "Europe/Berlin", got "Europe/Munich"' in e for e in out)
    assert any("holidays package" in e and "XX" in e for e in out)
    assert any('expected a local time window like "09:00-17:30", got "9-17"' in e for e in out)
    assert any('expected a Slack user id like "U012AB3CD", got "bea"' in e for e in out)


def test_extends_cycle(write_config):
    a = {"id": "a", "extends": "b", "rules": []}
    b = {"id": "b", "extends": "a", "rules": []}
    out = errors(write_config, labor=[BASE_PROFILE, a, b])
    assert any("circle" in e for e in out)


def test_leave_cannot_be_waived(write_config):
    bad = dict(BASE_PROFILE, exceptions=[{"id": "emergency", "severities": ["sev1"], "waives": ["leave"], "cite": "x"}])
    assert any("nobody is paged on leave" in e for e in errors(write_config, labor=[bad]))


def test_duplicate_people_and_slack_ids(write_config):
    people = {"sites": [site("munich", "Europe/Berlin")],
              "people": [person("anna", "U0ANNA001"), person("anna", "U0BEA0001"), person("boss", "U0BEA0001")]}
    out = errors(write_config, people=people, rotas=one_rotation(["anna"]))
    assert any('id "anna" appears twice' in e for e in out)
    assert any('slack "U0BEA0001" appears twice' in e for e in out)


def test_on_interrupt_short_form_and_mapping_say_what_was_expected(write_config):
    bad = dict(BASE_PROFILE, rules=[{"kind": "leave", "cite": "x"},
                                    {"kind": "min_daily_rest", "on_interrupt": "restar", "cite": "x"}])
    assert any('expected one of restart, restart_if_rest_incomplete, compensate, ignore or a mapping' in e
               and '"restar"' in e for e in errors(write_config, labor=[bad]))
    bad = dict(BASE_PROFILE, rules=[{"kind": "leave", "cite": "x"},
                                    {"kind": "min_daily_rest", "on_interrupt": {"complete_rest": "compensate"}, "cite": "x"}])
    assert any("complete_rest" in e for e in errors(write_config, labor=[bad]))


def test_new_rule_kinds_say_what_was_expected(write_config):
    bad = dict(BASE_PROFILE, rules=[{"kind": "leave", "cite": "x"},
                                    {"kind": "max_daily_hours", "hours": 10, "extendable_to": 8, "cite": "x"},
                                    {"kind": "night_work_limit", "average_hours": 8, "cite": "x"}])
    out = errors(write_config, labor=[bad])
    assert any("expected extendable_to at least hours (10), got 8" in e for e in out)
    assert any("expected average_hours and reference_days together" in e for e in out)
