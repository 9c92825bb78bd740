"""A batch's claims and records (``queries.claim_rows``, ``queries.record_rows``): the same values as one statement
per row, and on PostgreSQL one statement for the whole batch (psycopg's executemany is a statement per row)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from bot.audit.unit_time import happens_at
from bot.incidents.tables import Incident
from bot.outbox.tables import Reminder
from bot.scheduling import queries
from tests.statements import statements_sent

AT = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
COLUMNS = ("state", "attempts", "delivered_to", "message", "claimed_by", "updated_at", "sent_at", "message_ts",
           "late_by_seconds")


def _rows(store, n: int) -> list[int]:
    with store.session() as s:
        happens_at(s, AT)
        incident = Incident(number=1, title="t", description="", severity="sev2", playbook="sev2", private=False,
                            reporter="U1", declared_at=AT, facts={}, triggers={}, regimes=[], paged_targets=[],
                            systems=[], derived_facts={})
        s.add(incident)
        s.flush()
        s.execute(insert(Reminder), [
            {"key": f"r:{i}", "kind": "checklist", "incident_id": incident.id, "recipient": "#incident", "due_at": AT,
             "next_attempt_at": AT, "state": "pending", "attempts": i % 3, "payload": {}, "created_at": AT,
             "updated_at": AT} for i in range(n)])
        return [int(i) for i in s.execute(select(Reminder.id).order_by(Reminder.id)).scalars()]


def _stored(store, ids: list[int]) -> list[tuple]:
    with store.session() as s:
        rows = s.execute(select(*(getattr(Reminder, c) for c in COLUMNS)).where(Reminder.id.in_(ids))
                         .order_by(Reminder.id)).all()
    return [tuple(r) for r in rows]


def _claims(ids: list[int], now: datetime) -> list[dict]:
    return [{"rid": rid, "attempts": k + 1, "to": f"C{k}", "worker": "host:1:abc",
             "message": {"notice": {"title": f"nudge {k} ‘é’", "lines": ["a", k]}, "n": k}, "now": now}
            for k, rid in enumerate(ids)]


def _records(ids: list[int], now: datetime, with_message: bool) -> list[dict]:
    rows = [{"rid": rid, "sent_at": now - timedelta(seconds=k, microseconds=7), "ts": f"1700000000.{k:06d}" if k % 2
             else None, "late": 0.25 * k, "now": now} for k, rid in enumerate(ids)]
    if with_message:
        for k, row in enumerate(rows):
            row["message"] = {"result": {"channel": f"C{k}"}, "n": k}
    return rows


def test_a_batch_is_written_as_one_statement_per_row_would_write_it(store):
    ids = _rows(store, 12)
    batch, single = ids[:6], ids[6:]
    claimed_at, recorded_at = AT + timedelta(minutes=1), AT + timedelta(minutes=2)
    with statements_sent(store.engine, "UPDATE") as statements:
        with store.session() as s:
            queries.claim_rows(s.connection(), _claims(batch, claimed_at))
            s.connection().execute(queries.mark_sending(), _claims(single, claimed_at))  # the statement per row
        with store.session() as s:
            queries.record_rows(s.connection(), True, _records(batch[:3], recorded_at, True))
            queries.record_rows(s.connection(), False, _records(batch[3:], recorded_at, False))
            s.connection().execute(queries.mark_sent(True), _records(single[:3], recorded_at, True))
            s.connection().execute(queries.mark_sent(False), _records(single[3:], recorded_at, False))
    assert _stored(store, batch) == _stored(store, single)
    assert _stored(store, batch)[1][:3] == ("sent", 2, "C1") and _stored(store, batch)[4][7] == "1700000000.000001"
    if store.dialect == "postgresql":  # the batch: one claim and two records, each a single UPDATE of every row
        batch_statements = statements[:1] + statements[2:4]
        assert [many for _, many in batch_statements] == [False, False, False]
        assert all("unnest" in statement for statement, _ in batch_statements)


def test_a_batch_of_one_and_of_none(store):
    ids = _rows(store, 2)
    with store.session() as s:
        queries.claim_rows(s.connection(), _claims(ids[:1], AT))
        queries.record_rows(s.connection(), False, _records(ids[:1], AT, False))
        queries.record_rows(s.connection(), False, [])
    assert [r[0] for r in _stored(store, ids)] == ["sent", "pending"]
