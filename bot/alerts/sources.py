"""Who may send alerts: each source's token, read once from the environment and kept only as a hash.

A request names a source (its URL path) and presents a token (an
``Authorization: Bearer`` header, the password of Basic auth, or the
PagerDuty ``routing_key``).  The presented token is hashed and compared in
constant time; the token itself is never stored, logged or echoed.  A source
whose environment variable is unset accepts nothing (every request is 401)
and says so once at start-up, naming the variable, never a value.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import Mapping

from bot.alerts.config import AlertsFile, Source

log = logging.getLogger(__name__)


def token_hash(token: str) -> str:
    """Any string hashes: a PagerDuty ``routing_key`` may hold an unpaired surrogate (JSON allows the escape),
    which then matches no token instead of failing the request with a 500."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Credential:
    source: Source
    hash: str | None  # None: the variable is unset, nothing is accepted for this source


class Unauthorized(Exception):
    """Unknown source, missing token or a token that does not match: answered 401, saying only that."""


class Sources:
    def __init__(self, alerts: AlertsFile, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._by_id: dict[str, Credential] = {}
        for source in alerts.sources:
            token = env.get(source.token_env) or None
            if token is None:
                log.warning("alert source %s accepts nothing: %s is not set", source.id, source.token_env)
            self._by_id[source.id] = Credential(source, token_hash(token) if token else None)
        self._beats: dict[str, tuple[object, str | None]] = {}
        for hb in alerts.heartbeats:
            token = env.get(hb.token_env) or None
            if token is None:
                log.warning("heartbeat %s accepts no beats: %s is not set", hb.id, hb.token_env)
            self._beats[hb.id] = (hb, token_hash(token) if token else None)

    def authenticate(self, source_id: str, token: str | None) -> Source:
        """The source ``source_id`` if ``token`` is its token, else :class:`Unauthorized`."""
        cred = self._by_id.get(source_id)
        presented = token_hash(token) if token else ""
        if cred is None or cred.hash is None or not hmac.compare_digest(presented, cred.hash):
            raise Unauthorized("unknown source or wrong token")
        return cred.source

    def heartbeat(self, hb_id: str, token: str | None):
        """The heartbeat monitor ``hb_id`` if ``token`` is its token, else :class:`Unauthorized`."""
        hb, expected = self._beats.get(hb_id, (None, None))
        presented = token_hash(token) if token else ""
        if hb is None or expected is None or not hmac.compare_digest(presented, expected):
            raise Unauthorized("unknown heartbeat or wrong token")
        return hb

    def by_token(self, token: str | None, formats: tuple[str, ...]) -> Source:
        """The source (of one of ``formats``) whose token this is: PagerDuty's routing_key names no source."""
        presented = token_hash(token) if token else ""
        found = None
        for cred in self._by_id.values():
            if cred.hash is not None and hmac.compare_digest(presented, cred.hash) and cred.source.format in formats:
                found = cred.source
        if found is None:
            raise Unauthorized("unknown routing_key")
        return found
