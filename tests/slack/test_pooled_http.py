"""The outbox worker's WebClient keeps connections open, and fails the way slack_sdk's urllib client fails."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.channels import retry_after
from bot.slack.client import make_client, make_worker_client


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open unless the client or the answer says close

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.seen.append((self.client_address, self.path, body, dict(self.headers)))  # type: ignore[attr-defined]
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(1.5)
        status, extra = 200, {}
        answer: dict = {"ok": True, "channel": "C1", "ts": f"1.{len(self.server.seen):06d}"}  # type: ignore[attr-defined]
        if mode == "ratelimited":
            status, extra, answer = 429, {"Retry-After": "7"}, {"ok": False, "error": "ratelimited"}
        data = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        if mode == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.seen, srv.mode = [], "ok"  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _url(srv: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/api/"


def _connections(srv) -> int:
    return len({address for address, *_ in srv.seen})


def test_calls_in_a_row_share_one_connection(server):
    client = make_worker_client("xoxb-test", base_url=_url(server))
    for n in range(10):
        answer = client.chat_postMessage(channel="C1", text=f"nudge {n}")
        assert answer["ok"] is True
    assert len(server.seen) == 10
    assert _connections(server) == 1
    # What slack_sdk sent is unchanged: the method's path, the token, the JSON body.
    _, path, body, headers = server.seen[0]
    assert path == "/api/chat.postMessage"
    assert headers["Authorization"] == "Bearer xoxb-test"
    assert json.loads(body) == {"channel": "C1", "text": "nudge 0"}


def test_the_listeners_client_keeps_its_connection_and_its_retry_handlers(server):
    """The commands' client (make_client) reuses one connection too, and still retries a 429 itself."""
    client = make_client("xoxb-test", base_url=_url(server))
    for n in range(3):
        client.chat_postMessage(channel="C1", text=f"reply {n}")
    assert _connections(server) == 1
    waits: list[float] = []
    limited = make_client("xoxb-test", base_url=_url(server), rate_limit_retries=1, sleep=waits.append)
    server.mode = "ratelimited"
    with pytest.raises(SlackApiError):
        limited.users_info(user="U1")
    assert len(waits) == 1 and waits[0] >= 7, "the 429's Retry-After of 7 s was not waited once before giving up"
    assert len(server.seen) == 5 and _connections(server) == 2  # the retry went over the second client's connection


def test_slack_sdks_own_client_opens_a_connection_per_call(server):
    """The comparison that shows the test above can fail: urllib closes every connection."""
    client = WebClient(token="xoxb-test", base_url=_url(server))
    for n in range(3):
        client.chat_postMessage(channel="C1", text=f"nudge {n}")
    assert _connections(server) == 3


def test_a_429_is_a_slack_api_error_with_its_retry_after(server):
    server.mode = "ratelimited"
    client = make_worker_client("xoxb-test", base_url=_url(server))
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="too fast")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert retry_after(raised.value) == 7.0


def test_a_connection_the_server_closed_is_not_reused(server):
    server.mode = "close"
    client = make_worker_client("xoxb-test", base_url=_url(server))
    for n in range(3):
        assert client.chat_postMessage(channel="C1", text=f"nudge {n}")["ok"] is True
    assert len(server.seen) == 3 and _connections(server) == 3


def test_nobody_listening_is_an_os_error_as_with_urllib():
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as probe:
        port = probe.server_address[1]
    client = make_worker_client("xoxb-test", base_url=f"http://127.0.0.1:{port}/api/")
    with pytest.raises(OSError):
        client.chat_postMessage(channel="C1", text="nobody there")


def test_no_answer_in_time_is_a_timeout_error(server):
    server.mode = "slow"
    client = make_worker_client("xoxb-test", base_url=_url(server), timeout=0.3)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C1", text="slow")
