"""Personal, signed, short-lived links to the web view, and their revocation.

A link carries a token signed with ``itsdangerous`` (HMAC over the payload
and the time it was signed) under the secret ``WEB_LINK_SECRET`` from the
environment.  The payload names a row of ``web_link`` and the Slack user it
was issued to.  A token is accepted only when all hold: the signature is
right (not tampered, not signed with another secret or for another purpose),
it is younger than its lifetime, its row exists, names the same user, has not
expired and has not been revoked.  Anything else is refused with the reason,
and the reason is never a hint about which part was forged.  Issuing and
revoking are events on the global audit chain.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlmodel import select

from bot.audit.trail import append_event
from bot.clock import Clock, ensure_utc
from bot.store.database import Store
from bot.web.tables import WebLink

SALT = "incident-bot web view link"
DEFAULT_TTL = timedelta(hours=1)
MIN_SECRET = 32


class LinkRefused(Exception):
    """The link does not open the web view; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    user: str  # Slack user id
    link: str  # web_link id
    expires_at: datetime


def clocked_signer(clock: Clock) -> type[TimestampSigner]:
    """itsdangerous' timestamp signer, asking the injected clock for "now" (signing time and age)."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    return ClockedSigner


def secret_from(environ: dict[str, str]) -> str:
    secret = environ.get("WEB_LINK_SECRET", "")
    if len(secret) < MIN_SECRET:
        raise ValueError(f"expected WEB_LINK_SECRET of at least {MIN_SECRET} characters (e.g. `python -c "
                         "\"import secrets; print(secrets.token_urlsafe(48))\"`), got "
                         + ("nothing" if not secret else f"{len(secret)} characters"))
    return secret


class WebLinks:
    def __init__(self, store: Store, clock: Clock, secret: str, *, base_url: str, ttl: timedelta = DEFAULT_TTL) -> None:
        self.store, self.clock, self.ttl = store, clock, ttl
        self.base_url = base_url.rstrip("/")
        self._tokens = URLSafeTimedSerializer(secret, salt=SALT, signer=clocked_signer(clock))

    def issue(self, user: str) -> str:
        """A new link for ``user`` (Slack id): the URL to hand to that person, and only to them."""
        now = ensure_utc(self.clock.now())
        link = WebLink(id=secrets.token_urlsafe(16), slack_user=user, issued_at=now, expires_at=now + self.ttl)
        with self.store.session() as s:
            s.add(link)
            append_event(s, incident_id=None, actor=user, kind="web.link_issued", at=now,
                         summary=f"web view link issued to {user}, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC",
                         data={"link": link.id, "user": user, "expires_at": link.expires_at.isoformat()})
        token = self._tokens.dumps({"l": link.id, "u": user})
        return f"{self.base_url}/login?t={token}"

    def check(self, token: str) -> Viewer:
        """The viewer a token stands for, or :class:`LinkRefused`."""
        try:
            payload = self._tokens.loads(token, max_age=int(self.ttl.total_seconds()))
        except SignatureExpired:
            raise LinkRefused("This link has expired. Ask for a new one with /oncall web in Slack.") from None
        except BadSignature:
            raise LinkRefused("This link is not valid. Ask for a new one with /oncall web in Slack.") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("l"), str) or not isinstance(payload.get("u"), str):
            raise LinkRefused("This link is not valid. Ask for a new one with /oncall web in Slack.")
        now = ensure_utc(self.clock.now())
        with self.store.session() as s:
            row = s.get(WebLink, payload["l"])
            if row is None or row.slack_user != payload["u"]:
                raise LinkRefused("This link is not valid. Ask for a new one with /oncall web in Slack.")
            if row.revoked_at is not None:
                raise LinkRefused("This link was revoked. Ask for a new one with /oncall web in Slack.")
            if ensure_utc(row.expires_at) <= now:
                raise LinkRefused("This link has expired. Ask for a new one with /oncall web in Slack.")
            return Viewer(row.slack_user, row.id, ensure_utc(row.expires_at))

    def revoke(self, *, by: str, user: str | None = None, link: str | None = None) -> int:
        """Revoke one link, or every live link of ``user``; returns how many were revoked."""
        return revoke_links(self.store, self.clock, by=by, user=user, link=link)


def revoke_links(store: Store, clock: Clock, *, by: str, user: str | None = None, link: str | None = None) -> int:
    """Revoke links not revoked yet: one (``link``), a user's (``user``), or all (neither).

    Expired links are revoked too (harmless, and it does not depend on whose clock says what has expired).
    The revocation is an event on the global chain.
    """
    now = ensure_utc(clock.now())
    with store.session() as s:
        query = select(WebLink).where(WebLink.revoked_at.is_(None))  # type: ignore[union-attr]
        if link is not None:
            query = query.where(WebLink.id == link)
        if user is not None:
            query = query.where(WebLink.slack_user == user)
        rows = list(s.exec(query).all())
        for row in rows:
            row.revoked_at, row.revoked_by = now, by
            s.add(row)
        if rows:
            append_event(s, incident_id=None, actor=by, kind="web.links_revoked", at=now,
                         summary=f"{len(rows)} web view link(s) revoked by {by}",
                         data={"links": [r.id for r in rows], "users": sorted({r.slack_user for r in rows})})
        return len(rows)
