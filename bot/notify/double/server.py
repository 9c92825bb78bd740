"""A local Twilio over real HTTP, for the tests and the drill (beside the Slack double).

``TwilioDouble().start()`` listens on 127.0.0.1 with a free port; point the bot at it with
``TWILIO_API_URL=<double.api_url>``.  It answers the parts of Twilio's REST API the bot uses, as Twilio
does (paths, HTTP basic auth with the account SID and auth token, form-encoded requests, JSON answers
and error bodies ``{"code", "message", "status"}``):

* ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (To, From, Body[, StatusCallback]) -> 201 + ``SM…``;
* ``GET  …/Messages.json?To=&DateSent>=`` -> ``{"messages": [...]}``;
* ``POST …/Calls.json`` (To, From, Twiml or Url[, Method]) -> 201 + ``CA…``; ``GET …/Calls.json``.

It plays the other direction too, signing every request with ``X-Twilio-Signature`` exactly as Twilio
does (HMAC-SHA1 over the URL and the sorted form parameters, computed by the ``twilio`` package):
:meth:`TwilioDouble.sms_reply` posts an inbound SMS to the bot's webhook, :meth:`TwilioDouble.answer`
picks up a call placed with a ``Url`` (asking that URL what to play), :meth:`TwilioDouble.press`
answers a call's ``<Gather>`` with a key, and a message with a ``StatusCallback`` gets its
``sent``/``delivered`` callbacks.  Faults: :meth:`TwilioDouble.fail_next` (the next requests answer an
error status), :meth:`TwilioDouble.undeliver_next` (accepted, then reported ``undelivered``),
:meth:`TwilioDouble.answer_late_next` (accepted, but the answer comes after the client gave up: a timeout
that hides a sent message) and :meth:`TwilioDouble.outage` (everything answers 503 until it ends).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from twilio.request_validator import RequestValidator

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/(?P<resource>Messages|Calls)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ACTION = re.compile(r'action="([^"]+)"')
CALLBACK_DELAY = 0.2  # seconds between accepting a message and its first status callback


@dataclass
class Sent:
    sid: str
    to: str
    from_: str
    body: str = ""
    twiml: str = ""  # given with the call, or what its ``url`` answered when the call was picked up
    url: str = ""
    status: str = "queued"
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    status_callback: str = ""

    def to_json(self, account: str, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"sid": self.sid, "account_sid": account, "to": self.to, "from": self.from_,
                               "status": self.status, "date_created": format_datetime(self.created, usegmt=True)}
        if kind == "Messages":
            out |= {"body": self.body, "num_segments": "1", "direction": "outbound-api"}
        else:
            out |= {"direction": "outbound-api"}
        return out


@dataclass(frozen=True)
class Inbound:
    url: str
    params: dict[str, str]
    status: int
    body: str


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return None

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        try:
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (answer_late_next)
            pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("POST")

    def _dispatch(self, verb: str) -> None:
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())) if length else {}
        query = dict(urllib.parse.parse_qsl(split.query))
        status, body = self.server.double.handle(verb, split.path, form, query, self.headers.get("Authorization", ""))
        self._answer(status, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, double: "TwilioDouble", port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.double = double


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}


class TwilioDouble:
    def __init__(self, *, account_sid: str = "AC" + "0" * 32, auth_token: str = "double-auth-token",
                 port: int = 0, now: Callable[[], datetime] | None = None) -> None:
        """``now``: the double's clock for message dates (the bot's clock in tests on simulated time)."""
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[Sent] = []
        self.calls: list[Sent] = []
        self.inbound: list[Inbound] = []
        self.requests: list[tuple[str, str, int]] = []  # verb, path, status answered
        self._failures: list[tuple[int, int, str]] = []
        self._undeliver: list[str] = []
        self._late: list[float] = []
        self._stopping = threading.Event()
        self._callbacks: list[threading.Thread] = []
        self._outage_until = 0.0
        self._lock = threading.Lock()
        self._server = _Server(self, port)
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> "TwilioDouble":
        self._thread = threading.Thread(target=self._server.serve_forever, name="twilio-double", daemon=True)
        self._thread.start()
        return self

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for the status callbacks still on their way to the bot."""
        with self._lock:
            threads = list(self._callbacks)
        for thread in threads:
            thread.join(timeout)

    def stop(self) -> None:
        self._stopping.set()  # answers held back by answer_late_next go now (to clients long gone)
        self.drain()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "TwilioDouble":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- faults --------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 500, code: int = 20500,
                  message: str = "Internal Server Error") -> None:
        """The next ``count`` REST requests answer ``status`` with Twilio's error body (and do nothing)."""
        with self._lock:
            self._failures += [(status, code, message)] * count

    def undeliver_next(self, count: int = 1, *, error_code: str = "30003") -> None:
        """The next ``count`` messages are accepted, then reported ``undelivered`` (30003: unreachable handset)."""
        with self._lock:
            self._undeliver += [error_code] * count

    def answer_late_next(self, count: int = 1, *, seconds: float = 60.0) -> None:
        """The next ``count`` messages or calls are accepted (and go out), but their answer is held ``seconds``
        (or until :meth:`stop`): a client that gives up sooner sees a timeout for a message that was sent."""
        with self._lock:
            self._late += [seconds] * count

    def outage(self, seconds: float) -> None:
        with self._lock:
            self._outage_until = time.monotonic() + seconds

    # --- the REST API --------------------------------------------------------------

    def _authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def handle(self, verb: str, path: str, form: dict[str, str], query: dict[str, str],
               auth: str) -> tuple[int, dict[str, Any]]:
        status, body = self._handle(verb, path, form, query, auth)
        with self._lock:
            self.requests.append((verb, path, status))
            late = self._late.pop(0) if status == 201 and self._late else 0.0
        if late:
            self._stopping.wait(late)
        return status, body

    def _handle(self, verb: str, path: str, form: dict[str, str], query: dict[str, str],
                auth: str) -> tuple[int, dict[str, Any]]:
        match = _PATH.match(path)
        if match is None:
            return _error(404, 20404, f"The requested resource {path} was not found")
        if not self._authorized(auth) or match["sid"] != self.account_sid:
            return _error(401, 20003, "Authenticate")
        with self._lock:
            if time.monotonic() < self._outage_until:
                return _error(503, 20503, "Service Unavailable")
            if self._failures:
                return _error(*self._failures.pop(0))
        resource = match["resource"]
        if verb == "GET":
            return 200, self._list(resource, query)
        to, from_ = form.get("To", ""), form.get("From", "")
        if not _E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required.")
        with self._lock:
            items = self.messages if resource == "Messages" else self.calls
            prefix = "SM" if resource == "Messages" else "CA"
            sent = Sent(sid=f"{prefix}{len(items) + 1:032x}", to=to, from_=from_, body=form.get("Body", ""),
                        twiml=form.get("Twiml", ""), url=form.get("Url", ""), status_callback=form.get("StatusCallback", ""), created=self.now(),
                        status="queued")
            items.append(sent)
            error = self._undeliver.pop(0) if resource == "Messages" and self._undeliver else ""
        if sent.status_callback:
            thread = threading.Thread(target=self._status_callbacks, args=(sent, error), daemon=True)
            with self._lock:
                self._callbacks.append(thread)
            thread.start()
        return 201, sent.to_json(self.account_sid, resource)

    def _list(self, resource: str, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            items = list(self.messages if resource == "Messages" else self.calls)
        to = query.get("To")
        since = query.get("DateSent>") or query.get("StartTime>")
        out = []
        for item in items:
            if to and item.to != to:
                continue
            if since and item.created.date().isoformat() < since:
                continue
            out.append(item.to_json(self.account_sid, resource))
        key = "messages" if resource == "Messages" else "calls"
        return {key: list(reversed(out)), "page": 0, "page_size": 50, "next_page_uri": None}

    # --- Twilio calling the bot --------------------------------------------------------

    def sign(self, url: str, params: dict[str, str]) -> str:
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def post_webhook(self, url: str, params: dict[str, str], *, signature: str | None = None) -> Inbound:
        """POST ``params`` to the bot as Twilio does (signed unless a ``signature`` is given)."""
        data = urllib.parse.urlencode(params).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": self.sign(url, params) if signature is None else signature,
                   "User-Agent": "TwilioProxy/1.1"}
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:  # the bot is not there
            status, body = 0, str(exc)
        inbound = Inbound(url, params, status, body)
        with self._lock:
            self.inbound.append(inbound)
        return inbound

    def sms_reply(self, url: str, *, from_: str, body: str, to: str = "+15005550006",
                  message_sid: str | None = None) -> Inbound:
        """A person answers by SMS: Twilio posts the incoming message to the number's webhook ``url``."""
        with self._lock:
            sid = message_sid or f"SM{len(self.inbound) + 1000:032x}"
        return self.post_webhook(url, {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid,
                                       "From": from_, "To": to, "Body": body, "NumMedia": "0"})

    def answer(self, call_sid: str, *, public_url: str = "", local_url: str = "") -> Inbound | None:
        """The callee picks up: for a call placed with a ``Url``, Twilio asks it (signed POST) for the TwiML to
        play, now; the answer becomes the call's ``twiml``. None for a call placed with its TwiML."""
        call = next(c for c in self.calls if c.sid == call_sid)
        if not call.url:
            return None
        params = {"CallSid": call.sid, "AccountSid": self.account_sid, "From": call.from_, "To": call.to,
                  "CallStatus": "in-progress", "Direction": "outbound-api", "ApiVersion": "2010-04-01"}
        inbound = self._post_as_twilio(call.url, params, public_url, local_url)
        with self._lock:
            call.status = "in-progress"
            call.twiml = inbound.body if inbound.status == 200 else ""
        return inbound

    def press(self, call_sid: str, digits: str, *, public_url: str = "", local_url: str = "") -> Inbound:
        """The callee presses ``digits`` on the call's ``<Gather>``: Twilio posts them to its action URL (a
        call placed with a ``Url`` is answered first, see :meth:`answer`). ``local_url`` replaces
        ``public_url`` in the address actually connected to (the signature is over the public one, as behind
        a proxy)."""
        call = next(c for c in self.calls if c.sid == call_sid)
        if call.url and not call.twiml:
            self.answer(call_sid, public_url=public_url, local_url=local_url)
        found = _ACTION.search(call.twiml.replace("&amp;", "&"))
        if found is None:
            raise AssertionError(f"call {call_sid} has no <Gather action=...>: {call.twiml!r}")
        params = {"CallSid": call.sid, "AccountSid": self.account_sid, "From": call.from_, "To": call.to,
                  "Digits": digits, "CallStatus": "in-progress", "Direction": "outbound-api"}
        return self._post_as_twilio(found.group(1), params, public_url, local_url)

    def _post_as_twilio(self, url: str, params: dict[str, str], public_url: str, local_url: str) -> Inbound:
        if not local_url:
            return self.post_webhook(url, params)
        return self.post_webhook(url.replace(public_url, local_url, 1), params, signature=self.sign(url, params))

    def _status_callbacks(self, sent: Sent, error_code: str) -> None:
        time.sleep(CALLBACK_DELAY)  # the carrier takes a moment; the bot has recorded the message by then
        for status in ("sent", "undelivered" if error_code else "delivered"):
            with self._lock:
                sent.status = status
            params = {"MessageSid": sent.sid, "MessageStatus": status, "AccountSid": self.account_sid,
                      "To": sent.to, "From": sent.from_}
            if status == "undelivered":
                params["ErrorCode"] = error_code
            self.post_webhook(sent.status_callback, params)

    def callbacks_done(self, sid: str, timeout: float = 10.0) -> bool:
        """Wait until the final status callback of message ``sid`` was answered by the bot."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if any(i.params.get("MessageSid") == sid and i.params.get("MessageStatus") in
                       ("delivered", "undelivered") for i in self.inbound):
                    return True
            time.sleep(0.02)
        return False


__all__ = ["Inbound", "Sent", "TwilioDouble"]
