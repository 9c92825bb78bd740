"""Checkpoints published in a Slack audit channel, and the anchor file checked against that copy.

The anchor file lives on the bot's host: whoever holds the host and the signing key can re-write the database
*and* the anchor file and re-sign every line.  A copy made elsewhere, at once and by the bot itself, exposes
that: with ``audit_channel`` set (``config/settings.yaml``), every checkpoint is posted there through the
outbox.  :func:`publish_in_channel` writes that outbox row (kind ``audit_checkpoint``) in the unit of work that
stores the checkpoint, so the row exists exactly when the checkpoint does, and the worker posts it once, retried
through a Slack outage and told to the operators if it fails for good
(:mod:`bot.scheduling.kinds.audit_checkpoints`).  Slack stamps each message with its own time and marks an
edit.

The message carries the anchor line's sha256 (the line itself can be too long for a message), which commits to
the whole line: its number, time, chains and signature.  ``incident-bot audit published`` reads the channel
back into a JSON lines file (:func:`read_published` reads it); :func:`published_problems` compares it with an
anchor file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.outbox import effects

KIND = "audit_checkpoint"  # the outbox row's kind, and the notice's kind in the Slack message metadata


def key_of(seq: int) -> str:
    """The outbox key of checkpoint ``seq``'s publication: one message per checkpoint number."""
    return f"{KIND}:{seq}"


def publication_values(row: Any) -> dict[str, str]:
    """What the message says about checkpoint ``row`` (an ``AuditCheckpoint``), as the strings its metadata
    carries: ``checkpoint``, ``at``, ``chains``, ``line_sha256``, ``prev_sha256``, ``key_id``."""
    body = row.body
    return {"checkpoint": str(row.seq), "at": str(body.get("at", "")), "chains": str(len(body.get("chains") or {})),
            "line_sha256": row.line_hash, "prev_sha256": str(body.get("prev", "")),
            "key_id": str(body.get("key_id", ""))}


def publish_in_channel(session: Session, row: Any, channel: str | None, at: datetime) -> bool:
    """Write the outbox row that posts checkpoint ``row`` to ``channel`` (``audit_channel``), in the caller's
    unit of work; nothing when no channel is set.  False when nothing was written."""
    if not channel:
        return False
    return effects.add(session, key=key_of(row.seq), kind=KIND, incident_id=None, at=at,
                       recipient="#" + channel.lstrip("#"), target=row.seq, payload=publication_values(row))


# --- checking an anchor file against the published copy ----------------------------------------------------


class PublishedFileProblem(Exception):
    """The published file cannot be read, or a line of it is not a published checkpoint."""


@dataclass(frozen=True)
class Published:
    """One checkpoint as read back from the audit channel."""

    seq: int
    line_sha256: str
    ts: str  # Slack's timestamp of the message
    edited: bool

    def as_json(self) -> str:
        return json.dumps({"seq": self.seq, "line_sha256": self.line_sha256, "ts": self.ts, "edited": self.edited},
                          sort_keys=True)


def from_metadata(payload: dict[str, Any], ts: str, edited: bool) -> Published | None:
    """The checkpoint a message's metadata ``event_payload`` names, or None if it names none."""
    if payload.get("kind") != KIND:
        return None
    try:
        return Published(int(payload["checkpoint"]), str(payload["line_sha256"]), str(ts), bool(edited))
    except (KeyError, TypeError, ValueError):
        return None


def read_published(path: Path) -> list[Published]:
    """The published checkpoints in a file written by ``incident-bot audit published``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishedFileProblem(f"{path}: cannot read the published checkpoints ({exc})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            seq, digest, ts, edited = item["seq"], item["line_sha256"], item["ts"], item["edited"]
            if not isinstance(seq, int) or not isinstance(digest, str) or not isinstance(edited, bool):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise PublishedFileProblem(f"{path} line {n}: not a published checkpoint (expected "
                                       '{"seq": N, "line_sha256": "...", "ts": "...", "edited": false})') from None
        out.append(Published(seq, digest, str(ts), edited))
    return out


@dataclass
class PublishedCheck:
    problems: list[str]
    notes: list[str]


def published_problems(anchors: list[Any], published: list[Published]) -> PublishedCheck:
    """Every published checkpoint must be in the anchor file with the same line hash, unedited; numbers missing
    between published ones are reported; anchor lines newer than the newest published one are a note."""
    problems: list[str] = []
    notes: list[str] = []
    lines: dict[int, set[str]] = {}
    for anchor in anchors:
        lines.setdefault(anchor.seq, set()).add(anchor.line_hash)
    seen: dict[int, Published] = {}
    for item in sorted(published, key=lambda p: (p.seq, p.ts)):
        if item.edited:
            problems.append(f"checkpoint #{item.seq}: its Slack message (ts {item.ts}) was edited after it was "
                            "posted; the hash it shows now is not the one published then")
        earlier = seen.get(item.seq)
        if earlier is not None and earlier.line_sha256 != item.line_sha256:
            problems.append(f"checkpoint #{item.seq} was published twice with different hashes (ts {earlier.ts} "
                            f"and {item.ts})")
        seen.setdefault(item.seq, item)
        have = lines.get(item.seq)
        if not have:
            problems.append(f"checkpoint #{item.seq} was published in Slack (ts {item.ts}) but is not in the anchor "
                            "file (lines removed, or the file was re-written)")
        elif item.line_sha256 not in have:
            problems.append(f"checkpoint #{item.seq}: the anchor line is not the one published in Slack (ts "
                            f"{item.ts}; sha256 differs): the anchor file was re-written and re-signed")
    numbers = sorted(seen)
    for before, after in zip(numbers, numbers[1:]):
        if after != before + 1:
            missing = f"checkpoint #{before + 1} is" if after == before + 2 else \
                f"checkpoints #{before + 1}..#{after - 1} are"
            problems.append(f"{missing} missing from the audit channel between #{before} and #{after} (messages "
                            "deleted, or their post failed for good: the operations channel was told)")
    newest = numbers[-1] if numbers else 0
    later = sorted(seq for seq in lines if seq > newest)
    if later:
        notes.append(f"{len(later)} anchor line(s) (#{later[0]}..#{later[-1]}) are newer than the newest published "
                     "checkpoint: not yet published (or not yet read back), so not checked against Slack")
    earlier = sorted(seq for seq in lines if numbers and seq < numbers[0])
    if earlier:
        notes.append(f"{len(earlier)} anchor line(s) (#{earlier[0]}..#{earlier[-1]}) are older than the first "
                     "published checkpoint (signed before audit_channel was set): not checked against Slack")
    if not published:
        notes.append("no published checkpoint given: nothing in Slack to compare the anchor file with")
    return PublishedCheck(problems, notes)
