"""Live calendar URLs: issue, list and revoke secret links, and the feed a link opens.

A link opens ``<WEB_PUBLIC_URL>/calendar/<token>.ics``: the feed of ``calendar``
(:func:`bot.reports.calendar_feed.feed_of`, the same definition), over today .. +90 days, built on every request
from the configuration of that moment with the covers accepted in chat on top. The token is shown once; only its
hash is stored (:mod:`bot.oncall.calendar_links`).

Who may do what is checked here, whatever face asks: anyone may issue a link to their own shifts and revoke
their own links; a link to a rotation's feed or to someone else's, and revoking someone else's, need
``issue_calendar_link`` (config/permissions.yaml).

A link opens nothing (None, which the web view answers with 404 like an unknown token) once it is revoked, or
when its person or rotation is no longer in the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from bot.clock import Clock
from bot.incidents.errors import NotFound, PermissionDenied
from bot.incidents.permissions import Subject, authorize
from bot.oncall import calendar_links as stored
from bot.oncall.calendar_links import Scope
from bot.oncall.covers import accepted_overrides, config_with_covers
from bot.oncall.directory import person_by_slack
from bot.reports.calendar_feed import UnknownFeed, feed_of, requested_range

ACTION = "issue_calendar_link"


@dataclass(frozen=True)
class Issued:
    id: int
    scope: Scope
    url: str  # holds the secret token: hand it to the person it is for, never log it


@dataclass(frozen=True)
class Listed:
    id: int
    scope: Scope
    issued_by: str
    issued_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class CalendarLinks:
    def __init__(self, store: Any, config: Callable[[], Any], clock: Clock, *, base_url: str) -> None:
        self.store, self.config, self.clock = store, config, clock
        self.base_url = base_url.rstrip("/")

    def url(self, token: str) -> str:
        return f"{self.base_url}/calendar/{token}.ics"

    def _own(self, config: Any, actor: str, person: str | None) -> bool:
        return person is not None and person_by_slack(config, actor) == person

    def issue(self, scope: Scope, *, actor: str) -> Issued:
        """A new link to ``scope``'s feed, issued by ``actor`` (a Slack user id).
        :class:`NotFound` for a person or rotation not in the configuration, :class:`PermissionDenied` for a
        rotation's or someone else's link without ``issue_calendar_link``."""
        config = self.config()
        try:
            requested_range(config, self.clock, person=scope.person, rotation=scope.rotation)
        except UnknownFeed as exc:
            raise NotFound(f"{exc}; nothing was issued") from None
        if not self._own(config, actor, scope.person):
            authorize(config, ACTION, actor, Subject())
        with self.store.session() as s:
            row, token = stored.issue(s, scope, by=actor, at=self.clock.now())
            return Issued(row.id, scope, self.url(token))

    def revoke(self, link_id: int, *, actor: str) -> bool:
        """Revoke link ``link_id``; False when it was revoked already. The person a link is for may revoke it;
        anyone else needs ``issue_calendar_link``."""
        config = self.config()
        with self.store.session() as s:
            row = stored.get(s, link_id)
            if row is None:
                raise NotFound(f"there is no calendar link #{link_id}; `calendar-link list` shows them")
            if not self._own(config, actor, row.person_id):
                authorize(config, ACTION, actor, Subject())
            return bool(stored.revoke(s, [row], by=actor, at=self.clock.now()))

    def revoke_own(self, actor: str) -> int:
        """Revoke every live link to the feed of the person ``actor`` (Slack user id) is; returns how many."""
        person = person_by_slack(self.config(), actor)
        if person is None:
            return 0
        with self.store.session() as s:
            return len(stored.revoke(s, stored.live_of_person(s, person), by=actor, at=self.clock.now()))

    def revoke_orphans(self, *, actor: str = "system", dry_run: bool = False) -> int:
        """Revoke the live links whose person or rotation is no longer in the configuration (they open nothing now,
        but would open the feed again of someone later given the same id, and are never deleted while live).
        Run by the purge, which deletes revoked links after the retention period; returns how many."""
        config = self.config()
        with self.store.session() as s:
            orphans = []
            for row in stored.links(s):
                if row.revoked_at is not None:
                    continue
                scope = stored.scope_of(row)
                try:
                    requested_range(config, self.clock, person=scope.person, rotation=scope.rotation)
                except UnknownFeed:
                    orphans.append(row)
            if dry_run or not orphans:
                return len(orphans)
            return len(stored.revoke(s, orphans, by=actor, at=self.clock.now()))

    def listing(self) -> list[Listed]:
        with self.store.session() as s:
            return [Listed(r.id, stored.scope_of(r), r.issued_by, r.issued_at, r.last_used_at, r.revoked_at,
                           r.revoked_by) for r in stored.links(s)]  # type: ignore[arg-type]

    def feed(self, token: str) -> bytes | None:
        """The feed ``token`` opens now, or None (unknown, malformed, revoked, or its person or rotation gone)."""
        now = self.clock.now()
        with self.store.session() as s:
            row = stored.live(s, token, at=now)
            if row is None:
                return None
            scope = stored.scope_of(row)
            config = config_with_covers(self.config(), accepted_overrides(s))
        try:
            feed = requested_range(config, self.clock, person=scope.person, rotation=scope.rotation)
        except UnknownFeed:
            return None
        return feed_of(config, feed, now=now, person=scope.person, rotation=scope.rotation)
