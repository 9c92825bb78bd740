"""Append-only, hash-chained audit trail.

Every change to an incident is one :class:`TimelineEvent`.  Events form a
chain per incident: each event's ``hash`` covers its sequence number, time,
actor, kind, the digest of its content, the previous event's hash and (from
digest version 3) the digest's version.  So:

* an **edited** event no longer matches its content digest or its hash;
* an **inserted** event breaks the sequence or the next event's ``prev_hash``;
* a **deleted** event leaves a gap in ``seq`` and a ``prev_hash`` mismatch;
  deleting the *last* events is caught by comparing the head hash with one
  recorded elsewhere (the export and ``audit verify`` print it, and closing an
  incident posts it to the channel).

Purging (data minimisation) replaces free text with ``[redacted]`` but keeps
``content_digest`` and, per redacted text, its salted hash (:mod:`bot.audit.digest`);
the chain and every kept value still verify, and the purge itself is an event.

Beyond the database: :mod:`bot.audit.checkpoints` signs every chain's head and
publishes it to an anchor file, which detects truncation, deleted incidents and
re-chaining; :mod:`bot.audit.evidence` puts every evidence row on the chain.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlmodel import Session, func, select

from bot.audit.digest import DIGEST_VERSION, canonical_json, content_digest
from bot.audit.incident_keys import INCIDENT
from bot.audit.malformed import malformed, purged_seqs
from bot.audit.redactable import purge_redacts
from bot.audit.redaction_timing import dated, early_redactions
from bot.audit.tables import TimelineEvent
from bot.audit.unit_time import note_event_at
from bot.clock import ensure_utc
from bot.store.advisory import hold_until_commit
from bot.store.one_of import one_of

GENESIS = "0" * 64
REDACTED = "[redacted]"
DECLINED = "; declined: "  # a page's reason: why the bot paged the person, then what they typed (the purge redacts that)
APPENDED = "audit.appended"  # session.info key: chain -> the newest event appended in this unit of work
GLOBAL_CHAIN_LOCK = "incident-bot:global-chain"  # the advisory lock that orders appends to the global chain
CONFIG_VERSION = "config_version"  # the key under which events record the configuration they were decided under


def _instant(at: datetime) -> str:
    return ensure_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(*, chain: str, seq: int, at: datetime, actor: str, kind: str, digest: str, prev_hash: str,
               version: int = DIGEST_VERSION) -> str:
    """From version 3 on the hash covers the digest version too: the version says how the content is checked (a
    redacted event of version 1 not at all), so relabelling an event must break its hash."""
    fields: list[Any] = [chain, seq, _instant(at), actor, kind, digest, prev_hash]
    material = canonical_json(fields + [version] if version >= 3 else fields)
    return hashlib.sha256(material.encode()).hexdigest()


def chain_name(incident_id: int | None) -> str:
    return f"incident:{incident_id}" if incident_id is not None else "global"


def _heads(session: Session, incident_ids: set[int | None]) -> dict[str, tuple[int, str]]:
    """Lock the incidents' chains and read their heads: chain -> (seq, hash), chains without events left out.

    Serialise appends to one chain: a row lock on each incident, taken in id order, then for the global chain
    (which has no row) a lock held until the transaction ends (PostgreSQL; SQLite serialises writers). Without
    it two transactions appending global events at once read the same head, and the second failed on the
    chain's unique (chain, seq) when it committed."""
    lock_incidents, read_heads = _head_queries(session.get_bind().dialect.name == "postgresql")
    ids = sorted(i for i in incident_ids if i is not None)
    if ids:
        session.execute(lock_incidents, {"ids": ids}).all()
    if None in incident_ids:
        hold_until_commit(session, GLOBAL_CHAIN_LOCK)
    rows = session.execute(read_heads, {"chains": [chain_name(i) for i in incident_ids]}).all()
    return {chain: (seq, digest) for chain, seq, digest in rows}


