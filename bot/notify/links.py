"""Signed, expiring acknowledgement links for page emails (``itsdangerous``: HMAC-SHA1 over the payload
with a timestamp, a salt per purpose).  The secret comes from the environment (``PAGING_LINK_SECRET``),
read by the command line and passed in; it is never logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LINK_LIFETIME = timedelta(hours=24)
_SALT = "page-ack-link"
ACTIONS = ("ack", "decline")


class LinkRefused(ValueError):
    """The link is forged, altered or expired (the message says which and what to do)."""


@dataclass(frozen=True)
class LinkClaim:
    page_id: int
    action: str
    ref: str  # the notification step that carried the link


class LinkSigner:
    def __init__(self, secret: str, *, lifetime: timedelta = LINK_LIFETIME) -> None:
        if len(secret) < 16:
            raise ValueError("expected PAGING_LINK_SECRET of at least 16 characters, got a shorter one")
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.lifetime = lifetime

    def token(self, page_id: int, action: str, ref: str) -> str:
        if action not in ACTIONS:
            raise ValueError(f"expected one of {', '.join(ACTIONS)}, got {action!r}")
        return self._serializer.dumps({"p": page_id, "a": action, "r": ref})

    def verify(self, token: str) -> LinkClaim:
        try:
            data = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired:
            raise LinkRefused("this link has expired; acknowledge in Slack or by replying to the SMS") from None
        except BadSignature:
            raise LinkRefused("this link is not one the bot signed (altered or forged); nothing was changed") from None
        if not isinstance(data, dict) or data.get("a") not in ACTIONS or not isinstance(data.get("p"), int):
            raise LinkRefused("this link does not name a page; nothing was changed")
        return LinkClaim(int(data["p"]), str(data["a"]), str(data.get("r", "")))
