"""Rows given by number belong to the incident the request is about (issue: `/incident notified 1 REF`
typed in INC-2's channel marked INC-1's duty as notified).  Enforced in the service, whoever calls it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.clock import ManualClock
from bot.incidents.errors import NotFound
from bot.incidents.service import IncidentService

KATRIN, ANNA, NADIA = "U0KATRIN1", "U0ANNA001", "U0NADIA01"
# Tuesday 2026-12-22 11:00 in Munich: anna is on call for platform and inside her working hours, so
# both sev2 incidents page her (see tests/incidents/test_shipped.py for the rota reasoning).
TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def service(store, shipped_config):
    return IncidentService(store, lambda: shipped_config, ManualClock(TUESDAY))


@pytest.fixture
def two(service):
    """INC-1 and INC-2, both security incidents with nadia as legal and the aware clock started."""
    for n in (1, 2):
        service.declare("security", f"Breach {n}", actor=KATRIN, key=f"d{n}",
                        facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
        service.assign_role(n, "legal", NADIA, actor=KATRIN, key=f"r{n}")
        service.set_trigger(n, "aware", TUESDAY - timedelta(hours=1), actor=NADIA, key=f"t{n}")
    return service


def gdpr(service, number: int):
    return next(o for o in service.obligations(number) if o.obligation == "gdpr.authority")


def test_an_obligation_of_another_incident_is_refused_with_this_ones_listed(two):
    first, second = gdpr(two, 1), gdpr(two, 2)
    for act in (lambda: two.mark_notified(first.id, actor=NADIA, key="n1", reference="REF", submitted_at=TUESDAY,
                                          incident=2),
                lambda: two.mark_not_required(first.id, "no EU data", actor=NADIA, key="m1", incident=2),
                lambda: two.snooze_obligation(first.id, TUESDAY + timedelta(hours=1), actor=NADIA, key="z1",
                                              incident=2)):
        with pytest.raises(NotFound) as refused:
            act()
        text = str(refused.value)
        assert text.startswith(f"INC-2 has no obligation #{first.id}.")
        assert f"gdpr.authority (#{second.id})" in text  # INC-2's own candidate, by name and number
        assert "INC-1" not in text  # never says where the number belongs (it may be a private incident)
    assert gdpr(two, 1).status == "open" and gdpr(two, 1).snoozed_until is None  # INC-1 untouched
    assert not [e for e in two.timeline(1) if e.kind.startswith("obligation.") and "notified" in e.kind]


def test_the_right_incident_or_a_button_on_the_row_itself_works(two):
    second = gdpr(two, 2)
    done = two.mark_notified(second.id, actor=NADIA, key="n2", reference="REF-2", submitted_at=TUESDAY, incident=2)
    assert done.obligations[0].status == "notified"
    first = gdpr(two, 1)  # a nudge button in a DM names the row only: its own incident is used
    assert two.snooze_obligation(first.id, TUESDAY + timedelta(hours=1), actor=NADIA, key="z2").obligations


def test_an_unknown_number_gets_the_same_answer_as_another_incidents(two):
    with pytest.raises(NotFound, match=r"^INC-2 has no obligation #99999\. Its open obligations: "):
        two.mark_notified(99999, actor=NADIA, key="n3", reference="REF", submitted_at=TUESDAY, incident=2)


def test_a_page_of_another_incident_is_refused(service):
    service.declare("sev2", "Checkout errors", actor=KATRIN, key="d1")
    service.declare("sev2", "Search errors", actor=KATRIN, key="d2")
    first = service.pages(1)[0]
    second = service.pages(2)[0]
    for act in (lambda: service.acknowledge_page(first.id, actor=ANNA, key="a1", incident=2),
                lambda: service.decline_page(first.id, "busy", actor=ANNA, key="a2", incident=2)):
        with pytest.raises(NotFound, match=rf"INC-2 has no page #{first.id}\. Its open pages: #{second.id} to "):
            act()
    assert service.pages(1)[0].status == first.status  # INC-1's page untouched
    assert service.acknowledge_page(second.id, actor=ANNA, key="a3", incident=2).pages[0].status == "acked"


def test_a_task_of_another_incident_is_refused(service):
    service.declare("sev2", "Checkout errors", actor=KATRIN, key="d1")
    service.declare("sev2", "Search errors", actor=KATRIN, key="d2")
    task = service.tasks(1)[0]
    own = service.tasks(2)[0]
    with pytest.raises(NotFound, match=rf'INC-2 has no checklist task #{task.id}\. Its open checklist tasks: "'):
        service.complete_task(task.id, actor=KATRIN, key="c1", incident=2)
    assert not service.tasks(1)[0].done
    assert service.complete_task(own.id, actor=KATRIN, key="c2", incident=2).tasks[0].done


def test_a_trigger_change_request_of_another_incident_is_refused(two):
    two.set_trigger(1, "aware", TUESDAY - timedelta(hours=5), actor=NADIA, key="move")
    request = two.pending_approvals(1)[0]
    with pytest.raises(NotFound, match=rf"INC-2 has no trigger change request #{request.id}\. It has no open"):
        two.approve_trigger_change(request.id, actor=KATRIN, key="ap1", incident=2)
    assert two.pending_approvals(1)[0].status == "pending"
