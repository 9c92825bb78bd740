"""PostgreSQL advisory locks named by text.

A name maps to the lock key PostgreSQL takes: the first 8 bytes of its SHA-256, as a signed 64-bit integer.
:func:`hold_until_commit` serialises transactions that must not interleave (appends to the global audit
chain, alert triage); on SQLite it does nothing, since SQLite has one writer at a time.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import text


def advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def hold_until_commit(session: Any, name: str) -> None:
    """On PostgreSQL, wait for and take the lock ``name`` until the session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_XACT_LOCK, {"key": advisory_key(name)})
