"""The ledger: signed checkpoints of every chain's head, published outside the database.

A checkpoint is the state of the whole trail at one moment, signed with the
Ed25519 key from the environment (:mod:`bot.audit.signing`)::

    {"version": 1, "seq": 12, "at": "2026-05-04T08:00:00+00:00",
     "prev": "<sha256 of the previous anchor line, or 64 zeros>", "key_id": "<16 hex>",
     "chains": {"incident:7": {"incident": 7, "seq": 58, "hash": "3f1c..."}, ...}}

The anchor line is ``canonical_json({"checkpoint": body, "signature": base64})``
appended to the anchor file (``AUDIT_ANCHOR_FILE``, default
``var/audit/anchors.jsonl``, owner-only), which the operator ships where the
database's owner cannot rewrite it (another host, a WORM bucket, a ticket).
Checkpoints are written on every close and periodically by the scheduler, and
by ``incident-bot audit checkpoint``; a copy of each stays in ``audit_checkpoint``
so the next one can link to it.  With ``audit_channel`` set, the same unit of
work writes the outbox row that posts the checkpoint (its line's sha256) to
that Slack channel (:mod:`bot.audit.published`).

:func:`anchor_problems` compares the database with every checkpoint it is given:
a chain that is missing (deleted incident), shorter than signed (deleted
newest events), or whose event at the signed position has another hash
(re-chained) is reported, and so is a checkpoint whose signature does not
verify with the auditor's public key, or that does not link to the one before.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bot.audit.digest import canonical_json, sha256_hex
from bot.audit.incident_keys import INCIDENT
from bot.audit.published import publish_in_channel
from bot.audit.signing import key_id, sign, signature_valid, signing_key_from_env
from bot.audit.tables import AuditCheckpoint, TimelineEvent
from bot.clock import ensure_utc
from bot.private_file import OWNER_ONLY

log = logging.getLogger(__name__)

ANCHOR_ENV = "AUDIT_ANCHOR_FILE"
DEFAULT_ANCHOR = Path("var") / "audit" / "anchors.jsonl"
GENESIS = "0" * 64
PERIOD_SECONDS = 600


def anchor_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env[ANCHOR_ENV]) if env.get(ANCHOR_ENV) else DEFAULT_ANCHOR


@dataclass(frozen=True)
class Anchor:
    body: dict[str, Any]
    signature: str

    @property
    def line(self) -> str:
        return canonical_json({"checkpoint": self.body, "signature": self.signature})

    @property
    def line_hash(self) -> str:
        return sha256_hex(self.line)

    @property
    def seq(self) -> int:
        return int(self.body.get("seq", 0))


def chain_heads(session: Session) -> dict[str, dict[str, Any]]:
    """Every chain's newest event: {chain: {"incident": number or None, "seq": n, "hash": h}}."""
    newest = (select(TimelineEvent.chain, func.max(TimelineEvent.seq).label("seq"))
              .group_by(TimelineEvent.chain).subquery())
    rows = session.exec(
        select(TimelineEvent.chain, TimelineEvent.seq, TimelineEvent.hash, INCIDENT.c.number)
        .join(newest, (TimelineEvent.chain == newest.c.chain) & (TimelineEvent.seq == newest.c.seq))
        .outerjoin(INCIDENT, INCIDENT.c.id == TimelineEvent.incident_id)).all()
    return {chain: {"incident": number, "seq": int(seq), "hash": h} for chain, seq, h, number in rows}


def make_checkpoint(session: Session, key: Any, now: datetime, *, force: bool = False,
                    audit_channel: str | None = None) -> AuditCheckpoint | None:
    """Sign the current heads (in the caller's unit of work); None when nothing changed since the last one.
    ``audit_channel``: also write the outbox row that publishes it there, in the same unit of work."""
    last = session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()  # type: ignore[attr-defined]
    heads = chain_heads(session)
    if last is not None and not force and last.body.get("chains") == heads:
        return None
    body = {"version": 1, "seq": (last.seq + 1) if last else 1, "at": ensure_utc(now).isoformat(),
            "prev": last.line_hash if last else GENESIS, "key_id": key_id(key.public_key()), "chains": heads}
    body = json.loads(canonical_json(body))
    anchor = Anchor(body, sign(key, canonical_json(body)))
    row = AuditCheckpoint(seq=anchor.seq, at=ensure_utc(now), body=body, signature=anchor.signature,
                          line_hash=anchor.line_hash)
    session.add(row)
    session.flush()
    publish_in_channel(session, row, audit_channel, ensure_utc(now))
    return row