@functools.cache
def _head_queries(postgresql: bool) -> tuple[Any, Any]:
    """The two statements of :func:`_heads`, built once (the ids and chains are bound when they run, as arrays on
    PostgreSQL: :mod:`bot.store.one_of`): building them anew cost more than running them when a batch of
    deliveries appends its events."""
    lock_incidents = (select(INCIDENT.c.id).where(one_of(INCIDENT.c.id, "ids", postgresql=postgresql))
                      .order_by(INCIDENT.c.id).with_for_update())
    newest = (select(TimelineEvent.chain, func.max(TimelineEvent.seq).label("seq"))
              .where(one_of(TimelineEvent.chain, "chains", postgresql=postgresql))
              .group_by(TimelineEvent.chain).subquery())
    read_heads = (select(TimelineEvent.chain, TimelineEvent.seq, TimelineEvent.hash)
                  .join(newest, (TimelineEvent.chain == newest.c.chain) & (TimelineEvent.seq == newest.c.seq)))
    return lock_incidents, read_heads


@dataclass(frozen=True)
class NewEvent:
    """An event to append (see :func:`append_events`)."""

    incident_id: int | None
    actor: str
    kind: str
    at: datetime
    summary: str = ""
    data: dict[str, Any] | None = None


def append_event(session: Session, *, incident_id: int | None, actor: str, kind: str, at: datetime,
                 summary: str = "", data: dict[str, Any] | None = None) -> TimelineEvent:
    """Append one event to the incident's chain (in the caller's unit of work).

    A unit of work that decides under a configuration puts that configuration's version stamp in
    ``session.info["config_version"]`` (:func:`bot.incidents.idempotency.run_once` does); every event
    it appends then records it as ``data["config_version"]``, unless the event names its own.
    """
    return append_events(session, [NewEvent(incident_id, actor, kind, at, summary, data)])[0]


def append_events(session: Session, new: list[NewEvent]) -> list[TimelineEvent]:
    """Append events, in this order, to their chains in the caller's unit of work, with one flush.

    A chain's head is read (and, for an incident, its row locked) once per unit of work: after that the
    newest event this unit of work appended to it is the head.
    """
    stamp = session.info.get(CONFIG_VERSION)
    appended: dict[str, TimelineEvent] = session.info.setdefault(APPENDED, {})
    out = []
    with session.no_autoflush:  # the events are flushed together below
        fresh = {item.incident_id for item in new if not _known(session, appended, chain_name(item.incident_id))}
        heads = _heads(session, fresh) if fresh else {}
        for item in new:
            payload = _payload(item, stamp)
            chain = chain_name(item.incident_id)
            last = appended[chain] if _known(session, appended, chain) else None
            seq, prev = (last.seq, last.hash) if last is not None else heads.get(chain, (0, GENESIS))
            event = TimelineEvent(chain=chain, seq=seq + 1, incident_id=item.incident_id, at=ensure_utc(item.at),
                                  actor=item.actor, kind=item.kind, summary=item.summary, data=payload,
                                  prev_hash=prev, digest_version=DIGEST_VERSION)
            seal(event)
            session.add(event)
            appended[chain] = event
            note_event_at(session, event.at)
            out.append(event)
    session.flush()
    return out


_BEFORE_BULK_APPEND: list[Callable[[Session], None]] = []


def before_bulk_append(hook: Callable[[Session], None]) -> None:
    """Run ``hook(session)`` at the start of every :func:`append_rows` (once per hook, however often it is
    registered): :mod:`bot.audit.evidence`, which builds on this module, writes its pending rows there."""
    if hook not in _BEFORE_BULK_APPEND:
        _BEFORE_BULK_APPEND.append(hook)


