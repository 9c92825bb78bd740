"""Setting up the web view from the environment: the link secret, the public URL, the link lifetime.

``WEB_LINK_SECRET`` (at least 32 characters) turns the web view on;
``WEB_PUBLIC_URL`` is where people reach it (``https://bot.example.com/web``);
``WEB_LINK_TTL_MINUTES`` is how long a link works (default 60).  With email set up (``SMTP_HOST``) the
public status page offers email subscriptions, their links signed with the same secret under a salt of their own.  Without the
secret there is no web view and ``/oncall web`` says how to set it up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from bot.notify.environment import status_mail_ready
from bot.web.links import DEFAULT_TTL, WebLinks, secret_from


def public_url(environ: dict[str, str]) -> str:
    """``WEB_PUBLIC_URL`` without a trailing slash: the base of every link the web view hands out."""
    public = environ.get("WEB_PUBLIC_URL", "").rstrip("/")
    if not public.startswith(("https://", "http://")):
        raise ValueError('expected WEB_PUBLIC_URL, the address people open, like "https://bot.example.com/web", got '
                         + (f'"{public}"' if public else "nothing"))
    return public


def web_from_env(environ: dict[str, str], *, store: Any, config: Callable[[], Any], clock: Any,
                 incidents: Any) -> tuple[WebLinks | None, Any]:
    """(links, WSGI app), or (None, None) when WEB_LINK_SECRET is not set; ValueError when set up wrongly."""
    if not environ.get("WEB_LINK_SECRET"):
        return None, None
    secret = secret_from(environ)
    public = public_url(environ)
    minutes = environ.get("WEB_LINK_TTL_MINUTES", "")
    try:
        ttl = timedelta(minutes=int(minutes)) if minutes else DEFAULT_TTL
    except ValueError:
        raise ValueError(f'expected WEB_LINK_TTL_MINUTES as whole minutes, got "{minutes}"') from None
    if not timedelta(minutes=1) <= ttl <= timedelta(hours=24):
        raise ValueError(f"expected WEB_LINK_TTL_MINUTES between 1 and 1440 (links are short-lived), got {minutes}")
    from bot.web.app import WebServices, create_app

    links = WebLinks(store, clock, secret, base_url=public, ttl=ttl)
    subscriptions = None
    if status_mail_ready(environ):  # the status page's subscribers can be mailed (bot/notify/status_mail.py)
        from bot.subscriptions.links import SubscriptionLinks
        from bot.web.status_subscriptions import Subscriptions

        subscriptions = Subscriptions(SubscriptionLinks(secret, clock))
    return links, create_app(WebServices(incidents=incidents, config=config, clock=clock, links=links, store=store,
                                         subscriptions=subscriptions))
