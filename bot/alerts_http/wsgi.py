"""Alert endpoints, mounted on `serve`'s HTTP server (or on `serve --alerts-port` for Socket Mode).

* ``POST /alerts/<source>``: Alertmanager / Grafana webhook v4 or the generic
  format (the source's ``format`` in config/alerts.yaml decides); the token in
  ``Authorization: Bearer <token>`` (or as the password of Basic auth).
  Answer 200 ``{"status": "accepted", "receipt": N}``.
* ``GET`` or ``POST /heartbeat/<id>``: a beat of a heartbeat monitor (token as for a source); 200.
* ``POST /v2/enqueue``: PagerDuty Events API v2; the token is ``routing_key``.
  Answer 202 ``{"status": "success", "message": "Event processed",
  "dedup_key": K}`` like PagerDuty.

Errors: 401 (unknown source, missing or wrong token: nothing else is said),
400 naming the field (malformed JSON, a missing or wrong field, a NUL or an unpaired surrogate
in any text), 413 (body over ``limits.max_body_bytes``), 404 (intake not configured or unknown
path), 405 (not POST).  The answer comes only after the receipt is committed.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any, Callable, Iterable

from bot.alerts.inbox import BadAlert, Inbox, NotConfigured, Unauthorized
from bot.body_limit import as_json, over

log = logging.getLogger(__name__)

PREFIXES = ("/alerts/", "/v2/enqueue")


def handles(path: str) -> bool:
    return path == "/v2/enqueue" or path.startswith("/alerts/") or path.startswith("/heartbeat/")


def _token(environ: dict[str, Any]) -> str | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2] or None
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def too_large(path: str, limit: int) -> tuple[str, bytes]:
    """The 413 of an alert endpoint (content type, body): from the endpoint, or from the server while the body
    arrives (:mod:`bot.body_limit`)."""
    return as_json({"status": "error", "message": f"{over(limit, path)} (limits.max_body_bytes in "
                    "config/alerts.yaml): send smaller alerts, or raise the limit (a restart applies it to the "
                    "listener)"})


def _answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _read(environ: dict[str, Any], limit: int) -> bytes | None:
    """The body, or None if it is larger than ``limit`` (read no further than limit + 1 bytes)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    data = environ["wsgi.input"].read(min(length, limit + 1) if length else limit + 1)
    return None if len(data) > limit else data


def alerts_app(inbox: Inbox) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not handles(path):
            return _answer(start_response, "404 Not Found", {"status": "error", "message": f"no endpoint at {path}"})
        if path.startswith("/heartbeat/") and environ.get("REQUEST_METHOD") in ("GET", "POST"):
            try:
                ended = inbox.heartbeat(path[len("/heartbeat/"):], _token(environ))
            except Unauthorized:
                return _answer(start_response, "401 Unauthorized",
                               {"status": "unauthorized", "message": "unknown heartbeat or wrong token"})
            except NotConfigured as exc:
                return _answer(start_response, "404 Not Found", {"status": "error", "message": str(exc)})
            return _answer(start_response, "200 OK", {"status": "ok", "resolved": ended})
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"status": "error", "message": "use POST"})
        try:
            limit = inbox.max_body_bytes()
        except NotConfigured as exc:
            return _answer(start_response, "404 Not Found", {"status": "error", "message": str(exc)})
        pd = path == "/v2/enqueue"
        source = path[len("/alerts/"):] if not pd else ""
        try:
            token = None if pd else _token(environ)
            if not pd:
                inbox.authenticate(source, token)  # before the body is even read
            raw = _read(environ, limit)
            if raw is None:
                content_type, data = too_large(path, limit)
                start_response("413 Payload Too Large", [("Content-Type", content_type),
                                                         ("Content-Length", str(len(data)))])
                return [data]
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadAlert("body", f"expected a JSON object ({exc})") from None
            except RecursionError:  # a few thousand nested brackets fit in the limit
                raise BadAlert("body", "expected a JSON object (nested too deeply to parse)") from None
            accepted = inbox.enqueue(body) if pd else inbox.webhook(source, token, body)
        except Unauthorized:
            return _answer(start_response, "401 Unauthorized",
                           {"status": "unauthorized", "message": "unknown source or wrong token"})
        except BadAlert as exc:
            if pd:
                return _answer(start_response, "400 Bad Request",
                               {"status": "invalid event", "message": "Event object is invalid", "errors": [str(exc)]})
            return _answer(start_response, "400 Bad Request", {"status": "error", "field": exc.field, "message": str(exc)})
        except NotConfigured as exc:
            return _answer(start_response, "404 Not Found", {"status": "error", "message": str(exc)})
        if pd:
            return _answer(start_response, "202 Accepted",
                           {"status": "success", "message": "Event processed", "dedup_key": accepted.keys[0]})
        return _answer(start_response, "200 OK", {"status": "accepted", "receipt": accepted.receipt})

    return application
