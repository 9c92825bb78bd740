"""Transports: Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP at ``/slack/events`` behind waitress.

HTTP: every request passes :mod:`bot.slack.request_gate` before bolt sees it
(413 for a body over the limit before it is read, 401 for anything not signed by
Slack, 400 for a signed body that is not what Slack sends).  Bolt then verifies the
signature a second time.  Whatever goes wrong inside, the answer is a short text,
never a traceback.  ``GET /healthz`` answers 200 for load balancers.  Other adapters are mounted on
their own paths and check their own requests: alert intake, and the read-only web view under ``/web``
(in Socket Mode the web view is served alone on the HTTP port).  Other ``GET`` routes (``/metrics``,
:mod:`bot.metrics_endpoint`) are given by the caller; they are not Slack's, carry no Slack signature
and never reach bolt or the gate.

Socket Mode: a connection that cannot be opened (bad token, Slack unreachable) is
retried with exponential backoff, and each failure is one log line saying what is
wrong; the process never exits for it, so a supervisor does not crash-loop.  Once
connected, slack_sdk's client reconnects by itself.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from http import HTTPStatus
from typing import Any, Callable, Iterable

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.errors import SlackApiError

from bot.served_in_thread import ServedInThread
from bot.body_limit import TooLarge, limited_server, over, plain
from bot.slack.request_gate import (EVENTS_PATH, MAX_BODY_BYTES, Refused, declared_length, parse, read_body,
                                    too_large, verify)

log = logging.getLogger(__name__)

SOCKET_FIRST_WAIT = 1.0
SOCKET_MAX_WAIT = 60.0

Environ = dict[str, Any]
Answer = tuple[int, list[tuple[str, str]], bytes]
WsgiApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]
Mount = tuple[Callable[[str], bool], WsgiApp]  # (does it serve this path?, the application), e.g. alert intake
Oversize = tuple[Callable[[str], bool], TooLarge]  # (does it serve this path?, its 413 for a body over the limit)


def _text(status: int, reason: str) -> Answer:
    return status, [("Content-Type", "text/plain; charset=utf-8")], (reason + "\n").encode("utf-8")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _headers(environ: Environ) -> dict[str, str]:
    """Request headers as bolt expects them (lower-case names)."""
    out = {"content-type": environ.get("CONTENT_TYPE", ""), "content-length": environ.get("CONTENT_LENGTH", "")}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out[key[5:].lower().replace("_", "-")] = value
    return out


Route = Callable[[Environ], Answer]


def wsgi_app(app: App, signing_secret: str, *, max_body: int = MAX_BODY_BYTES,
             now: Callable[[], float] = time.time, mounts: tuple[Mount, ...] = (),
             routes: dict[str, Route] | None = None) -> WsgiApp:
    if not signing_secret:
        raise ValueError("expected the signing secret for HTTP mode, got nothing")

    def handle(environ: Environ) -> Answer:
        path, method = environ.get("PATH_INFO") or "", environ.get("REQUEST_METHOD") or "GET"
        if path == "/healthz" and method in ("GET", "HEAD"):
            return _text(200, "ok")
        if routes and path in routes and path != EVENTS_PATH:
            if method not in ("GET", "HEAD"):
                status, headers, body = _text(405, f"only GET is accepted at {path}")
                return status, headers + [("Allow", "GET")], body
            return routes[path](environ)
        if path != EVENTS_PATH:
            return _text(404, "not found")
        if method != "POST":
            status, headers, body = _text(405, f"only POST is accepted at {EVENTS_PATH}")
            return status, headers + [("Allow", "POST")], body
        try:
            raw = read_body(environ["wsgi.input"], declared_length(environ.get("CONTENT_LENGTH"), max_body), max_body)
            verify(raw, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE"),
                   secret=signing_secret, now=now())
            text, body = parse(raw, environ.get("CONTENT_TYPE"))
        except Refused as refused:
            log.info("refused a request with %d: %s", refused.status, refused.reason)  # never the body
            return _text(refused.status, refused.reason)
        request = BoltRequest(body=text, query=environ.get("QUERY_STRING", ""), headers=_headers(environ))
        if request.body != body:
            # bolt takes any form body containing the word "payload" for an interaction and reads a
            # slash command such as "/incident status payload API down" as empty; give it what Slack sent.
            request.body = body
            request.context = build_context(BoltContext({}), body)
        response = app.dispatch(request)
        headers = [(name, value) for name, values in response.headers.items() for value in values]
        return response.status, headers, (response.body or "").encode("utf-8")

    def application(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        for serves, other in mounts:  # other adapters on their own paths check their own requests
            if serves(environ.get("PATH_INFO") or ""):
                return other(environ, start_response)
        try:
            status, headers, body = handle(environ)
        except Exception:  # a bug: the person and Slack get a short answer, the trace goes to the log
            correlation = uuid.uuid4().hex[:10]
            log.exception("request failed (error id %s)", correlation)
            status, headers, body = _text(500, f"internal error (error id {correlation}); see the bot's log")
        start_response(_status_line(status), headers)
        return [body]

    return application


def http_server(app: App, port: int, *, signing_secret: str, host: str = "0.0.0.0", threads: int = 16,
                max_body: int = MAX_BODY_BYTES, mounts: tuple[Mount, ...] = (),
                routes: dict[str, Route] | None = None, oversize: tuple[Oversize, ...] = (),
                largest_body: int = 0) -> Any:
    """A waitress server for the app (``.run()`` serves, ``.close()`` stops); ``port`` 0 picks a free one.

    waitress refuses a body over ``max(max_body, largest_body)`` bytes while receiving it, before the application
    runs; ``largest_body``: what the mounts accept (the alert intake's ``limits.max_body_bytes``), each of which
    checks its own limit, as the gate checks ``max_body``.  Its 413 is the gate's, or on a path one of
    ``oversize`` serves (the alert intake's) that one's."""
    application = wsgi_app(app, signing_secret, max_body=max_body, mounts=mounts, routes=routes)
    return limited_server(application, max_body=max(max_body, largest_body), host=host, port=port, threads=threads,
                          ident="incident-bot", expose_tracebacks=False,
                          too_large=_too_large_here(oversize, max_body))


def _too_large_here(oversize: tuple[Oversize, ...], max_body: int = MAX_BODY_BYTES) -> TooLarge:
    """The 413 of a server for a body over its ``limit``: on the Slack endpoint the gate's (whose limit,
    ``max_body``, a mount accepting more may have raised the server's above), on a path of ``oversize`` its own."""

    def answer(path: str, limit: int) -> tuple[str, bytes]:
        for serves, too_large_there in oversize:
            if serves(path):
                return too_large_there(path, limit)
        if path == EVENTS_PATH:
            return plain(too_large(max_body))
        return plain(over(limit, path) + "; send a smaller body")

    return answer


def serve_http(app: App, port: int, *, signing_secret: str, host: str = "0.0.0.0", threads: int = 16,
               mounts: tuple[Mount, ...] = (), routes: dict[str, Route] | None = None,
               oversize: tuple[Oversize, ...] = (), largest_body: int = 0) -> None:
    server = http_server(app, port, signing_secret=signing_secret, host=host, threads=threads, mounts=mounts,
                         routes=routes, oversize=oversize, largest_body=largest_body)
    log.info("listening for Slack on http://%s:%d%s", host, port, EVENTS_PATH)
    try:
        server.run()  # returns on Ctrl-C / SIGTERM after stopping its worker threads
    finally:
        server.close()
        server.task_dispatcher.shutdown()


WEB_PATH = "/web"


def web_mount(web: WsgiApp) -> Mount:
    """The read-only web view (:mod:`bot.web`) under ``/web``: the prefix moves to SCRIPT_NAME as WSGI mounts do."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    def not_found(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return (lambda path: path == WEB_PATH or path.startswith(WEB_PATH + "/"),
            DispatcherMiddleware(not_found, {WEB_PATH: web}))


def serve_beside_socket_mode(port: int, *, host: str = "0.0.0.0", web: WsgiApp | None = None,
                             routes: dict[str, Route] | None = None, threads: int = 8) -> Any:
    """Socket Mode has no HTTP server of its own: /healthz, the read-only routes (``/metrics``) and the web
    view (when set up) on ``port``, in a thread, refusing bodies over 1 MiB as they arrive like :func:`http_server`.
    Returns it (``.effective_port``, ``.stop()``)."""

    serves, mounted = web_mount(web) if web is not None else (lambda _path: False, None)

    def application(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO") or "", environ.get("REQUEST_METHOD") or "GET"
        if serves(path):
            return mounted(environ, start_response)  # type: ignore[misc]
        if path == "/healthz":
            status, headers, body = _text(200, "ok")
        elif routes and path in routes:
            if method in ("GET", "HEAD"):
                status, headers, body = routes[path](environ)
            else:
                status, headers, body = _text(405, f"only GET is accepted at {path}")
                headers = headers + [("Allow", "GET")]
        else:
            status, headers, body = _text(404, "not found")
        start_response(_status_line(status), headers)
        return [body]

    # the same limit as serve's HTTP server: waitress refuses a larger body with 413 while receiving it
    served = ServedInThread(limited_server(application, max_body=MAX_BODY_BYTES, host=host, port=port, threads=threads,
                                           ident="incident-bot-web", too_large=_too_large_here(())),
                            name="beside-socket-mode")
    log.info("beside Socket Mode: /healthz%s%s on http://%s:%s", ", " + ", ".join(routes) if routes else "",
             f", the web view under {WEB_PATH}/" if web is not None else "", host, served.effective_port)
    return served


# --- Socket Mode -------------------------------------------------------------------------


def why_socket_mode_failed(error: Exception) -> str:
    """One sentence for the log saying what is wrong and what to check."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
            return (f"Slack refused SLACK_APP_TOKEN ({code}): it must be the app-level token (xapp-…) of this app, "
                    "with the connections:write scope, not revoked")
        if code == "not_allowed_token_type":
            return "SLACK_APP_TOKEN is not an app-level token (xapp-…); create one under Basic Information → App-Level Tokens"
        return f"Slack answered apps.connections.open with {code}"
    if isinstance(error, OSError) or "connection" in type(error).__name__.lower():
        return f"Slack could not be reached ({type(error).__name__}: {error}); check the network and SLACK_API_URL"
    return f"{type(error).__name__}: {error}"


def connect_with_backoff(connect: Callable[[], None], *, sleep: Callable[[float], None] = time.sleep,
                         first: float = SOCKET_FIRST_WAIT, longest: float = SOCKET_MAX_WAIT,
                         stop: threading.Event | None = None) -> int:
    """Call ``connect`` until it succeeds, waiting 1, 2, 4 … up to ``longest`` seconds (plus up to 10 %
    jitter) between attempts (never longer).  Returns the number of failed attempts; stops early when ``stop`` is set."""
    failures = 0
    while stop is None or not stop.is_set():
        try:
            connect()
            if failures:
                log.info("Socket Mode: connected after %d failed attempt(s)", failures)
            return failures
        except Exception as error:  # any cause: waiting and retrying beats exiting for a supervisor to restart us
            failures += 1
            wait = min(longest, first * 2 ** (failures - 1) * (1 + random.random() / 10))
            log.error("Socket Mode: could not connect (attempt %d): %s. Retrying in %.0f s.", failures,
                      why_socket_mode_failed(error), wait)
            sleep(wait)
    return failures


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("connecting to Slack in Socket Mode")
    handler = SocketModeHandler(app, app_token, web_client=app.client)
    connect_with_backoff(handler.connect)
    log.info("Socket Mode connected; waiting for requests")
    try:
        threading.Event().wait()
    finally:
        handler.close()
