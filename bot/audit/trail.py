"""Append-only, hash-chained audit trail.

Every change to an incident is one :class:`TimelineEvent`.  Events form a
chain per incident: each event's ``hash`` covers its sequence number, time,
actor, kind, the digest of its content and the previous event's hash.  So:

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

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.digest import DIGEST_VERSION, canonical_json, content_digest
from bot.audit.tables import TimelineEvent
from bot.clock import ensure_utc

GENESIS = "0" * 64
REDACTED = "[redacted]"
APPENDED = "audit.appended"  # session.info key: chain -> the newest event appended in this unit of work
CONFIG_VERSION = "config_version"  # the key under which events record the configuration they were decided under


def _instant(at: datetime) -> str:
    return ensure_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(*, chain: str, seq: int, at: datetime, actor: str, kind: str, digest: str, prev_hash: str) -> str:
    material = canonical_json([chain, seq, _instant(at), actor, kind, digest, prev_hash])
    return hashlib.sha256(material.encode()).hexdigest()


def chain_name(incident_id: int | None) -> str:
    return f"incident:{incident_id}" if incident_id is not None else "global"


def _head(session: Session, chain: str) -> TimelineEvent | None:
    return session.exec(
        select(TimelineEvent).where(TimelineEvent.chain == chain).order_by(TimelineEvent.seq.desc()).limit(1)  # type: ignore[attr-defined]
    ).first()


def append_event(session: Session, *, incident_id: int | None, actor: str, kind: str, at: datetime,
                 summary: str = "", data: dict[str, Any] | None = None) -> TimelineEvent:
    """Append one event to the incident's chain (in the caller's unit of work).

    A unit of work that decides under a configuration puts that configuration's version stamp in
    ``session.info["config_version"]`` (:func:`bot.incidents.idempotency.run_once` does); every event
    it appends then records it as ``data["config_version"]``, unless the event names its own.
    """
    payload = json.loads(canonical_json(data or {}))  # what the database will give back
    stamp = session.info.get(CONFIG_VERSION)
    if stamp and CONFIG_VERSION not in payload:
        payload[CONFIG_VERSION] = stamp
    chain = chain_name(incident_id)
    if incident_id is not None:
        from bot.incidents.tables import Incident

        # Serialise appends to one chain (row lock on PostgreSQL; SQLite serialises writers).
        session.exec(select(Incident.id).where(Incident.id == incident_id).with_for_update()).first()
    head = _head(session, chain)
    seq = (head.seq + 1) if head else 1
    prev = head.hash if head else GENESIS
    at = ensure_utc(at)
    event = TimelineEvent(chain=chain, seq=seq, incident_id=incident_id, at=at, actor=actor, kind=kind,
                          summary=summary, data=payload, prev_hash=prev, digest_version=DIGEST_VERSION)
    seal(event)
    session.add(event)
    session.flush()
    session.info.setdefault(APPENDED, {})[chain] = event
    return event


def seal(event: TimelineEvent) -> None:
    """(Re)compute the event's content digest and hash from its fields (only while it is the uncommitted head)."""
    event.content_digest = content_digest(event.summary, event.data, chain=event.chain, seq=event.seq)
    event.hash = event_hash(chain=event.chain, seq=event.seq, at=event.at, actor=event.actor, kind=event.kind,
                            digest=event.content_digest, prev_hash=event.prev_hash)


def digest_matches(ev: TimelineEvent) -> bool:
    """Whether the event's content (with the hashes its purge kept for redacted texts) gives its digest."""
    version = ev.digest_version or 1
    return content_digest(ev.summary, ev.data or {}, chain=ev.chain, seq=ev.seq, version=version,
                          redaction=ev.redaction) == ev.content_digest


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


def verify_chain(session: Session, incident_id: int | None) -> Verification:
    rows = events(session, incident_id)
    chain = chain_name(incident_id)
    result = Verification(chain=chain, events=len(rows), head_hash=rows[-1].hash if rows else GENESIS)
    prev_hash, expected_seq = GENESIS, 1
    purged: set[int] = set()
    for ev in rows:
        if ev.kind == "audit.purged":
            purged.update(int(s) for s in ev.data.get("redacted_seqs", []))
    for ev in rows:
        where = f"{chain} event #{ev.seq} ({ev.kind})"
        if ev.seq != expected_seq:
            result.problems.append(f"{where}: expected sequence number {expected_seq}; an event was deleted or inserted")
        if ev.prev_hash != prev_hash:
            result.problems.append(f"{where}: does not link to the previous event (prev_hash mismatch); "
                                   "an event before it was deleted, inserted or altered")
        if ev.redacted and ev.seq not in purged:
            result.problems.append(f"{where}: marked redacted but no purge event records it")
        if (not ev.redacted or (ev.digest_version or 1) >= 2) and not digest_matches(ev):
            result.problems.append(f"{where}: content was edited after it was written (digest mismatch)")
        recomputed = event_hash(chain=ev.chain, seq=ev.seq, at=ev.at, actor=ev.actor, kind=ev.kind,
                                digest=ev.content_digest, prev_hash=ev.prev_hash)
        if recomputed != ev.hash:
            result.problems.append(f"{where}: hash does not match its fields (time, actor, kind or content altered)")
        prev_hash, expected_seq = ev.hash, ev.seq + 1
    return result
