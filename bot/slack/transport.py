"""Transports: Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP at ``/slack/events`` behind waitress.

HTTP mode verifies every request's v0 signature with ``SLACK_SIGNING_SECRET``
(bolt's RequestVerification: a bad signature or one older than 5 minutes is
answered 401).  ``GET /healthz`` answers 200 for load balancers.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def wsgi_app(app: App) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return application


def serve_http(app: App, port: int, *, host: str = "0.0.0.0", threads: int = 16) -> None:
    from waitress import serve

    log.info("listening for Slack on http://%s:%d%s", host, port, EVENTS_PATH)
    serve(wsgi_app(app), host=host, port=port, threads=threads, ident="incident-bot")


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, app_token, web_client=app.client).start()