def append_line(path: Path, line: str) -> None:
    """Append one line to the anchor file, created owner-only, flushed to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, OWNER_ONLY)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, OWNER_ONLY)


def publish_pending(session: Session, path: Path, now: datetime) -> int:
    """Append every checkpoint not yet published to the anchor file, oldest first; how many were appended.
    A crash between the append and the mark appends the same line again: readers skip exact repeats."""
    rows = session.exec(select(AuditCheckpoint).where(AuditCheckpoint.published_at.is_(None))  # type: ignore[union-attr]
                        .order_by(AuditCheckpoint.seq)).all()
    for row in rows:
        append_line(path, Anchor(row.body, row.signature).line)
        row.published_at = ensure_utc(now)
        session.add(row)
        session.commit()
    return len(rows)


def write_checkpoint(store: Any, now: datetime, *, key: Any = None, path: Path | None = None,
                     force: bool = False, audit_channel: str | None = None) -> AuditCheckpoint | None:
    """Sign and publish a checkpoint now, with the key from the environment unless one is given.
    None when no key is configured or nothing changed (then pending ones are still published).
    ``audit_channel`` (``settings.audit_channel``): the checkpoint is also posted there, through the outbox."""
    key = key if key is not None else signing_key_from_env()
    if key is None:
        return None
    with store.session() as s:
        row = make_checkpoint(s, key, now, force=force, audit_channel=audit_channel)
    with store.session() as s:
        publish_pending(s, path or anchor_path(), now)
    return row


def checkpoint_quietly(store: Any, now: datetime, *, audit_channel: str | None = None, config: Any = None) -> None:
    """For the close and the scheduler: a failure is logged (the next run publishes what is pending) and, with
    ``config`` given, told to the operations channel once per kind of failure and day."""
    try:
        write_checkpoint(store, now, audit_channel=audit_channel)
    except Exception as exc:  # noqa: BLE001 - the change it follows is committed; the checkpoint is retried next time
        log.exception("could not write or publish the audit checkpoint; it is retried on the next close or period")
        if config is not None:
            _tell_failed(store, config, now, exc)


def _tell_failed(store: Any, config: Any, now: datetime, exc: Exception) -> None:
    """Events since the last checkpoint are protected by the hash chain only: the people who run the bot must
    know, not only the log (the metric ``incident_bot_audit_checkpoints_unpublished`` says so too)."""
    from bot.outbox.operator_notices import tell_operators
    from bot.ports import Notice

    at = ensure_utc(now)
    notice = Notice(kind="delivery_failed", title="Audit checkpoints are not being written", lines=(
        f"Signing the audit checkpoint or appending it to the anchor file failed at {at:%Y-%m-%d %H:%M} UTC "
        f"({type(exc).__name__}; the log has the details).",
        "Until one is written, the events since the last checkpoint are protected by the hash chain only. It is "
        "tried again at the next close and every 10 minutes; `incident-bot audit checkpoint` writes one by hand."))
    try:
        with store.session() as s:
            tell_operators(s, config, cause=f"audit-checkpoint-failed:{type(exc).__name__}:{at:%Y-%m-%d}",
                           notice=notice, at=at)
    except Exception:  # noqa: BLE001 - the database may be what failed: the log and the metric are what is left
        log.exception("could not tell the operators that the audit checkpoint failed")


# --- reading and checking anchors ------------------------------------------------------------------


def read_anchors(path: Path) -> tuple[list[Anchor], list[str]]:
    """The anchors in a file, and the lines that could not be read."""
    anchors: list[Anchor] = []
    problems: list[str] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            anchors.append(Anchor(dict(item["checkpoint"]), str(item["signature"])))
        except (ValueError, KeyError, TypeError):
            problems.append(f"{path} line {n}: not a checkpoint line (altered or truncated)")
    return anchors, problems


def signed_anchors(anchors: list[Anchor], public_key: Any) -> tuple[list[Anchor], list[str]]:
    """The anchors whose signature verifies, deduplicated and in order, and what is wrong with the others."""
    problems: list[str] = []
    good: dict[int, Anchor] = {}
    for a in anchors:
        if not signature_valid(public_key, canonical_json(a.body), a.signature):
            problems.append(f"checkpoint #{a.seq}: the signature does not verify with the public key "
                            "(forged, altered, or signed with another key)")
        elif a.seq in good and good[a.seq].line != a.line:
            problems.append(f"checkpoint #{a.seq}: two different signed checkpoints with the same number (a fork)")
        else:
            good[a.seq] = a
    ordered = [good[s] for s in sorted(good)]
    for before, after in zip(ordered, ordered[1:]):
        if after.seq == before.seq + 1 and after.body.get("prev") != before.line_hash:
            problems.append(f"checkpoint #{after.seq} does not link to checkpoint #{before.seq} (a fork)")
        elif after.seq != before.seq + 1:
            problems.append(f"checkpoints #{before.seq + 1}..#{after.seq - 1} are missing between #{before.seq} "
                            f"and #{after.seq} (lines removed from the anchor file)")
    return ordered, problems


def _name(chain: str, incident: Any) -> str:
    return f"INC-{incident} ({chain})" if incident is not None else chain


def compare(anchors: list[Anchor], hash_at: Any, newest_seq: Any) -> list[str]:
    """What disagrees between the signed heads and a trail. ``hash_at(chain, seq)`` gives the hash of an event
    (None if absent), ``newest_seq(chain)`` the last sequence number present (0 if none)."""
    problems: list[str] = []
    # Every checkpoint's word is kept, not only the newest's for an event: one signed with the key after a re-write
    # names the same event with the new hash, and must not hide the earlier one that names the original.
    signed: dict[tuple[str, int, str], tuple[int, Any]] = {}
    for a in anchors:
        for chain, head in (a.body.get("chains") or {}).items():
            signed[(chain, int(head["seq"]), head["hash"])] = (a.seq, head.get("incident"))
    for (chain, seq, expected), (cp, incident) in sorted(signed.items(), key=lambda item: (item[0][:2], item[1][0])):
        name = _name(chain, incident)
        have = newest_seq(chain)
        if have == 0:
            problems.append(f"{name}: checkpoint #{cp} signed {seq} event(s) but the trail has none "
                            "(the whole incident was deleted)")
        elif have < seq:
            problems.append(f"{name}: checkpoint #{cp} signed event #{seq} but the trail ends at #{have} "
                            "(the newest events were deleted)")
        elif hash_at(chain, seq) != expected:
            problems.append(f"{name}: event #{seq} is not the one checkpoint #{cp} signed (hash differs): "
                            "the chain was re-written (re-chained) after the checkpoint")
    return problems


def anchor_problems(session: Session, anchors: list[Anchor], public_key: Any) -> list[str]:
    """Everything that disagrees between the database and the signed checkpoints given."""
    good, problems = signed_anchors(anchors, public_key)
    if not good:
        return problems + ["no checkpoint signed with this public key: nothing outside the database to compare with"]
    wanted = {(c, int(h["seq"])) for a in good for c, h in (a.body.get("chains") or {}).items()}
    chains = sorted({c for c, _ in wanted})
    newest = dict(session.exec(select(TimelineEvent.chain, func.max(TimelineEvent.seq))
                               .where(TimelineEvent.chain.in_(chains)).group_by(TimelineEvent.chain)).all())  # type: ignore[attr-defined]
    hashes: dict[tuple[str, int], str] = {}
    for chain, seq, h in session.exec(select(TimelineEvent.chain, TimelineEvent.seq, TimelineEvent.hash)
                                      .where(TimelineEvent.chain.in_(chains))).all():  # type: ignore[attr-defined]
        if (chain, seq) in wanted:
            hashes[(chain, seq)] = h
    return problems + compare(good, lambda c, s: hashes.get((c, s)), lambda c: int(newest.get(c) or 0))


def uncovered(session: Session, anchors: list[Anchor]) -> dict[str, int]:
    """Per chain, how many events came after the newest checkpoint given (not yet protected beyond the database)."""
    signed: dict[str, int] = {}
    for a in anchors:
        for chain, head in (a.body.get("chains") or {}).items():
            signed[chain] = max(signed.get(chain, 0), int(head["seq"]))
    out = {}
    for chain, seq in chain_heads(session).items():
        extra = seq["seq"] - signed.get(chain, 0)
        if extra > 0:
            out[chain] = extra
    return out
