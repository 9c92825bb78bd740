"""The signed links of status-page subscriptions (``itsdangerous``, a salt per purpose, separate from the web
view's and the page emails'): confirming a subscription (expires after :data:`CONFIRM_LIFETIME`) and leaving it
(never expires: an unsubscribe link must work in every mail ever sent).  The secret is ``WEB_LINK_SECRET``,
passed in by the caller and never logged; time comes from the injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

from bot.clock import Clock

CONFIRM_LIFETIME = timedelta(hours=24)
CONFIRM_SALT = "incident-bot status subscription confirm"
LEAVE_SALT = "incident-bot status subscription unsubscribe"
MIN_SECRET = 16


class LinkRefused(ValueError):
    """A link that is forged, altered, expired or replaced; the message is safe to show and says what to do."""


@dataclass(frozen=True)
class Confirmation:
    subscriber_id: int
    nonce: str


class SubscriptionLinks:
    def __init__(self, secret: str, clock: Clock) -> None:
        if len(secret) < MIN_SECRET:
            raise ValueError(f"expected a link secret of at least {MIN_SECRET} characters, got a shorter one")

        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self._confirm = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT, signer=ClockedSigner)
        self._leave = URLSafeSerializer(secret, salt=LEAVE_SALT)

    def __repr__(self) -> str:  # never the secret
        return "SubscriptionLinks()"

    def confirm_token(self, subscriber_id: int, nonce: str) -> str:
        return self._confirm.dumps({"s": subscriber_id, "n": nonce})

    def confirmation(self, token: str) -> Confirmation:
        try:
            data = self._confirm.loads(token, max_age=int(CONFIRM_LIFETIME.total_seconds()))
        except SignatureExpired:
            raise LinkRefused("this confirmation link has expired (it works for 24 hours); subscribe again on the "
                              "status page") from None
        except BadSignature:
            raise LinkRefused("this link is not one we sent (altered or incomplete); nothing was changed") from None
        if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("n"), str):
            raise LinkRefused("this link does not name a subscription; nothing was changed")
        return Confirmation(data["s"], data["n"])

    def leave_token(self, subscriber_id: int, nonce: str) -> str:
        """The unsubscribe link of one subscription: its row and the nonce it was confirmed with, so a link of an
        earlier subscription never ends a later one (a new subscription, or a row id a purge freed, gets a new
        nonce)."""
        return self._leave.dumps({"u": subscriber_id, "n": nonce})

    def leaving(self, token: str) -> Confirmation:
        try:
            data = self._leave.loads(token)
        except BadSignature:
            raise LinkRefused("this link is not one we sent (altered or incomplete); nothing was changed") from None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("n"), str):
            raise LinkRefused("this link does not name a subscription; nothing was changed")
        return Confirmation(int(data["u"]), data["n"])
