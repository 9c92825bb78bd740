"""The gate every HTTP request from Slack passes before bolt sees it: size, then signature, then shape.

1. **Size.**  A body larger than :data:`MAX_BODY_BYTES` is refused with 413 from its
   ``Content-Length`` alone, before a byte of it is read; a body without one (chunked) is
   read at most one byte past the limit.  waitress applies the same limit while it
   receives the request, so a forged 20 MB body never reaches memory, and answers with
   the same text (:mod:`bot.body_limit`).
2. **Signature** (Slack's ``v0`` scheme).  ``X-Slack-Request-Timestamp`` must be a
   Unix time in decimal digits within five minutes of ours, ``X-Slack-Signature`` must
   be ``v0=`` plus the HMAC-SHA256 of ``v0:<timestamp>:<raw body>`` under the signing
   secret.  Anything else is 401 and nothing more happens: no listener runs and nothing
   is sent anywhere, least of all to a ``response_url`` named by an unverified body.
   The HMAC is computed over the raw bytes with the standard library's ``hmac``
   (slack_sdk's ``SignatureVerifier`` decodes the body as UTF-8 and ``int()``s the
   timestamp first, so hostile input makes it raise instead of answering 401).
3. **Shape** (only for signed bodies).  The content type must be the form or JSON
   encoding Slack uses, the bytes UTF-8, the form or JSON well formed and an object.
   Anything else is 400 with a short reason.

Nothing here logs a request body: it holds the legacy verification token and what
people typed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

from bot.body_limit import over

MAX_BODY_BYTES = 1 << 20  # 1 MiB: our largest form, every field filled with multi-byte text, is far below
MAX_CLOCK_SKEW_SECONDS = 300  # Slack's documented replay window
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FORM_FIELDS = 200

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_READ_CHUNK = 64 * 1024
EVENTS_PATH = "/slack/events"


class Refused(Exception):
    """The request is answered with ``status`` and the short ``reason``; nothing else happens."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def too_large(limit: int = MAX_BODY_BYTES) -> str:
    """Why a body over ``limit`` is refused (413), from the gate or from waitress while it arrives."""
    return over(limit, EVENTS_PATH) + "; Slack's own requests are far smaller: check what sends this"


def declared_length(value: str | None, limit: int = MAX_BODY_BYTES) -> int | None:
    """The ``Content-Length`` as a number (None when absent); 413 when it is over ``limit``."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()):
        raise Refused(400, "Content-Length is not a number")
    length = int(value)
    if length > limit:
        raise Refused(413, too_large(limit))
    return length


def read_body(stream: BinaryIO, length: int | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read ``length`` bytes, or (length unknown) until the end but never more than ``limit + 1``."""
    wanted = limit + 1 if length is None else length
    chunks: list[bytes] = []
    received = 0
    while received < wanted:
        chunk = stream.read(min(_READ_CHUNK, wanted - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > limit:
        raise Refused(413, too_large(limit))
    return b"".join(chunks)


def signature_of(raw: bytes, timestamp: str, secret: str) -> str:
    """Slack's ``v0`` signature of a raw body."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + raw
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify(raw: bytes, timestamp: str | None, signature: str | None, *, secret: str, now: float) -> None:
    """Raise :class:`Refused` (401) unless the body is signed by Slack within the replay window."""
    if not timestamp:
        raise Refused(401, "invalid request: X-Slack-Request-Timestamp is missing")
    if not (timestamp.isascii() and _TIMESTAMP.fullmatch(timestamp)):
        raise Refused(401, "invalid request: X-Slack-Request-Timestamp is not a Unix time in seconds")
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise Refused(401, "invalid request: the timestamp is more than 5 minutes away from ours")
    if not signature:
        raise Refused(401, "invalid request: X-Slack-Signature is missing")
    expected = signature_of(raw, timestamp, secret).encode("ascii")
    if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
        raise Refused(401, "invalid request: the signature does not match")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse(raw: bytes, content_type: str | None) -> tuple[str, dict[str, Any]]:
    """The body as text and as the object Slack sent; :class:`Refused` (400) saying what is wrong."""
    media = media_type(content_type)
    if media not in (FORM, JSON):
        raise Refused(400, f"expected Content-Type {FORM} or {JSON}, got {media or 'none'}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"the body is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise Refused(400, "the body is empty")
    if media == JSON:
        return text, _json_object(text, "the body")
    try:
        form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict",
                              max_num_fields=MAX_FORM_FIELDS))
    except ValueError:  # includes a percent-escape that is not UTF-8, and too many fields
        raise Refused(400, "the form body is malformed") from None
    if "payload" in form:  # buttons, forms and shortcuts: one field holding JSON
        return text, _json_object(form["payload"], "the payload field")
    return text, form


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value
