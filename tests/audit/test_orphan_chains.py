"""An incident's row deleted outside the bot (its chain and its other rows left in place) is reported by `audit verify`:
the chain in the database proves the incident existed, so the verifier must not take the incident table's word for
which incidents there are. (SQLite's own shell enforces no foreign keys; on PostgreSQL the database's owner can turn
them off for a session.)"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from bot.audit.checkpoints import write_checkpoint
from bot.cli import main
from bot.incidents.service import IncidentService
from tests.incidents.conftest import REPORTER, load, write_config


@pytest.fixture
def two_incidents(store, clock, tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = load(write_config(tmp_path / "cfg"))
    svc = IncidentService(store, lambda: config, clock)
    svc.declare("major", "Checkout is down", actor=REPORTER, key="d1")
    svc.declare("minor", "Search slow", actor=REPORTER, key="d2")
    return svc


def _incident_id(store, number):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM incident WHERE number = :n"), {"n": number}).scalar_one()


def _delete_row(store, number, *, events=False):
    """Delete the incident's row (and, with ``events``, its timeline too), foreign keys not enforced."""
    iid = _incident_id(store, number)
    postgresql = store.engine.dialect.name == "postgresql"
    off, on = (("SET session_replication_role = replica", "SET session_replication_role = DEFAULT") if postgresql
               else ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"))
    mark = "%s" if postgresql else "?"
    raw = store.engine.raw_connection()
    try:
        raw.commit()  # SQLite changes foreign_keys only outside a transaction
        cur = raw.cursor()
        cur.execute(off)
        if events:
            cur.execute(f"DELETE FROM timeline_event WHERE incident_id = {mark}", (iid,))
        cur.execute(f"DELETE FROM incident WHERE id = {mark}", (iid,))
        raw.commit()
        cur.execute(on)  # the connection goes back to the pool as the bot set it up
        raw.commit()
    finally:
        raw.close()
    return iid


def test_an_incident_row_deleted_outside_the_bot_is_reported(two_incidents, store, capsys):
    iid = _delete_row(store, 2)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"incident:{iid}: BROKEN" in out, out
    assert f"incident:{iid} incident row {iid}: on the chain but missing from the table" in out, out
    assert "INC-1: ok" in out
    assert "the incident's row is missing from the incident table" in out and "deleted outside the bot" in out


def test_the_signed_checkpoints_do_not_hide_it(two_incidents, store, clock, tmp_path, capsys):
    # The chain is whole, so every signed head is still there: only the row comparison shows the deletion.
    key = Ed25519PrivateKey.generate()
    anchor, public = tmp_path / "anchors.jsonl", tmp_path / "audit.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    write_checkpoint(store, clock.now(), key=key, path=anchor)
    iid = _delete_row(store, 2)
    assert main(["audit", "verify", "--anchor", str(anchor), "--public-key", str(public)]) == 1
    out = capsys.readouterr().out
    assert f"incident:{iid}: BROKEN" in out and f"anchors {anchor}: ok" in out, out


def test_rows_left_of_an_incident_deleted_with_its_timeline_are_reported(two_incidents, store, capsys):
    iid = _delete_row(store, 2, events=True)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"incident:{iid}: BROKEN, 0 events" in out, out
    assert "yet 0 event(s) and" in out and "evidence row(s) name it" in out, out


def test_verifying_the_deleted_incident_by_its_number_reports_it(two_incidents, store, capsys):
    iid = _delete_row(store, 2)
    assert main(["audit", "verify", "2"]) == 1
    out = capsys.readouterr().out
    assert "there is no incident INC-2" not in out, out
    assert f"incident:{iid}: BROKEN" in out and "deleted outside the bot" in out, out
    assert main(["audit", "verify", "3"]) == 2  # a number no chain records is still a mistake of the caller


def test_export_of_an_incident_whose_row_was_deleted_says_so_and_writes_no_pack(two_incidents, store, capsys):
    iid = _delete_row(store, 2)
    assert main(["export", "2"]) == 1  # tampering, as `audit verify` says: not a mistyped number (exit 2)
    captured = capsys.readouterr()
    assert captured.out == ""  # no pack
    assert "INC-2's row is missing from the incident table" in captured.err
    assert f"(incident:{iid}, " in captured.err and "deleted outside the bot" in captured.err
    assert "audit verify 2" in captured.err
    assert main(["export", "3"]) == 2  # a number that never existed is still just unknown
    assert "there is no incident INC-3" in capsys.readouterr().err
