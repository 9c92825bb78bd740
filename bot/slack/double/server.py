"""A local Slack Web API over real HTTP, for end-to-end tests, drills and benchmarks.

``SlackDouble().start()`` listens on 127.0.0.1 with a free port; point the bot
at it with ``SLACK_API_URL=<double.api_url>``.  It answers the Web API methods
the bot uses from a stateful model (:mod:`bot.slack.double.model`), records
every call (method, parameters, headers, status, response), applies scripted
faults (:mod:`bot.slack.double.faults`) and accepts ``response_url`` posts at
``/webhook/<id>``.  A small control API under ``/_double/`` lets another
process seed users and read what was received.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from bot.slack.double.faults import FaultPlan
from bot.slack.double.model import ApiError, SlackModel


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass(frozen=True)
class WebhookPost:
    path: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if "application/json" in content_type:
        data = json.loads(raw.decode("utf-8"))
        return data if isinstance(data, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"
    # An answer is written as headers, then body: without this, on a kept-open connection the body waits
    # for the client's delayed acknowledgement of the headers (tens of milliseconds), as Slack never makes it.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # quiet: calls are recorded instead

    def _read(self) -> tuple[str, dict[str, Any]]:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(_parse_body(self.headers.get("Content-Type", ""), raw))
        return parts.path, params

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    def _dispatch(self) -> None:
        path, params = self._read()
        double = self.server.double
        if path.startswith("/webhook/"):
            status, drop = double.answer_webhook(WebhookPost(path, params))
            if drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self._send(status, {"ok": status == 200})
            return
        if path.startswith("/_double/"):
            status, body = double.control(self.command, path[len("/_double/"):], params)
            self._send(status, body)
            return
        method = path.rsplit("/", 1)[-1]
        status, body, headers, drop = double.answer(method, params, dict(self.headers.items()))
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(status, body, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Slack accepts many connections at once; socketserver's default backlog of 5 reset some of 32 clients
    # connecting together (4 workers of 8 senders), which Slack would not do.
    request_queue_size = 128

    def __init__(self, double: "SlackDouble") -> None:
        self.double = double
        super().__init__(("127.0.0.1", double.requested_port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away with its connection kept open (a killed worker) is not an error here."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class SlackDouble:
    """Start, inspect and stop a local Slack Web API."""

    def __init__(self, port: int = 0, *, token: str | None = None) -> None:
        self.requested_port = port
        self.token = token  # when set, every call must carry this bearer token
        self.model = SlackModel()
        self.faults = FaultPlan()
        self._calls: list[Call] = []
        self._webhooks: list[WebhookPost] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------

    def start(self) -> "SlackDouble":
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "SlackDouble":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack double is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL`` (slack_sdk's ``base_url``)."""
        return f"{self.url}/api/"

    def webhook_url(self, name: str = "response") -> str:
        return f"{self.url}/webhook/{name}"

    # --- answering -----------------------------------------------------------

    def answer_webhook(self, post: WebhookPost) -> tuple[int, bool]:
        """A ``response_url`` post: (HTTP status, drop the connection?)."""
        if self.faults.latency:
            time.sleep(self.faults.latency)
        window = self.faults.window()
        if window is not None:
            return window.status, False
        kill = self.faults.kill_due("response_url")
        if kill is not None and not kill.processed:
            self.faults.execute(kill, "response_url")
            return 0, True
        self.record_webhook(post)
        if kill is not None:
            self.faults.execute(kill, "response_url")
            return 0, True
        return 200, False

    def answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str], bool]:
        if self.faults.latency:
            time.sleep(self.faults.latency)
        kill = self.faults.kill_due(method)
        if kill is not None and not kill.processed:
            self.faults.execute(kill, method)  # dead before Slack did anything
            self._record(Call(method, params, headers, 0, {}))
            return 0, {}, {}, True
        status, body, extra, drop = self._answer(method, params, headers)
        if kill is not None:
            self.faults.execute(kill, method)  # Slack did it; the bot never hears the answer
            return 0, {}, {}, True
        return status, body, extra, drop

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str], bool]:
        fault = self.faults.window() or self.faults.next_for(method)
        if fault and fault.delay:
            time.sleep(fault.delay)
        status, body, extra = 200, {"ok": True}, {}
        handler = self.model.methods().get(method)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if fault and fault.drop:
            self._record(Call(method, params, headers, 0, {}))
            return 0, {}, {}, True
        if fault and fault.processed and handler is not None:
            self._run(handler, params)  # the effect happens; the answer says it failed
        if fault and fault.status != 200:
            status, body, extra = fault.status, {"ok": False, "error": "ratelimited" if fault.status == 429 else "fatal_error"}, dict(fault.headers)
        elif fault and fault.error:
            body = {"ok": False, "error": fault.error}
        elif handler is None:
            body = {"ok": False, "error": "unknown_method"}
        elif not auth.startswith("Bearer ") or (self.token and auth != f"Bearer {self.token}"):
            body = {"ok": False, "error": "not_authed" if not auth else "invalid_auth"}
        else:
            body = self._run(handler, params)
        self._record(Call(method, params, headers, status, body))
        return status, body, extra, False

    def _run(self, handler: Callable[[dict[str, Any]], dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        try:
            with self.model.lock:
                return {"ok": True, **handler(params)}
        except ApiError as exc:
            return {"ok": False, "error": exc.code, **exc.extra}
        except (ValueError, TypeError, KeyError) as exc:
            return {"ok": False, "error": "invalid_arguments", "detail": str(exc)}

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def record_webhook(self, post: WebhookPost) -> None:
        with self._lock:
            self._webhooks.append(post)

    # --- inspection -------------------------------------------------------------

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[Call]:
        with self._lock:
            found = [c for c in self._calls if method is None or c.method == method]
        return [c for c in found if ok is None or c.ok == ok]

    def webhooks(self) -> list[WebhookPost]:
        with self._lock:
            return list(self._webhooks)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()
            self._webhooks.clear()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
                 what: str = "condition") -> Any:
        """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
            time.sleep(interval)

    # --- control API for other processes ----------------------------------------------

    def control(self, verb: str, name: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if name == "users" and verb == "POST":
            self.model.add_user(str(params["id"]), params.get("name"), params.get("tz") or None)
            return 200, {"ok": True}
        if name == "latency" and verb == "POST":
            self.faults.latency = float(params.get("seconds") or 0)
            return 200, {"ok": True}
        if name == "state" and verb == "GET":
            with self.model.lock:
                channels = [{**c.as_json(), "members": list(c.members), "pins": list(c.pins),
                             "bookmarks": list(c.bookmarks)} for c in self.model.channels.values()]
                messages = [m.as_json(with_metadata=True) | {"channel": m.channel} for m in self.model.messages]
            calls = [{"method": c.method, "status": c.status, "ok": c.ok} for c in self.calls()]
            webhooks = [{"path": w.path, "body": w.body} for w in self.webhooks()]
            return 200, {"ok": True, "channels": channels, "messages": messages, "calls": calls, "webhooks": webhooks}
        return 404, {"ok": False, "error": "unknown_control"}
