"""A database with rows of no incident written before they were chained verifies clean after the upgrade, honestly:
the upgrade writes one ``evidence.baseline`` event holding them as found (and says so), once; from then on an edit
of such a row is reported."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from bot.audit import evidence
from bot.audit.evidence import BASELINE, verify_incident
from bot.audit.trail import events
from bot.oncall.tables import Engagement, RestDebt
from bot.store import migrate
from bot.store.database import make_engine
from tests.conftest import test_database_url as configured_database_url

SCHEMA = "evidence_baseline_test"
AT = datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(tmp_path):
    """A database of its own (PostgreSQL: a schema of its own), to migrate step by step."""
    url = configured_database_url()
    if not url:
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def _written_before_the_change(engine) -> None:
    """Rows of no incident as the bot wrote them before: not chained (the listener that notes them is off)."""
    sa_event.remove(OrmSession, "after_flush", evidence._note)
    try:
        with Session(engine) as s:
            s.add(Engagement(person_id="anna", start=AT, end=AT.replace(hour=4), source="record", note="failover"))
            s.add(RestDebt(person_id="anna", hours=11, owed_since=AT.replace(hour=4), source="engagement:1",
                           created_at=AT.replace(hour=5)))
            s.commit()
    finally:
        sa_event.listen(OrmSession, "after_flush", evidence._note)


def test_rows_written_before_the_change_get_one_baseline_that_says_what_it_is(engine):
    migrate.upgrade(engine, "sweep_watermark")
    _written_before_the_change(engine)
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # nothing left to do: still one baseline
    with Session(engine) as s:
        chain = events(s, None)
        [baseline] = [e for e in chain if e.kind == BASELINE]
        assert verify_incident(s, None).problems == []
    assert len(chain) == 1 and baseline.actor == "system"
    assert baseline.summary.startswith("2 evidence rows of no incident recorded as found at ")
    assert "the chain vouches for them from this event on, not for what they were before" in baseline.summary
    assert [(e["table"], e["id"]) for e in baseline.data["evidence"]] == [("engagement", 1), ("rest_debt", 1)]
    with engine.begin() as conn:  # from now on an edit is reported
        conn.execute(text("UPDATE rest_debt SET hours = 1"))
    with Session(engine) as s:
        assert verify_incident(s, None).problems == [
            "global rest_debt row 1: edited outside the bot: hours is 1.0 in the table but 11.0 on the chain"]


def test_a_database_without_such_rows_gets_no_baseline(engine):
    migrate.upgrade(engine)
    with Session(engine) as s:
        assert events(s, None) == [] and verify_incident(s, None).ok
