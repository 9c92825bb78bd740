"""Rows of no incident are evidence on the global chain, checked against it like an incident's: a call-out, rest
owed, a page of an alert group or an exception used of no incident changed by plain SQL is reported by
`audit verify` (exit 1); untouched, the global chain verifies; the purge redacts what people typed in their chained
copies and in their rows alike."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bot.audit.evidence import chained_rows, verify_incident
from bot.audit.trail import DECLINED, REDACTED, events
from bot.audit.unit_time import happens_at
from bot.cli import main
from bot.oncall.tables import ExceptionUse, Page, RestDebt
from bot.oncall.team import team_of
from bot.oncall.work_records import record_work
from bot.purge.retention import purge
from tests.oncall.helpers import local, team_config

NOTE = "phoned by the NOC during my daughter's birthday"
DECLINE = "in hospital with my father"


@pytest.fixture
def rows(store, write_config):
    """A recorded call-out, its rest owed, a page of an alert group (declined, with words) and an exception used, none
    of them of an incident, each written by the bot in a unit of work of its own."""
    team = team_of(team_config(write_config, []))
    with store.session() as s:
        record_work(s, team, person_id="anna", start=local("2026-03-04 02:00"), end=local("2026-03-04 03:30"),
                    now=local("2026-03-04 10:00"), recorded_by="anna", note=NOTE)
    with store.session() as s:
        happens_at(s, local("2026-03-04 10:00"))
        s.add(RestDebt(person_id="anna", hours=11, owed_since=local("2026-03-04 03:30"), source="engagement:1",
                       created_at=local("2026-03-04 10:00")))
    with store.session() as s:
        happens_at(s, local("2026-03-04 02:00"))
        s.add(Page(target="ops", level=1, person_id="anna", slack_user="U0ANNA001", status="declined",
                   page_at=local("2026-03-04 02:00"), created_at=local("2026-03-04 02:00"),
                   reason=f"on call for ops{DECLINED}{DECLINE}"))
    with store.session() as s:
        happens_at(s, local("2026-03-04 02:00"))
        s.add(ExceptionUse(person_id="anna", exception_id="notfall", rules_waived=["min_daily_rest"],
                           justification="checkout down", declared_by="boss", at=local("2026-03-04 02:00"),
                           compensatory_rest_hours=11))
    return store


def test_rows_of_no_incident_are_on_the_global_chain_and_verify(rows):
    with rows.session() as s:
        chained = chained_rows(e.data for e in events(s, None))
        assert verify_incident(s, None).problems == []
    assert {key for key in chained} == {("engagement", 1), ("rest_debt", 1), ("page", 1), ("exception_use", 1)}
    assert chained[("engagement", 1)]["note"] == NOTE and chained[("rest_debt", 1)]["hours"] == 11


TAMPERING = [
    ('UPDATE rest_debt SET hours = 2', "global rest_debt row 1: edited outside the bot: hours is 2.0 in the table but "
                                       "11 on the chain"),
    ('UPDATE engagement SET "end" = start', "global engagement row 1: edited outside the bot: end is"),
    ("UPDATE exception_use SET compensatory_rest_hours = 0", "global exception_use row 1: edited outside the bot: "
                                                             "compensatory_rest_hours is 0.0"),
    ('INSERT INTO engagement (person_id, start, "end", kind, source, note) '
     'SELECT person_id, start, "end", kind, source, note FROM engagement WHERE id = 1',
     "global engagement row 2: in the table but never recorded on the chain (inserted outside the bot)"),
    ("DELETE FROM page", "global page row 1: on the chain but missing from the table (deleted outside the bot)"),
]


@pytest.mark.parametrize("sql,reported", TAMPERING, ids=["update-rest", "update-callout", "update-exception",
                                                          "insert-callout", "delete-page"])
def test_plain_sql_on_a_row_of_no_incident_is_reported_by_audit_verify(rows, database_url, monkeypatch, capsys, sql,
                                                                       reported):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    with rows.engine.begin() as conn:
        conn.execute(text(sql))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "global: BROKEN" in out and reported in out


def test_the_purge_redacts_typed_text_in_the_global_chains_copies_and_rows(rows):
    with rows.session() as s:
        purge(s, retention_days=365, now=local("2029-06-01 12:00"))
    with rows.engine.connect() as conn:
        left = json.dumps([[str(c) for c in r] for r in conn.execute(text("SELECT summary, data FROM timeline_event"))])
        note, = conn.execute(text("SELECT note FROM engagement")).one()
        reason, = conn.execute(text("SELECT reason FROM page")).one()
        justification, = conn.execute(text("SELECT justification FROM exception_use")).one()
    assert NOTE not in left and DECLINE not in left and "checkout down" not in left
    assert (note, reason, justification) == (REDACTED, f"on call for ops{DECLINED}{REDACTED}", REDACTED)
    with rows.session() as s:  # tables and chain still agree, and the chain verifies
        assert verify_incident(s, None).problems == []