def append_rows(session: Session, new: list[NewEvent]) -> None:
    """:func:`append_events` for a unit of work that appends many events and reads none of them back (alert
    triage): the same rows, chained and sealed the same way, written by one multi-row INSERT instead of one
    ORM object each, which costs several times more than the row itself.

    Evidence rows the unit of work changed so far are first written onto the events it appended before
    (:func:`bot.audit.evidence.record`, registered with :func:`before_bulk_append`); after the INSERT the chains
    it appended to are no longer known to this unit of work, so the next append (or evidence) reads their heads
    again, from these rows.
    """
    from sqlalchemy import insert

    if not new:
        return
    for hook in _BEFORE_BULK_APPEND:
        hook(session)
    session.flush()  # the ORM events appended before are rows the head query sees
    stamp = session.info.get(CONFIG_VERSION)
    appended: dict[str, TimelineEvent] = session.info.setdefault(APPENDED, {})
    incidents = {chain_name(item.incident_id): item.incident_id for item in new}
    heads = {chain: (appended[chain].seq, appended[chain].hash) for chain in incidents
             if _known(session, appended, chain)}
    fresh = {i for chain, i in incidents.items() if chain not in heads}
    if fresh:
        heads |= _heads(session, fresh)
    rows = []
    for item in new:
        payload = _payload(item, stamp)
        chain, at = chain_name(item.incident_id), ensure_utc(item.at)
        seq, prev = heads.get(chain, (0, GENESIS))
        seq += 1
        digest, sealed = _sealed(chain, seq, at, item.actor, item.kind, item.summary, payload, prev)
        rows.append({"chain": chain, "seq": seq, "incident_id": item.incident_id, "at": at, "actor": item.actor,
                     "kind": item.kind, "summary": item.summary, "data": payload, "content_digest": digest,
                     "prev_hash": prev, "hash": sealed, "redacted": False, "digest_version": DIGEST_VERSION,
                     "redaction": None})
        heads[chain] = (seq, sealed)
        note_event_at(session, at)
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(rows) > 1:
        _insert_all(connection, rows)
    else:
        session.execute(insert(TimelineEvent.__table__), rows)  # type: ignore[attr-defined]
    for chain in incidents:
        appended.pop(chain, None)


# PostgreSQL: the rows of :func:`append_rows` in one statement, their values as arrays (one element per row), inserted
# in the arrays' order (so ids are given in that order, as one INSERT per row gave them).
_INSERT_ALL = (
    "INSERT INTO timeline_event (chain, seq, incident_id, at, actor, kind, summary, data, content_digest, prev_hash, "
    "hash, redacted, digest_version, redaction) "
    "SELECT v.chain, v.seq, v.incident_id, v.at, v.actor, v.kind, v.summary, v.data, v.content_digest, v.prev_hash, "
    "v.hash, false, %(digest_version)s, NULL "
    "FROM unnest(%(chain)b::varchar[], %(seq)b::integer[], %(incident_id)b::integer[], %(at)b::timestamptz[], "
    "%(actor)b::varchar[], %(kind)b::varchar[], %(summary)b::varchar[], %(data)b::json[], "
    "%(content_digest)b::varchar[], %(prev_hash)b::varchar[], %(hash)b::varchar[]) WITH ORDINALITY "
    "AS v(chain, seq, incident_id, at, actor, kind, summary, data, content_digest, prev_hash, hash, n) ORDER BY v.n")
_ARRAYS = ("chain", "seq", "incident_id", "at", "actor", "kind", "summary", "data", "content_digest", "prev_hash", "hash")


def _insert_all(connection: Any, rows: list[dict[str, Any]]) -> None:
    """One INSERT for many events on PostgreSQL. psycopg runs an ``executemany`` as one statement per row (in pipeline
    mode), about a tenth of a delivering worker's CPU in a burst; this writes the same values, bound as the columns'
    types bind them (aware UTC instants, JSON documents)."""
    assert all(r["digest_version"] == DIGEST_VERSION and not r["redacted"] and r["redaction"] is None for r in rows)
    table = TimelineEvent.__table__  # type: ignore[attr-defined]
    params: dict[str, Any] = {"digest_version": DIGEST_VERSION}
    for name in _ARRAYS:
        values = [r[name] for r in rows]
        process = table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
        params[name] = [process(v) for v in values] if process is not None else values
    connection.exec_driver_sql(_INSERT_ALL, params)


