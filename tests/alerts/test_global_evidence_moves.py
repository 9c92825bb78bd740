"""A call-out taken for an alert group (no incident, on the global chain) moves to the incident declared from the
group: the global chain records that it left (``moved_to``), the incident's chain holds it from then on, and both
chains verify against the tables."""

from __future__ import annotations

from datetime import timedelta

from bot.audit.evidence import chained_rows, verify_incident
from bot.audit.trail import events
from bot.incidents.tables import Incident
from bot.oncall.tables import Engagement, Page
from tests.alerts.test_page_routes import ANNA, TUESDAY, World, page_config  # noqa: F401  (page_config: a fixture)


def test_a_call_out_moving_from_its_alert_group_to_an_incident_verifies_clean(store, page_config):  # noqa: F811
    day = World(store, page_config, TUESDAY)
    day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    day.clock.advance(timedelta(minutes=1))
    day.answers.acknowledge(anna.id, actor=ANNA)
    [callout] = day.rows(Engagement)
    with store.session() as s:
        assert chained_rows(e.data for e in events(s, None))[("engagement", callout.id)]["incident_id"] is None
        assert verify_incident(s, None).problems == []
    day.clock.advance(timedelta(minutes=1))
    day.answers.declare(anna.id, actor=ANNA)
    [incident] = day.rows(Incident)
    assert day.rows(Engagement)[0].incident_id == incident.id
    with store.session() as s:
        global_data = [e.data for e in events(s, None)]
        moves = [entry for data in global_data for entry in data.get("evidence", []) if "moved_to" in entry]
        assert moves == [{"table": "engagement", "id": callout.id, "moved_to": incident.id}]
        assert ("engagement", callout.id) not in chained_rows(global_data)
        on_incident = chained_rows(e.data for e in events(s, incident.id))
        assert on_incident[("engagement", callout.id)]["incident_id"] == incident.id
        assert verify_incident(s, None).problems == [] and verify_incident(s, incident.id).problems == []
        # the page stays with its alert group, on the global chain
        assert chained_rows(global_data)[("page", anna.id)]["alert_group_id"] is not None
