"""``/calendar/<token>.ics``: a live calendar feed for whoever holds the secret link, with no login.

The feed is :meth:`bot.reports.calendar_links.CalendarLinks.feed`, fresh on every request. An unknown, malformed
or revoked token, and a link whose person or rotation left the configuration, all get the same short 404: the
answer never tells whether a token ever existed.

The token is the secret, so it is kept out of the logs: a failure while building a feed is logged here without
the path (Flask's own "Exception on <path>" line never runs), and :class:`MaskCalendarTokens` masks a calendar
path in any line of Flask's and werkzeug's loggers (werkzeug's request lines, when served by its development
server). waitress, which ``serve`` runs, writes no request lines.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response

BLUEPRINT = "calendar"
NOT_FOUND = "No calendar here. Ask for a new link with /oncall calendar in Slack.\n"
_TOKEN_PATH = re.compile(r"/calendar/[^\s\"'?]+")
MASKED = "/calendar/(token withheld)"

log = logging.getLogger(__name__)


class MaskCalendarTokens(logging.Filter):
    """Replaces ``/calendar/<token>…`` in a log line with :data:`MASKED`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: judge the template
            message = str(record.msg)
        if "/calendar/" in message:
            record.msg, record.args = _TOKEN_PATH.sub(MASKED, message), None
        return True


def mask_in(logger: logging.Logger) -> None:
    if not any(isinstance(f, MaskCalendarTokens) for f in logger.filters):
        logger.addFilter(MaskCalendarTokens())


def calendar_feeds(services: Any) -> Blueprint:
    """The route, with ``services`` (:class:`bot.web.app.WebServices`): its store, configuration, clock and
    public URL (``WEB_PUBLIC_URL``, from its links)."""
    from bot.reports.calendar_links import CalendarLinks

    feeds = CalendarLinks(services.store, services.config, services.clock, base_url=services.links.base_url)
    pages = Blueprint(BLUEPRINT, __name__)

    @pages.record_once
    def quiet(state: Any) -> None:
        mask_in(state.app.logger)
        mask_in(logging.getLogger("werkzeug"))

    @pages.get("/calendar/<token>.ics")
    def feed(token: str) -> Response:
        try:
            body = feeds.feed(token)
        except Exception:  # noqa: BLE001 - logged without the path, which holds the token
            log.exception("a calendar feed could not be built")
            return Response("The calendar could not be built; the bot's log says why.\n", status=500,
                            mimetype="text/plain")
        if body is None:
            return Response(NOT_FOUND, status=404, mimetype="text/plain")
        return Response(body, mimetype="text/calendar")

    return pages
