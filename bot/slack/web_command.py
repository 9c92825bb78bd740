"""``/oncall web`` and ``/incident web``: a personal, signed, short-lived link to the read-only web view.

The answer is ephemeral (only the person who asked sees the link).
``/oncall web revoke`` revokes every live link of the person asking.
"""

from __future__ import annotations

from typing import Any

NOT_SET_UP = ("The web view is not set up here: an admin sets WEB_LINK_SECRET and WEB_PUBLIC_URL for `serve` "
              "(see docs/managers.md).")


def wants_web(text: str | None) -> bool:
    return (text or "").strip().lower() in ("web", "web revoke")


def answer(links: Any, user: str, text: str | None) -> str:
    """The reply for ``user``; ``links`` is the server's :class:`bot.web.links.WebLinks` (None: not set up)."""
    if links is None:
        return NOT_SET_UP
    if (text or "").strip().lower() == "web revoke":
        count = links.revoke(by=user, user=user)
        return f"Revoked {count} web view link(s) of yours. `/oncall web` gives a new one."
    url = links.issue(user)
    minutes = int(links.ttl.total_seconds() // 60)
    return (f"<{url}|Open the read-only web view>: a personal link, valid for {minutes} minutes. Do not share it; "
            "`/oncall web revoke` ends it at once.")
