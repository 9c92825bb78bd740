"""Verify a JSON evidence pack with the public key alone: no database, no bot configuration.

Checks, in order (docs/audit.md gives the exact serialisation):

1. every event: its content digest from summary, data and the hashes a purge kept
   (:mod:`bot.audit.digest`), its hash from its fields, sequence 1, 2, 3 ... and
   each ``prev_hash`` equal to the previous event's hash (the first: 64 zeros);
   a redacted event must be listed by an ``audit.purged`` event that could have been a real purge of it
   (:mod:`bot.audit.redaction_timing`), and every text whose hash the
   purge kept must be a redacted one (:func:`bot.audit.trail.forged_redactions`);
2. the signed checkpoint the pack carries: its Ed25519 signature with the given
   public key, and that the event at the signed position is there with the
   signed hash (else events were deleted or the chain re-written);
3. every section (incident, roles, pages, exceptions, obligations with their
   outcome, clock changes) equals what the chain's evidence rows say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.audit.checkpoints import Anchor, compare, signed_anchors
from bot.audit.digest import content_digest
from bot.audit.evidence import chained_rows
from bot.audit.malformed import malformed, purged_seqs
from bot.audit.pack_sections import SECTION_NAMES, sections
from bot.audit.redaction_timing import dated, early_redactions
from bot.audit.trail import GENESIS, event_hash, forged_redactions, kept_values_redacted
from bot.clock import ensure_utc


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _early(timeline: list[dict[str, Any]], now: datetime | None, min_retention_days: int) -> dict[int, str]:
    """The redactions no purge event could have made then (:mod:`bot.audit.redaction_timing`); none when the events
    cannot be read (the checks below report them)."""
    try:
        rows = dated((e["seq"], e["kind"], datetime.fromisoformat(e["at"]), e.get("data")) for e in timeline)
        incident = str(timeline[0]["chain"]).startswith("incident:")
    except (KeyError, TypeError, ValueError):
        return {}
    return early_redactions(rows, incident=incident, now=now, min_retention_days=min_retention_days)


def _events(timeline: list[dict[str, Any]], report: PackReport, now: datetime | None, min_retention_days: int) -> None:
    prev, expected = GENESIS, 1
    purged = {s for e in timeline for s in purged_seqs(e.get("kind"), e.get("data"))}
    early = _early(timeline, now, min_retention_days)
    for e in timeline:
        where = f"{e.get('chain')} event #{e.get('seq')} ({e.get('kind')})"
        shape = malformed(e.get("kind"), e.get("data"), e.get("redaction"))
        if shape is not None:
            report.problems.append(f"{where}: malformed, {shape}")
        try:
            at = ensure_utc(datetime.fromisoformat(e["at"]))
            version = int(e.get("digest_version") or 1)
            digest = content_digest(e["summary"], e["data"], chain=e["chain"], seq=e["seq"], version=version,
                                    redaction=e.get("redaction"))
            recomputed = event_hash(chain=e["chain"], seq=e["seq"], at=at, actor=e["actor"], kind=e["kind"],
                                    digest=e["content_digest"], prev_hash=e["prev_hash"], version=version)
        except (KeyError, TypeError, ValueError) as exc:
            report.problems.append(f"{where}: malformed event ({exc})")
            continue
        if e["seq"] != expected:
            report.problems.append(f"{where}: expected sequence number {expected}; an event was deleted or inserted")
        if e["prev_hash"] != prev:
            report.problems.append(f"{where}: does not link to the previous event (prev_hash mismatch)")
        if (e.get("redacted") or e.get("redaction")) and e["seq"] not in purged:
            report.problems.append(f"{where}: marked redacted but no purge event records it")
        elif (e.get("redacted") or e.get("redaction")) and e["seq"] in early:
            report.problems.append(f"{where}: redacted, but no purge could have redacted it then: {early[e['seq']]}")
        for path in forged_redactions(e["summary"], e["data"], e.get("redaction")) if shape is None else ():
            report.problems.append(f"{where}: {path} is not a redacted text, yet its digest uses the hash a purge "
                                   "keeps for one (the text was changed)")
        for path in kept_values_redacted(e["data"], e.get("redaction")) if shape is None else ():
            report.problems.append(f"{where}: {path} is redacted, but a purge keeps that value: kept evidence was "
                                   "erased outside the bot")
        legacy_redacted = e.get("redacted") and int(e.get("digest_version") or 1) < 2
        if shape is None and not legacy_redacted and digest != e["content_digest"]:
            report.problems.append(f"{where}: content differs from its digest (edited)")
        if recomputed != e["hash"]:
            report.problems.append(f"{where}: hash does not match its fields (time, actor, kind or content altered)")
        prev, expected = e["hash"], e["seq"] + 1


def _checkpoints(pack: dict[str, Any], public_key: Any, anchors: list[Anchor] | None, report: PackReport) -> None:
    audit, timeline = pack.get("audit") or {}, pack.get("timeline") or []
    chain = audit.get("chain")
    carried = audit.get("checkpoint")
    given = list(anchors or [])
    if carried:
        given.append(Anchor(dict(carried["checkpoint"]), str(carried["signature"])))
    else:
        report.problems.append("the pack carries no signed checkpoint: nothing outside the database vouches for it")
    good, problems = signed_anchors(given, public_key)
    report.problems.extend(problems)
    mine = [Anchor({**a.body, "chains": {c: h for c, h in (a.body.get("chains") or {}).items() if c == chain}},
                   a.signature) for a in good]
    by_seq = {e.get("seq"): e.get("hash") for e in timeline}
    newest = max((e.get("seq", 0) for e in timeline), default=0)
    report.problems.extend(compare(mine, lambda _c, s: by_seq.get(s), lambda _c: newest))
    signed = max((int(a.body["chains"][chain]["seq"]) for a in mine if chain in a.body["chains"]), default=0)
    if signed and newest > signed:
        report.notes.append(f"events #{signed + 1}-#{newest} came after the newest signed checkpoint: they are "
                            "checked by the chain, but nothing outside the database vouches that none followed")
    report.summary = (f"{len(timeline)} events, head {timeline[-1]['hash'] if timeline else GENESIS}, "
                      f"signed up to event #{signed}" if signed else f"{len(timeline)} events, no valid signature")


def _sections(pack: dict[str, Any], report: PackReport) -> None:
    timeline = pack.get("timeline") or []
    try:
        now = ensure_utc(datetime.fromisoformat((pack.get("audit") or {})["exported_at"]))
        built = sections(chained_rows(e.get("data") for e in timeline), now, timeline)
    except (KeyError, TypeError, ValueError) as exc:
        report.problems.append(f"the sections cannot be rebuilt from the chain ({exc})")
        return
    for name in SECTION_NAMES:
        shown, chained = pack.get(name), built[name]
        if shown == chained:
            continue
        if isinstance(shown, list) and isinstance(chained, list) and len(shown) == len(chained):
            for i, (a, b) in enumerate(zip(shown, chained)):
                if a != b:
                    fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                    report.problems.append(f"{name}[{i}]: " + "; ".join(
                        f"{k} is {a.get(k)!r} in the pack but {b.get(k)!r} on the chain" for k in fields))
        elif isinstance(shown, dict) and isinstance(chained, dict):
            fields = sorted(k for k in set(shown) | set(chained) if shown.get(k) != chained.get(k))
            report.problems.append(f"{name}: " + "; ".join(
                f"{k} is {shown.get(k)!r} in the pack but {chained.get(k)!r} on the chain" for k in fields))
        else:
            report.problems.append(f"{name}: the pack shows {len(shown or [])} row(s), the chain "
                                   f"{len(chained)} (rows added or removed)")


def verify_pack(pack: dict[str, Any], public_key: Any, *, anchors: list[Anchor] | None = None,
                now: datetime | None = None, min_retention_days: int = 1) -> PackReport:
    """``now``: the verifier's time (a purge dated after it is forged; None: not looked for);
    ``min_retention_days``: the shortest retention period a purge may claim (:mod:`bot.audit.redaction_timing`)."""
    report = PackReport()
    timeline = pack.get("timeline")
    if not isinstance(timeline, list) or not timeline:
        report.problems.append("the pack has no timeline to verify")
        return report
    _events(timeline, report, now, min_retention_days)
    _checkpoints(pack, public_key, anchors, report)
    _sections(pack, report)
    for problem in (pack.get("audit") or {}).get("problems") or []:
        report.problems.append(f"found by the export in the database: {problem}")
    return report
