"""After a purge no personal text of the incident is left in any table nor in the SQLite file's bytes; what is
kept stays verifiable, and editing kept evidence after the purge is detected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from bot.audit.evidence import verify_incident
from bot.purge.retention import purge
from bot.audit.tables import TimelineEvent
from bot.scheduling.delivery import Dispatcher
from bot.store import migrate
from bot.store.database import Store, make_engine
from tests.audit.test_evidence_chain import KATRIN, NADIA, clock, key  # noqa: F401  (fixtures)
from tests.scheduling.fakes import FakeChat
from bot.incidents.service import IncidentService

NAME = "Rosalind Quixley"  # personal text: appears in the title, notes, reasons, reminders, justification
SECRET = "pw-Zebra-7731"


@pytest.fixture
def purged(store, clock, shipped_config):
    return _purge_scenario(store, clock, shipped_config)


def _purge_scenario(store, clock, shipped_config):
    svc = IncidentService(store, lambda: shipped_config, clock)
    sev1 = svc.declare("sev1", f"{NAME} laptop stolen", actor=KATRIN, key="d1", description=f"{NAME} {SECRET}")
    svc.record_channel(_id(store, 1), "CINC1", f"inc-1-{NAME.lower().replace(' ', '-')}", key="ch")
    page = sev1.pages[0]
    svc.decline_page(page.id, f"{NAME} is my partner, {SECRET}", actor=page.slack_user, key="dec")
    svc.add_note(1, f"{NAME} called, {SECRET}", actor=KATRIN, key="n1")
    svc.post_status(1, f"update about {NAME}", actor=KATRIN, key="s1")
    clock.advance(hours=2)
    Dispatcher(store, lambda: shipped_config, FakeChat(), clock).run_due()  # reminders render the title
    svc.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    for o in svc.obligations(1):
        if o.status in ("open", "qualitative"):
            svc.mark_not_required(o.id, "no essential or financial service affected", actor=NADIA, key=f"nr{o.id}")
    svc.close(1, f"{NAME} got a new laptop; {SECRET}", actor=KATRIN, key="c1")
    svc.declare("sev1", "Unrelated outage", actor=KATRIN, key="d2")
    before = _rows_text(store)
    assert NAME in before and SECRET in before  # the scan below can fail
    clock.advance(days=31)
    with store.session() as s:
        report = purge(s, retention_days=30, now=clock.now())
    assert [i.number for i in report.incidents] == [1]
    store.reclaim()
    return svc


def _id(store, number):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM incident WHERE number = :n"), {"n": number}).scalar_one()


def _rows_text(store) -> str:
    schema = inspect(store.engine)
    names = [t for t in schema.get_table_names() if t != "alembic_version"]
    out = []
    with store.engine.connect() as conn:
        for table in names:
            out += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"')).all()]
    return "\n".join(out)


def test_no_personal_text_is_left_in_any_table(store, purged):
    left = _rows_text(store)
    assert NAME not in left and SECRET not in left
    assert NAME.split()[1].lower() not in left.lower()  # not in the channel name's slug either
    assert "Unrelated outage" in left  # the open incident is untouched


def test_no_personal_text_is_left_in_the_sqlite_file(clock, shipped_config, tmp_path):
    """Always on an SQLite file of its own (also in the PostgreSQL pass): the bytes are an SQLite matter; for
    PostgreSQL see docs/audit.md (VACUUM FULL, backups)."""
    path = tmp_path / "own" / "bot.db"
    store = Store(make_engine(f"sqlite:///{path}"))
    migrate.upgrade(store.engine)
    _purge_scenario(store, clock, shipped_config)
    store.dispose()
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert NAME.encode() not in data and SECRET.encode() not in data
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_kept_evidence_still_verifies_after_the_purge(store, purged):
    iid = _id(store, 1)
    with store.session() as s:
        result = verify_incident(s, iid)
    assert result.ok, result.problems


def test_editing_kept_evidence_after_the_purge_is_detected(store, purged):
    iid = _id(store, 1)
    # In the table: the page's acknowledgement state.
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE page SET status = 'acked' WHERE incident_id = :i AND status = 'declined'"), {"i": iid})
    with store.session() as s:
        problems = verify_incident(s, iid).problems
    assert any("page row" in p and "status" in p for p in problems), problems
    # In a redacted event itself: the kept state of the page, changed in the chained copy of the row.
    with store.session() as s:
        ev = next(e for e in s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == iid)
                                    .order_by(TimelineEvent.seq)).all()
                  if e.redacted and any(x["table"] == "page" and x.get("row", {}).get("status") == "declined"
                                        for x in (e.data or {}).get("evidence", [])))
        data = dict(ev.data)
        data["evidence"] = [dict(x, row={**x["row"], "status": "acked"}) if x["table"] == "page" and x.get("row") else x
                            for x in data["evidence"]]
        ev.data = data
        s.add(ev)
    with store.session() as s:
        problems = verify_incident(s, iid).problems
    assert any(f"event #{ev.seq} " in p and "digest mismatch" in p for p in problems), problems
