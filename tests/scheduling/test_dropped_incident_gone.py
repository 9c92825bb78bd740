"""An outbox row whose incident's row was deleted outside the bot is dropped by the worker, and the drop is on the
chain: the global chain, since the incident's own chain may be gone with its row. Without the event the row would
end ``cancelled`` with nothing but a log line to say why, and `audit verify` could not tell the worker's drop from a
row cancelled by hand."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.audit.evidence import verify_incident
from bot.audit.trail import events
from bot.audit.wanted_effects import DROPPED
from bot.outbox.tables import Reminder
from tests.audit.test_orphan_chains import _delete_row
from tests.scheduling.test_outbox import _declare, config, world  # noqa: F401  (fixtures)


def _rows(store, incident_id):
    with store.session() as s:
        return {r.key: (r.kind, r.state) for r in s.exec(select(Reminder).where(Reminder.incident_id == incident_id))}


@pytest.mark.parametrize("batch", [True, False])
def test_a_due_effect_of_a_deleted_incident_is_dropped_on_the_global_chain(store, world, batch):
    _clock, chat, service, dispatcher = world
    iid = _declare(service).incident.id
    before = _rows(store, iid)
    assert any(kind == "create_channel" and state == "pending" for kind, state in before.values())
    _delete_row(store, 1)
    if batch:
        dispatcher.run_due()
    else:
        with store.session() as s:
            ids = [r.id for r in s.exec(select(Reminder).where(Reminder.incident_id == iid))]
        for rid in ids:
            dispatcher.claim(rid)
    after = _rows(store, iid)
    dropped = {key for key, (_kind, state) in after.items() if state == "cancelled"}
    assert "create_channel" in {after[k][0] for k in dropped} and not chat.channels  # nothing was done in Slack
    with store.session() as s:
        chained = [e for e in events(s, None) if e.kind == DROPPED]
        check = verify_incident(s, iid)
    by_key = {e.data["key"]: e for e in chained}
    assert set(by_key) == dropped, (by_key, dropped)
    for key in dropped:
        data = by_key[key].data
        assert data["kind"] == after[key][0] and data["incident_id"] == iid and data["incident_gone"] is True
        assert data["reason"] and f"id {iid}" in by_key[key].summary
    # `audit verify` of the vanished incident finds each cancelled row's drop (on the global chain).
    assert not [p for p in check.problems if "outbox row" in p], check.problems
