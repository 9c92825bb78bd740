"""``append_rows``: the same events as ``append_events`` (chains, digests, hashes, order), and on PostgreSQL one
INSERT for the whole list (psycopg runs an executemany as one statement per row)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import NewEvent, append_event, append_events, append_rows, verify_chain
from bot.incidents.tables import Incident
from tests.statements import statements_sent

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)
FIELDS = ("chain", "seq", "incident_id", "at", "actor", "kind", "summary", "data", "content_digest", "prev_hash",
          "hash", "redacted", "digest_version", "redaction")


def _incidents(store) -> list[int]:
    with store.session() as s:
        made = [Incident(number=n, title=f"i{n}", severity="sev2", playbook="sev2", reporter="U1", declared_at=T0)
                for n in (1, 2)]
        s.add_all(made)
        s.flush()
        ids = [i.id for i in made]
        append_event(s, incident_id=ids[0], actor="U1", kind="declared", at=T0, summary="declared")
        return ids


def _new(ids: list[int]) -> list[NewEvent]:
    out = []
    for n in range(7):
        incident = [ids[0], ids[1], None][n % 3]
        out.append(NewEvent(incident, "system", "reminder.sent", T0 + timedelta(seconds=n), f"nudge {n} \u00e9",
                            {"n": n, "nested": {"at": "x", "list": [1, None]}} if n % 2 else None))
    return out


def _written(session: Session, since: int) -> list[tuple]:
    rows = session.exec(select(TimelineEvent).where(TimelineEvent.id > since).order_by(TimelineEvent.id)).all()  # type: ignore[arg-type]
    return [tuple(getattr(r, f) for f in FIELDS) for r in rows]


def test_append_rows_writes_what_append_events_would_in_one_statement(store):
    ids = _incidents(store)
    with store.session() as s:
        since = max(s.exec(select(TimelineEvent.id)).all())
    with Session(store.engine, expire_on_commit=False) as s:  # the ORM way, rolled back
        s.info["config_version"] = "cfg-1"
        append_events(s, _new(ids))
        expected = _written(s, since)
        s.rollback()

    with statements_sent(store.engine, "INSERT INTO TIMELINE_EVENT") as inserts, store.session() as s:
        s.info["config_version"] = "cfg-1"
        append_rows(s, _new(ids))
    with store.session() as s:
        assert _written(s, since) == expected
        for incident in (*ids, None):
            assert verify_chain(s, incident).ok
    assert len(expected) == 7
    if store.dialect == "postgresql":
        assert len(inserts) == 1 and not inserts[0][1]


def test_appends_after_append_rows_continue_the_chains(store):
    ids = _incidents(store)
    with store.session() as s:
        append_event(s, incident_id=ids[1], actor="U1", kind="note", at=T0, summary="before")
        append_rows(s, _new(ids))
        append_event(s, incident_id=ids[0], actor="U1", kind="note", at=T0, summary="after")
        append_rows(s, _new(ids)[:2])
    with store.session() as s:
        for incident in (*ids, None):
            result = verify_chain(s, incident)
            assert result.ok, result.problems
        assert verify_chain(s, ids[0]).events == 1 + 3 + 1 + 1
