"""Content digests of timeline events, and redaction that keeps them verifiable.

Versions 2 and 3 (every event written since the signed ledger) commit to an
event's content leaf by leaf: each text in the summary and the data is replaced by a
salted SHA-256 of the text before the whole is hashed::

    leaf(path, text)  = sha256(canonical([chain, seq, path, text]))
    committed(value)  = value with every string s at JSON path p replaced by {"s": leaf(p, s)}
    content_digest    = sha256(canonical({"summary": committed(summary at "/summary"),
                                          "data": committed(data at "/data")}))

A purge replaces a text with ``[redacted]`` and keeps ``leaf(path, original)``
in the event's ``redaction`` map, so the digest can still be recomputed: every
kept value (times, references, statuses) stays verified after the purge, and
changing any of them is detected. The salt (chain, sequence, path) means a
redacted text cannot be looked up in a table precomputed for all events;
guessing one short text for one event is still possible, as with any hash.

Version 1 (events written before) is ``sha256(canonical({"summary", "data"}))``;
its content can no longer be checked once redacted. Version 3 differs from 2
only in the event's hash, which covers the version number
(:func:`bot.audit.trail.event_hash`): relabelling a version 3 event as version 1
to escape the content check breaks its hash. Version 2 events carry no such
protection (docs/audit.md says what that leaves open).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

DIGEST_VERSION = 3  # 3: the content digest of version 2; the event's hash covers the version as well


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time, which costs more than
# encoding the short texts the leaf hashes take.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def leaf_hash(chain: str, seq: int, path: str, text: str) -> str:
    return sha256_hex(canonical_json([chain, seq, path, text]))


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _committed(value: Any, path: str, chain: str, seq: int, redaction: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _committed(v, f"{path}/{_escape(k)}", chain, seq, redaction) for k, v in value.items()}
    if isinstance(value, list):
        return [_committed(v, f"{path}/{i}", chain, seq, redaction) for i, v in enumerate(value)]
    if isinstance(value, str):
        return {"s": redaction[path] if path in redaction else leaf_hash(chain, seq, path, value)}
    return value


def content_digest_v1(summary: str, data: dict[str, Any]) -> str:
    return sha256_hex(canonical_json({"summary": summary, "data": data}))


def content_digest(summary: str, data: dict[str, Any], *, chain: str, seq: int, version: int = DIGEST_VERSION,
                   redaction: dict[str, str] | None = None) -> str:
    if version == 1:
        return content_digest_v1(summary, data)
    marks = redaction or {}
    return sha256_hex(canonical_json({"summary": _committed(summary, "/summary", chain, seq, marks),
                                      "data": _committed(data, "/data", chain, seq, marks)}))


def redact(value: Any, path: str, chain: str, seq: int, choose: Any, redaction: dict[str, str]) -> Any:
    """``value`` with every text that ``choose(path, text)`` replaces (it returns the new text, or None to keep)
    replaced; the salted hash of each replaced original is added to ``redaction``."""
    if isinstance(value, dict):
        return {k: redact(v, f"{path}/{_escape(k)}", chain, seq, choose, redaction) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, f"{path}/{i}", chain, seq, choose, redaction) for i, v in enumerate(value)]
    if isinstance(value, str) and path not in redaction:
        new = choose(path, value)
        if new is not None and new != value:
            redaction[path] = leaf_hash(chain, seq, path, value)
            return new
    return value
