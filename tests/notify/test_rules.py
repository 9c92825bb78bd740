"""Notification rules: the organisation's defaults, a person's own rule, and the high-urgency minimum
a person may tighten but not loosen.  Expected steps are read off the rule text in docs/paging.md."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.config.loader import collect
from bot.oncall.notification_rules import Contact, OrganisationRules, UrgencyRules, effective_steps, loosened
from tests.notify.world import write_config

M = timedelta(minutes=1)


def _steps(org, own, urgency):
    return [(s.method, s.after // M) for s in effective_steps(org, own, urgency)]


def test_defaults_slack_then_sms_then_a_call_for_high_slack_and_email_for_low():
    org = OrganisationRules()
    assert _steps(org, None, "high") == [("slack", 0), ("sms", 2), ("voice", 5)]
    assert _steps(org, None, "low") == [("slack", 0), ("email", 0)]


def test_a_person_may_tighten_the_high_urgency_rule():
    own = UrgencyRules(high=[{"method": "slack"}, {"method": "sms", "after": "1m"}, {"method": "voice", "after": "2m"}])
    assert _steps(OrganisationRules(), own, "high") == [("slack", 0), ("sms", 1), ("voice", 2)]
    assert loosened(OrganisationRules(), own) == []


def test_a_person_cannot_loosen_the_minimum_it_is_added_back():
    # the minimum is SMS by 5 minutes; this rule drops SMS for email only
    own = UrgencyRules(high=[{"method": "slack"}, {"method": "email", "after": "10m"}])
    assert _steps(OrganisationRules(), own, "high") == [("slack", 0), ("sms", 5), ("email", 10)]
    assert loosened(OrganisationRules(), own) == ["drops sms (the organisation's minimum: sms by 5m)"]
    late = UrgencyRules(high=[{"method": "slack"}, {"method": "sms", "after": "15m"}])
    assert _steps(OrganisationRules(), late, "high") == [("slack", 0), ("sms", 5), ("sms", 15)]
    assert loosened(OrganisationRules(), late) == ["delays sms to 15m (the organisation's minimum: by 5m)"]


def test_low_urgency_is_the_persons_own_choice():
    own = UrgencyRules(low=[{"method": "slack"}])
    assert _steps(OrganisationRules(), own, "low") == [("slack", 0)]


@pytest.mark.parametrize("steps, message", [
    ([{"method": "slack", "after": "3m"}], "expected slack at 0m"),
    ([{"method": "pigeon"}], "slack"),
    ([{"method": "sms", "after": "-1m"}], "duration"),
    ([{"method": "sms", "after": "2m"}, {"method": "sms", "after": "2m"}], "each step once"),
])
def test_bad_rules_are_refused_with_a_clear_message(steps, message):
    with pytest.raises(ValidationError) as err:
        UrgencyRules(high=steps)
    assert message in str(err.value)


@pytest.mark.parametrize("field, value, message", [
    ("phone", "0151 1234567", "E.164"),
    ("email", "anna at example", "email address"),
])
def test_bad_contacts_are_refused(field, value, message):
    with pytest.raises(ValidationError) as err:
        Contact(**{field: value})
    assert message in str(err.value)


def test_people_yaml_takes_contacts_rules_and_organisation_defaults(tmp_path):
    def edit(doc):
        doc["notification_rules"] = {"high": [{"method": "slack"}, {"method": "voice", "after": "1m"}],
                                     "high_minimum": [{"method": "voice", "after": "3m"}]}
        anna = next(p for p in doc["people"] if p["id"] == "anna")
        anna["notify"] = {"low": [{"method": "slack"}, {"method": "sms", "after": "30m"}]}
    config, issues = collect(write_config(tmp_path, people_edit=edit))
    assert config is not None, [str(i) for i in issues]
    people = config.one("people")
    anna = next(p for p in people.people if p.id == "anna")
    assert anna.contact.phone == "+4915100000001"
    assert _steps(people.notification_rules, anna.notify, "high") == [("slack", 0), ("voice", 1)]
    assert _steps(people.notification_rules, anna.notify, "low") == [("slack", 0), ("sms", 30)]


def test_a_bad_phone_in_people_yaml_is_reported_with_its_place(tmp_path):
    def edit(doc):
        next(p for p in doc["people"] if p["id"] == "anna")["contact"] = {"phone": "12345"}
    config, issues = collect(write_config(tmp_path, people_edit=edit))
    assert config is None
    text = "\n".join(str(i) for i in issues)
    assert "people.yaml" in text and "E.164" in text and "contact" in text


def test_check_warns_about_someone_on_a_night_rota_without_a_phone(tmp_path):
    """In the shipped rotas.yaml, platform covers around the clock (anna, bruno, carla, diogo, felix, ines)
    and payments-amer 19:00-07:00 (maya, sam); payments-emea is daytime only (lea, hugo).  Phones are
    removed from everyone, then given to anna and bruno only (write_config), so the other six on night
    rotas are warned about, each at their place in rotas.yaml, and nobody else."""
    def edit(doc):
        for person in doc["people"]:
            if person["id"] not in ("anna", "bruno"):
                person.pop("contact", None)
    config, issues = collect(write_config(tmp_path, people_edit=edit))
    assert config is not None
    night = [w for w in config.warnings if "pages at night" in w.message]
    assert sorted(w.message.split(" ")[0] for w in night) == ["carla", "diogo", "felix", "ines", "maya", "sam"]
    carla = next(w for w in night if w.message.startswith("carla"))
    assert carla.path == "rotations[0].participants[2]" and carla.file.endswith("rotas.yaml")
    assert 'rotation "platform", which pages at night (around the clock), but has no phone number' in carla.message
    sam = next(w for w in night if w.message.startswith("sam"))
    assert "(MO-SU 19:00-07:00)" in sam.message and "docs/paging.md" in sam.message


def test_check_is_quiet_when_everyone_on_a_night_rota_has_a_phone(tmp_path):
    def edit(doc):
        for i, person in enumerate(doc["people"]):
            person["contact"] = {"phone": f"+49151000001{i:02d}"}
    config, _ = collect(write_config(tmp_path, people_edit=edit))
    assert [w for w in config.warnings if "pages at night" in w.message] == []


def test_check_warns_about_a_rule_that_loosens_the_minimum(tmp_path):
    def edit(doc):
        next(p for p in doc["people"] if p["id"] == "anna")["notify"] = {"high": [{"method": "slack"},
                                                                                   {"method": "email"}]}
    config, _ = collect(write_config(tmp_path, people_edit=edit))
    loosened_warnings = [w for w in config.warnings if "anna's rule drops sms" in w.message]
    assert len(loosened_warnings) == 1 and loosened_warnings[0].file.endswith("people.yaml")
    assert loosened_warnings[0].path == "people[0].notify.high"


def test_a_mistyped_phone_or_email_is_not_repeated_whole_in_the_error(tmp_path):
    # The error goes to the log, to the operations channel and onto the global chain as a rejected edit
    # (bot/audit/config_rejections.py): a near-miss of a phone number or an email address is personal data.
    def edit(doc):
        next(p for p in doc["people"] if p["id"] == "anna")["contact"] = {"phone": "0151 7654321",
                                                                          "email": "anna.berg at example.org"}
    config, issues = collect(write_config(tmp_path, people_edit=edit))
    assert config is None
    text = "\n".join(str(i) for i in issues)
    assert "E.164" in text and "email address" in text
    assert "7654321" not in text and "anna.berg" not in text
    assert text.count("not repeated here: it is personal data") == 2


def test_an_unquoted_phone_number_is_not_repeated_whole_in_the_error(tmp_path):
    def edit(doc):
        next(p for p in doc["people"] if p["id"] == "anna")["contact"] = {"phone": 4915176543210}
    config, issues = collect(write_config(tmp_path, people_edit=edit))
    assert config is None
    text = "\n".join(str(i) for i in issues)
    assert "contact.phone: expected text (quote it" in text and "7654321" not in text
