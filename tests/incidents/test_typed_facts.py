"""Facts recorded on an incident are read against the catalog's types: an unknown name or an unreadable value is
refused with the allowed values and nothing is recorded."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.clock import ManualClock
from bot.incidents.errors import InvalidRequest
from bot.incidents.service import IncidentService

KATRIN, NADIA = "U0KATRIN1", "U0NADIA01"


@pytest.fixture
def service(store, shipped_config):
    return IncidentService(store, lambda: shipped_config, ManualClock(datetime(2026, 12, 22, 10, tzinfo=timezone.utc)))


@pytest.fixture
def incident(service):
    service.declare("security", "Suspicious login", actor=KATRIN, key="d1")
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    return service


@pytest.mark.parametrize("name, value, says", [
    ("personal_data_breach", "unknown", "fact personal_data_breach: expected true or false"),
    ("personal_data_breach", "ja", "expected true or false"),
    ("risk_level", "hgh", 'expected one of unlikely, risk, high, got \'hgh\' (did you mean "high"?)'),
    ("personal_data_beach", "true", 'unknown fact "personal_data_beach" (did you mean "personal_data_breach"?)'),
    ("affected_individuals", "a few", "expected a number"),
    ("entity_zone", "Berlin", "IANA time zone"),
    ("gdpr_role", "true", "one of controller, processor"),
])
def test_unreadable_facts_are_refused_and_nothing_is_recorded(incident, name, value, says):
    events = len(incident.timeline(1))
    with pytest.raises(InvalidRequest) as err:
        incident.set_fact(1, name, value, actor=NADIA, key="f")
    assert says in str(err.value)
    assert incident.get(1).facts == {} and len(incident.timeline(1)) == events


def test_declaring_with_an_unreadable_fact_is_refused(service):
    with pytest.raises(InvalidRequest, match="expected true or false"):
        service.declare("security", "Leak", actor=KATRIN, key="d1", facts={"personal_data_breach": "maybe"})
    with pytest.raises(Exception):
        service.get(1)  # nothing was declared


def test_names_and_enum_values_are_matched_case_insensitively(incident):
    out = incident.set_fact(1, "Risk_Level", "HIGH", actor=NADIA, key="f1")
    assert out.incident.facts == {"risk_level": "high"}


def test_counts_are_set_one_state_at_a_time(incident):
    incident.set_fact(1, "residents.ca", "600", actor=NADIA, key="f1")
    out = incident.set_fact(1, "residents.TX", "12", actor=NADIA, key="f2")
    assert out.incident.facts["residents"] == {"CA": 600, "TX": 12}
    with pytest.raises(InvalidRequest, match='unknown key "ZZ"'):
        incident.set_fact(1, "residents.ZZ", "1", actor=NADIA, key="f3")
    with pytest.raises(InvalidRequest, match="only counts facts take a key"):
        incident.set_fact(1, "risk_level.x", "high", actor=NADIA, key="f4")