def _known(session: Session, appended: dict[str, TimelineEvent], chain: str) -> bool:
    """Did this unit of work append to ``chain`` already (its lock is held and its head is known)?"""
    return chain in appended and appended[chain] in session


def _payload(item: NewEvent, stamp: Any) -> dict[str, Any]:
    """The event's data as the database will give it back, with the unit of work's configuration stamp."""
    payload = json.loads(canonical_json(item.data or {}))
    if stamp and CONFIG_VERSION not in payload:
        payload[CONFIG_VERSION] = stamp
    return payload


def _sealed(chain: str, seq: int, at: datetime, actor: str, kind: str, summary: str, data: dict[str, Any],
            prev_hash: str) -> tuple[str, str]:
    """An event's content digest and hash, from its fields."""
    digest = content_digest(summary, data, chain=chain, seq=seq)
    return digest, event_hash(chain=chain, seq=seq, at=at, actor=actor, kind=kind, digest=digest, prev_hash=prev_hash)


def seal(event: TimelineEvent) -> None:
    """(Re)compute the event's content digest and hash from its fields (only while it is the uncommitted head)."""
    event.content_digest, event.hash = _sealed(event.chain, event.seq, event.at, event.actor, event.kind,
                                               event.summary, event.data, event.prev_hash)


def hash_matches(ev: TimelineEvent) -> bool:
    """Whether the event's fields (chain, seq, time, actor, kind, content digest, previous hash, version) give its hash."""
    return ev.hash == event_hash(chain=ev.chain, seq=ev.seq, at=ev.at, actor=ev.actor, kind=ev.kind,
                                 digest=ev.content_digest, prev_hash=ev.prev_hash, version=ev.digest_version or 1)


def digest_matches(ev: TimelineEvent) -> bool:
    """Whether the event's content (with the hashes its purge kept for redacted texts) gives its digest."""
    version = ev.digest_version or 1
    return content_digest(ev.summary, ev.data or {}, chain=ev.chain, seq=ev.seq, version=version,
                          redaction=ev.redaction) == ev.content_digest


