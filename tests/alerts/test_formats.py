"""Each wire format, from fixtures written by hand in the documented shapes, and its errors naming the field."""

from __future__ import annotations

import pytest

from bot.alerts.events import BadAlert
from bot.alerts.formats import alertmanager, generic, pagerduty, stable_key
from tests.alerts.conftest import fixture


def test_alertmanager_group_is_one_event_keyed_by_group_key():
    [event] = alertmanager(fixture("alertmanager_firing.json"))
    assert event.action == "trigger"
    assert event.key == '{}/{severity="critical"}:{alertname="HighErrorRate", service="checkout"}'
    # commonAnnotations.summary, with the count of firing alerts of the group (2 in the fixture)
    assert event.summary == "Checkout 5xx rate above 5% (2 firing of 2)"
    assert event.labels["team"] == "payments" and event.severity == "critical"
    assert event.link.startswith("http://prometheus.example.org:9090/graph")
    assert event.count == 2


def test_alertmanager_resolved_resolves_the_same_key():
    [firing] = alertmanager(fixture("alertmanager_firing.json"))
    [resolved] = alertmanager(fixture("alertmanager_resolved.json"))
    assert resolved.action == "resolve" and resolved.key == firing.key


def test_grafana_webhook_is_the_alertmanager_shape_with_extras():
    [event] = alertmanager(fixture("grafana_firing.json"))
    assert event.summary == "Disk on db-1 above 90%"
    assert event.labels["instance"] == "db-1"
    assert event.details["orgId"] == 1
    assert event.details["silenceURL"].startswith("https://grafana.example.org/alerting/silence/new")


def test_pagerduty_trigger_maps_payload_to_labels():
    [event] = pagerduty(fixture("pagerduty_trigger.json"))
    assert (event.action, event.key, event.severity) == ("trigger", "samplekeyhere", "critical")
    assert event.labels == {"severity": "critical", "source": "prod-datapipe03.example.com", "component": "mysql",
                            "group": "prod-datapipe", "class": "disk"}
    assert event.link == "https://example.com/"


def test_pagerduty_trigger_without_dedup_key_gets_a_new_one():
    body = fixture("pagerduty_trigger.json")
    del body["dedup_key"]
    [event] = pagerduty(body, new_key=lambda: "generated-1")
    assert event.key == "generated-1"


def test_generic_format():
    [event] = generic(fixture("generic_firing.json"))
    assert (event.action, event.key, event.summary) == ("trigger", "backup-nightly", "Nightly backup did not finish")
    assert event.labels == {"severity": "warning", "job": "backup"}


def test_long_group_keys_are_kept_as_their_hash():
    assert stable_key("k" * 300).startswith("sha256:") and len(stable_key("k" * 300)) == 7 + 64
    assert stable_key("short") == "short"


@pytest.mark.parametrize("parser,body,field", [
    (alertmanager, fixture("alertmanager_firing.json", version="3"), "version"),
    (alertmanager, fixture("alertmanager_firing.json", status="burning"), "status"),
    (alertmanager, fixture("alertmanager_firing.json", groupKey=None), "groupKey"),
    (alertmanager, fixture("alertmanager_firing.json", alerts=[]), "alerts"),
    (alertmanager, fixture("alertmanager_firing.json", commonLabels={"a": ["x"]}), "commonLabels.a"),
    (alertmanager, [1, 2], "body"),
    (pagerduty, fixture("pagerduty_trigger.json", event_action="explode"), "event_action"),
    (pagerduty, fixture("pagerduty_trigger.json", payload=None), "payload"),
    (pagerduty, fixture("pagerduty_trigger.json", payload={"summary": "s", "source": "h"}), "payload.severity"),
    (pagerduty, fixture("pagerduty_trigger.json", payload={"summary": "s", "source": "h", "severity": "fatal"}),
     "payload.severity"),
    (pagerduty, fixture("pagerduty_trigger.json", payload={"source": "h", "severity": "info"}), "payload.summary"),
    (pagerduty, fixture("pagerduty_resolve.json", dedup_key=None), "dedup_key"),
    (pagerduty, fixture("pagerduty_trigger.json", dedup_key="k" * 256), "dedup_key"),
    (generic, {"status": "firing"}, "title"),
    (generic, {"title": "t", "status": "on"}, "status"),
    (generic, {"title": "t", "status": "firing", "details": "text"}, "details"),
])
def test_bad_input_names_the_field(parser, body, field):
    with pytest.raises(BadAlert) as err:
        parser(body)
    assert err.value.field == field
    assert field in str(err.value)
