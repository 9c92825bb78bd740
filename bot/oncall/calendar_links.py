"""Live calendar links: secret, revocable tokens that each open one person's or one rotation's shift feed.

A token is ``secrets.token_urlsafe(32)`` (256 random bits), shown once when issued; only its SHA-256 is stored
(``calendar_link``), so the table alone opens no feed. A token opens its feed while its row is not revoked.
Issuing and revoking are events on the global chain (``calendar.link_issued``, ``calendar.links_revoked``) naming the
link's id and scope, never the token or its hash. Each use records when it was last used (no address, no token).
Revoked links older than the retention period are deleted by the purge (:func:`forget_revoked`).

Who may issue or revoke which link is decided one layer up (:mod:`bot.reports.calendar_links`); these are the
stored facts only, each in the caller's unit of work.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.oncall.tables import CalendarLink

TOKEN_BYTES = 32


@dataclass(frozen=True)
class Scope:
    person: str | None = None
    rotation: str | None = None

    def __post_init__(self) -> None:
        if (self.person is None) == (self.rotation is None):
            raise ValueError("expected a calendar link for one person or one rotation, not both or neither")

    def describe(self) -> str:
        return f"person {self.person}" if self.person else f"rotation {self.rotation}"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scope_of(row: CalendarLink) -> Scope:
    return Scope(person=row.person_id, rotation=row.rotation_id)


def issue(session: Session, scope: Scope, *, by: str, at: datetime) -> tuple[CalendarLink, str]:
    """A new link (its row, and the token: shown once, never stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarLink(token_sha256=token_sha256(token), person_id=scope.person, rotation_id=scope.rotation,
                       issued_by=by, issued_at=ensure_utc(at))
    session.add(row)
    session.flush()
    append_event(session, incident_id=None, actor=by, kind="calendar.link_issued", at=at,
                 summary=f"calendar link #{row.id} issued for {scope.describe()} by {by}",
                 data={"link": row.id, "person": scope.person, "rotation": scope.rotation})
    return row, token


def live(session: Session, token: str, *, at: datetime) -> CalendarLink | None:
    """The unrevoked link ``token`` opens (its use recorded), or None: unknown, malformed and revoked alike."""
    if not token or len(token) > 128:
        return None
    row = session.exec(select(CalendarLink).where(CalendarLink.token_sha256 == token_sha256(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = ensure_utc(at)
    session.add(row)
    return row


def links(session: Session) -> list[CalendarLink]:
    return list(session.exec(select(CalendarLink).order_by(CalendarLink.id)).all())  # type: ignore[arg-type]


def get(session: Session, link_id: int) -> CalendarLink | None:
    return session.get(CalendarLink, link_id)


def revoke(session: Session, rows: list[CalendarLink], *, by: str, at: datetime) -> list[int]:
    """Revoke ``rows`` not revoked yet; returns their ids (one chain event for them all, none for none)."""
    fresh = [row for row in rows if row.revoked_at is None]
    for row in fresh:
        row.revoked_at, row.revoked_by = ensure_utc(at), by
        session.add(row)
    ids: list[int] = [row.id for row in fresh]  # type: ignore[misc]
    if ids:
        append_event(session, incident_id=None, actor=by, kind="calendar.links_revoked", at=at,
                     summary=f"calendar link(s) {', '.join(f'#{i}' for i in ids)} revoked by {by}",
                     data={"links": ids})
    return ids


def live_of_person(session: Session, person: str) -> list[CalendarLink]:
    live_ones = CalendarLink.revoked_at.is_(None)  # type: ignore[union-attr]
    return list(session.exec(select(CalendarLink).where(CalendarLink.person_id == person, live_ones)).all())


def forget_revoked(session: Session, *, cutoff: datetime, dry_run: bool = False) -> int:
    """Delete the links revoked before ``cutoff`` (who a link was for is personal data; a revoked link opens
    nothing). Their issue and revocation stay on the chain by id. Returns how many (would) go."""
    old = CalendarLink.revoked_at < ensure_utc(cutoff)  # type: ignore[operator]
    count = int(session.exec(select(func.count()).select_from(CalendarLink).where(old)).one())
    if count and not dry_run:
        session.exec(delete(CalendarLink).where(old))  # type: ignore[call-overload]
    return count