def _text_at(summary: str, data: dict[str, Any], path: str) -> Any:
    """The value at a JSON pointer of the event (``/summary``, ``/data/evidence/0/row/title``), None if absent."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
    if parts[:1] == ["summary"] and len(parts) == 1:
        return summary
    if parts[:1] != ["data"]:
        return None
    node: Any = data
    for part in parts[1:]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _page_reason(data: dict[str, Any], path: str) -> bool:
    """Whether ``path`` is the reason of a ``page`` evidence row: why the bot paged the person (kept), then what they
    typed when declining (redacted)."""
    parts = path.split("/")
    if len(parts) == 6 and parts[1:3] == ["data", "evidence"] and parts[4:] == ["row", "reason"] and parts[3].isdigit():
        entries = data.get("evidence") or []
        entry = entries[int(parts[3])] if isinstance(entries, list) and int(parts[3]) < len(entries) else None
        return isinstance(entry, dict) and entry.get("table") == "page"
    return False


def _redacted_text(data: dict[str, Any], path: str, value: str) -> bool:
    """Whether ``value`` is what a purge leaves: the marker, or (a page's reason) why the bot paged the person
    followed by the marker in place of what they typed."""
    return value == REDACTED or (_page_reason(data, path) and value.endswith(DECLINED + REDACTED))


def forged_redactions(summary: str, data: dict[str, Any], redaction: dict[str, str] | None) -> list[str]:
    """The paths whose digest leaf comes from the redaction map although the text there is not a redacted one.

    The digest takes a redacted text's leaf from the map, so without this check anyone with the database could
    swap any text (a notification time, a role holder, a summary) for another and put the original's hash in the
    map: digest, hash and signed checkpoints would all still agree."""
    return [path for path in sorted(redaction or {})
            if isinstance(value := _text_at(summary, data or {}, path), str) and not _redacted_text(data or {}, path, value)]


def kept_values_redacted(data: dict[str, Any], redaction: dict[str, str] | None) -> list[str]:
    """The paths of the redaction map that a purge never redacts (:mod:`bot.audit.redactable`): kept evidence (a
    reference, a submission time) erased under a purge event, which anyone with the database can append. A page's
    reason loses only what the person typed when declining: redacted whole, why the bot paged them was erased."""
    return [path for path in sorted(redaction or {}) if not purge_redacts(data or {}, path)
            or (_page_reason(data or {}, path) and not str(_text_at("", data or {}, path)).endswith(DECLINED + REDACTED))]


def events(session: Session, incident_id: int | None) -> list[TimelineEvent]:
    return list(session.exec(
        select(TimelineEvent).where(TimelineEvent.chain == chain_name(incident_id)).order_by(TimelineEvent.seq)  # type: ignore[arg-type]
    ).all())


@dataclass
class Verification:
    chain: str
    events: int
    head_hash: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, incident_id: int | None, *, now: datetime | None = None,
                 min_retention_days: int = 1) -> Verification:
    """The chain's own check. A redaction counts only under a purge event that could have been a real purge of it
    (:mod:`bot.audit.redaction_timing`: ``now`` the verifier's time, ``min_retention_days`` the shortest retention
    period a purge may claim)."""
    rows = events(session, incident_id)
    chain = chain_name(incident_id)
    result = Verification(chain=chain, events=len(rows), head_hash=rows[-1].hash if rows else GENESIS)
    prev_hash, expected_seq = GENESIS, 1
    purged: set[int] = set()
    for ev in rows:
        purged.update(purged_seqs(ev.kind, ev.data))
    early = early_redactions(dated((ev.seq, ev.kind, ev.at, ev.data) for ev in rows), incident=incident_id is not None,
                             now=now, min_retention_days=min_retention_days)
    for ev in rows:
        where = f"{chain} event #{ev.seq} ({ev.kind})"
        shape = malformed(ev.kind, ev.data, ev.redaction)
        if ev.seq != expected_seq:
            result.problems.append(f"{where}: expected sequence number {expected_seq}; an event was deleted or inserted")
        if ev.prev_hash != prev_hash:
            result.problems.append(f"{where}: does not link to the previous event (prev_hash mismatch); "
                                   "an event before it was deleted, inserted or altered")
        if (ev.redacted or ev.redaction) and ev.seq not in purged:
            result.problems.append(f"{where}: marked redacted but no purge event records it")
        elif (ev.redacted or ev.redaction) and ev.seq in early:
            result.problems.append(f"{where}: redacted, but no purge could have redacted it then: {early[ev.seq]}")
        if shape is not None:
            result.problems.append(f"{where}: malformed, {shape}: written outside the bot")
        for path in forged_redactions(ev.summary, ev.data, ev.redaction) if shape is None else ():
            result.problems.append(f"{where}: {path} is not a redacted text, yet its digest uses the hash a purge "
                                   "keeps for one (the text was changed)")
        for path in kept_values_redacted(ev.data, ev.redaction) if shape is None else ():
            result.problems.append(f"{where}: {path} is redacted, but a purge keeps that value: kept evidence was "
                                   "erased outside the bot")
        if shape is None and (not ev.redacted or (ev.digest_version or 1) >= 2) and not digest_matches(ev):
            result.problems.append(f"{where}: content was edited after it was written (digest mismatch)")
        if not hash_matches(ev):
            result.problems.append(f"{where}: hash does not match its fields (time, actor, kind or content altered)")
        prev_hash, expected_seq = ev.hash, ev.seq + 1
    return result
