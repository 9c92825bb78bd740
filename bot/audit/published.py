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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from sqlmodel import Session, select

from bot.audit.tables import AuditCheckpoint
from bot.clock import ensure_utc
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


@dataclass(frozen=True)
class Stored:
    """The database's copy of one checkpoint (table ``audit_checkpoint``): its anchor line's sha256, and when the
    bot appended that line to its anchor file (None: not yet)."""

    line_sha256: str
    appended_at: datetime | None


def stored_checkpoints(session: Session, seqs: Iterable[int]) -> dict[int, Stored]:
    """The database's copies of checkpoints ``seqs`` (those it holds)."""
    wanted = sorted(set(seqs))
    if not wanted:
        return {}
    rows = session.exec(select(AuditCheckpoint.seq, AuditCheckpoint.line_hash, AuditCheckpoint.published_at)
                        .where(AuditCheckpoint.seq.in_(wanted))).all()  # type: ignore[attr-defined]
    return {int(seq): Stored(line_hash, appended_at) for seq, line_hash, appended_at in rows}


@dataclass
class PublishedCheck:
    """``problems``: the anchor file or the database disagrees with Slack (tampering). ``behind``: published
    checkpoints newer than the anchor file's last line, which an honest copy taken earlier lacks too; the file
    cannot tell that from a truncated tail, so they fail the check as well, until a fresh copy holds them."""

    problems: list[str]
    notes: list[str]
    behind: list[str] = field(default_factory=list)


def _numbers(seqs: list[int]) -> str:
    """``#3``, ``#3..#5`` (no gap) or ``#3, #5, #6``."""
    if len(seqs) == 1:
        return f"#{seqs[0]}"
    if seqs[-1] - seqs[0] == len(seqs) - 1:
        return f"#{seqs[0]}..#{seqs[-1]}"
    return ", ".join(f"#{seq}" for seq in seqs)


def _absent(seq: int, item: Published, lines: dict[int, set[str]]) -> str:
    """A published checkpoint the anchor file lacks although it holds checkpoints on both sides of it, or only
    later ones: its line was removed (the bot appends every line, oldest first, and never leaves one out)."""
    where = (f"the anchor file holds #{max(s for s in lines if s < seq)} and #{min(s for s in lines if s > seq)} "
             "around it" if any(s < seq for s in lines) else f"the anchor file begins at #{min(lines)} after it")
    return (f"checkpoint #{seq} was published in Slack (ts {item.ts}) but is not in the anchor file, and {where}: "
            "lines were removed, or the file was re-written")


def _behind(tail: list[Published], newest: int, stored: dict[int, Stored] | None) -> tuple[str, list[str]]:
    """What to say of published checkpoints newer than the anchor file's last line (#``newest``, 0: none), and
    the database's copies of them that contradict Slack (tampering)."""
    seqs = [item.seq for item in tail]
    one = len(seqs) == 1
    what = f"checkpoint {_numbers(seqs)} was" if one else f"checkpoints {_numbers(seqs)} were"
    ends = f"which ends at #{newest}" if newest else "which holds no checkpoint"
    text = (f"{what} published in Slack (ts {tail[-1].ts}) but {'is' if one else 'are'} not in the anchor file, "
            f"{ends}: either this copy of the anchor file was taken before {'it was' if one else 'they were'} "
            "appended to it, or "
            f"its newest lines were removed (truncated); the file alone cannot tell which. Take a fresh copy of the "
            f"anchor file from where its lines are shipped and verify again: a copy that still ends at "
            f"#{newest} was truncated")
    if stored is None:
        return text, []
    problems: list[str] = []
    pending, done, appended = [], [], []
    for item in tail:
        copy = stored.get(item.seq)
        if copy is None:
            problems.append(f"checkpoint #{item.seq} was published in Slack (ts {item.ts}) but the database holds "
                            "no such checkpoint (the bot keeps every checkpoint it signs: deleted from the "
                            "database, or the database was restored from an older backup)")
        elif copy.line_sha256 != item.line_sha256:
            problems.append(f"checkpoint #{item.seq}: the database's copy is not the one published in Slack (ts "
                            f"{item.ts}; sha256 differs): the database's checkpoints were re-written")
        elif copy.appended_at is None:
            pending.append(item.seq)
        else:
            done.append(item.seq)
            appended.append(ensure_utc(copy.appended_at))
    if pending:
        text += (f". The database holds {_numbers(pending)} with the sha256 Slack kept and says the bot has not "
                 f"appended {'it' if len(pending) == 1 else 'them'} to its anchor file yet (appending failed: the operations channel was told; "
                 "`incident-bot audit checkpoint` appends what is pending): take the fresh copy after that")
    if appended:
        text += (f". The database holds {_numbers(done)} with the sha256 Slack kept and says the bot appended "
                 f"{'it' if len(done) == 1 else 'them'} to its anchor file by {max(appended):%Y-%m-%d %H:%M:%S} "
                 "UTC: a copy of that file taken after then must hold " + ("it" if len(done) == 1 else "them"))
    return text, problems


def published_problems(anchors: list[Any], published: list[Published],
                       stored: dict[int, Stored] | None = None) -> PublishedCheck:
    """Every published checkpoint must be in the anchor file with the same line hash, unedited; numbers missing
    between published ones are reported; anchor lines newer than the newest published one are a note.

    A published checkpoint missing from the anchor file between or before its lines was removed from it. Those
    newer than its last line are ``behind``: missing from a copy taken before they were appended, or cut off the
    end; ``stored`` (the database's copies, :func:`stored_checkpoints`) says whether the bot appended them yet,
    and a copy there that is missing or has another sha256 than Slack's is a problem."""
    problems: list[str] = []
    notes: list[str] = []
    lines: dict[int, set[str]] = {}
    for anchor in anchors:
        lines.setdefault(anchor.seq, set()).add(anchor.line_hash)
    last_line = max(lines, default=0)
    seen: dict[int, Published] = {}
    tail: list[Published] = []
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
        if not have and item.seq > last_line:
            if earlier is None:
                tail.append(item)
        elif not have:
            problems.append(_absent(item.seq, item, lines))
        elif item.line_sha256 not in have:
            problems.append(f"checkpoint #{item.seq}: the anchor line is not the one published in Slack (ts "
                            f"{item.ts}; sha256 differs): the anchor file was re-written and re-signed")
    behind: list[str] = []
    if tail:
        text, contradicted = _behind(tail, last_line, stored)
        behind.append(text)
        problems += contradicted
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
    return PublishedCheck(problems, notes, behind)
