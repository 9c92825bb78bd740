"""Slack users by id: the name to show and the time zone to show times in (``users.info``, cached).

Channel messages name people instead of mentioning them (a mention notifies); a
topic cannot hold a mention at all.  So the adapter asks Slack once per person for
the name people see (display name, else full name) and keeps it for an hour.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.ports import ChatError

log = logging.getLogger(__name__)

PROFILE_TTL_SECONDS = 3600.0


class SlackPeople:
    def __init__(self, client: WebClient, *, ttl: float = PROFILE_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl
        self._monotonic = monotonic
        self._profiles: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def profile(self, user_id: str) -> dict[str, Any] | None:
        """The ``users.info`` user object; None for a user Slack does not know. Raises :class:`ChatError`
        when Slack cannot be asked."""
        with self._lock:
            cached = self._profiles.get(user_id)
            if cached and self._monotonic() - cached[0] < self.ttl:
                return cached[1]
        try:
            user: dict[str, Any] | None = dict(self.client.users_info(user=user_id)["user"])
        except SlackApiError as exc:
            code = exc.response.get("error")
            if code not in ("user_not_found", "users_not_found"):
                raise ChatError(f"Slack refused reading a user's profile: {code}", code=str(code)) from exc
            user = None
        except SlackClientError as exc:
            raise ChatError(f"Slack could not be reached for a user's profile: {exc}", code="connection",
                            transient=True) from exc
        with self._lock:
            self._profiles[user_id] = (self._monotonic(), user)
        return user

    def zone(self, user_id: str) -> str | None:
        user = self.profile(user_id)
        return (user or {}).get("tz") or None

    def name(self, user_id: str) -> str:
        """What people call this user in Slack; the id itself only when Slack cannot say."""
        try:
            user = self.profile(user_id)
        except ChatError as exc:
            log.warning("no name for a user id (%s); showing the id", exc.code)
            return user_id
        if not user:
            return user_id
        profile = user.get("profile") or {}
        return (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
                or user.get("name") or user_id)
