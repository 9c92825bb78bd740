"""A row of no incident tied to an incident later leaves the global chain with a ``moved_to`` entry, even when the
unit of work that moves it never loaded its old incident (the chain it leaves is read from the database)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from bot.audit.evidence import chained_rows, verify_incident
from bot.audit.trail import events
from bot.audit.unit_time import happens_at
from bot.incidents.service import IncidentService
from bot.oncall.tables import Engagement
from tests.incidents.conftest import REPORTER, load, write_config


def test_a_call_out_moved_without_its_old_incident_loaded_verifies_on_both_chains(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg"))
    IncidentService(store, lambda: config, clock).declare("minor", "Search slow", actor=REPORTER, key="d1")
    with store.engine.connect() as conn:
        incident = conn.execute(text("SELECT id FROM incident")).scalar_one()
    with store.session() as s:
        happens_at(s, clock.now())
        s.add(Engagement(person_id="anna", start=clock.now(), source="record"))
    with store.session() as s:
        happens_at(s, clock.now())
        callout = s.exec(select(Engagement)).one()
        s.expire(callout, ["incident_id"])
        callout.incident_id = incident
        s.add(callout)
    with store.session() as s:
        moves = [entry for e in events(s, None) for entry in (e.data or {}).get("evidence", []) if "moved_to" in entry]
        assert moves == [{"table": "engagement", "id": 1, "moved_to": incident}]
        assert ("engagement", 1) in chained_rows(e.data for e in events(s, incident))
        assert verify_incident(s, None).problems == [] and verify_incident(s, incident).problems == []
