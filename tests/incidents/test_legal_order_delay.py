"""Incident service: recording a legal delay notice (permitted role, the law's limits, on the chain) and the warning
when a notice goes out before the one the law requires first."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest

from bot.incidents.errors import InvalidRequest, NotFound, PermissionDenied
from bot.incidents.service import IncidentService
from tests.incidents.conftest import ALICE, CAROL, MAJOR, REPO, REPORTER, load, write_config

PLAYBOOK = MAJOR.replace("status_updates:", "regulations: {consider: [sec_8k, us_state_md]}\nstatus_updates:")


@pytest.fixture
def service(tmp_path, store, clock):
    paths = write_config(tmp_path / "cfg", playbooks={"major": PLAYBOOK})
    shutil.copytree(REPO / "config" / "regulations", paths.config_dir / "regulations")
    config = load(paths)
    return IncidentService(store, lambda: config, clock)


@pytest.fixture
def inc(service, keys, clock):
    # clock: Mon 2026-03-02 09:00 UTC. Determined Mon 2026-03-02 08:00 UTC (03:00 EST): Tue (1), Wed (2), Thu (3),
    # Fri 2026-03-06 (4), 17:30 EST = 22:30 UTC.
    service.declare("major", "Intrusion", actor=REPORTER, key=keys(),
                    facts={"sec_registrant": True, "personal_information_breach": True, "residents": {"MD": 40}})
    service.assign_role(1, "legal", CAROL, actor=REPORTER, key=keys())
    service.assign_role(1, "comms_lead", ALICE, actor=REPORTER, key=keys())
    service.set_trigger(1, "materiality_determined", clock.now() - timedelta(hours=1), actor=CAROL, key=keys())
    service.set_trigger(1, "discovered", clock.now() - timedelta(hours=1), actor=CAROL, key=keys())


def _ob(service, obligation_id):
    return next(o for o in service.obligations(1) if o.obligation == obligation_id)


def test_legal_records_the_attorney_general_delay(service, keys, inc):
    filing = _ob(service, "sec_8k.item_1_05")
    assert filing.due_at == datetime.fromisoformat("2026-03-06T22:30:00+00:00")
    until = datetime.fromisoformat("2026-04-03T17:30:00-04:00")  # 28 days after Fri 03-06: within 30
    # The comms lead may mark notifications, but a delay moves a legal deadline: legal only.
    with pytest.raises(PermissionDenied, match="record delay"):
        service.record_delay(filing.id, "attorney_general", until, "DOJ-2026-17", actor=ALICE, key=keys())
    with pytest.raises(InvalidRequest, match="at most 30 days"):
        service.record_delay(filing.id, "attorney_general", until + timedelta(days=3), "DOJ-2026-17", actor=CAROL,
                             key=keys())
    # a request acting on another incident (a number typed in INC-2's channel) is refused, nothing moves
    service.declare("major", "Unrelated outage", actor=REPORTER, key=keys())
    with pytest.raises(NotFound, match="INC-2 has no obligation"):
        service.record_delay(filing.id, "attorney_general", until, "DOJ-2026-17", actor=CAROL, key=keys(),
                             incident=2)
    out = service.record_delay(filing.id, "attorney_general", until, "DOJ-2026-17", actor=CAROL, key=keys(),
                               incident=1)
    assert out.obligations[0].due_at == until
    event = service.timeline(1)[-1]
    assert (event.kind, event.actor) == ("obligation.delayed", CAROL)
    assert "Item 1.05(c)" in event.summary and "DOJ-2026-17" in event.summary


def test_consumer_notice_before_the_attorney_general_warns(service, keys, inc, clock):
    residents = _ob(service, "us_state_md.residents")
    out = service.mark_notified(residents.id, actor=CAROL, key=keys(), reference="letters mailed",
                                submitted_at=clock.now())
    assert "us_state_md.attorney_general" in out.message and "before this notice" in out.message
    assert _ob(service, "us_state_md.attorney_general").due_at == clock.now()  # due the moment the residents were told
