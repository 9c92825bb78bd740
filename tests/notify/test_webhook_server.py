"""The paging webhooks' production server (waitress, as ``serve`` runs it on ``$PAGING_PORT``) refuses a body over
16 KB while receiving it: a lying ``Content-Length`` is answered at once, a chunked body is cut off as it streams.
waitress's own default would take up to 1 GiB of each request (spilled to a temporary file) before the app
could say 413, on a port that must be open to the internet for Twilio."""

from __future__ import annotations

import socket

import pytest

from bot.notify.links import LinkSigner
from bot.notify.webhooks import MAX_BODY, create_app, webhook_server
from bot.slack.transport import ServedInThread

HEAD = b"POST /twilio/sms HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"


@pytest.fixture
def port():
    app = create_app(None, auth_token="t" * 32, public_url="https://bot.example.org", links=LinkSigner("s" * 32))
    served = ServedInThread(webhook_server(app, host="127.0.0.1", port=0, threads=2), name="paging-test")
    try:
        yield served.effective_port
    finally:
        served.stop()


def _answer(sock: socket.socket) -> bytes:
    try:
        return sock.recv(200)
    except OSError:
        return b""


def test_a_lying_content_length_is_413_at_once(port):
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(HEAD + b"X-Twilio-Signature: x\r\nContent-Length: 100000000\r\n\r\nFrom=%2B49")
        assert _answer(sock).startswith(b"HTTP/1.1 413")  # no waiting for the 100 MB announced


def test_a_chunked_body_is_cut_off_soon_after_the_limit(port):
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(HEAD + b"X-Twilio-Signature: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(chunk)
                sent += 0x4000
        except OSError:  # the server closed the connection
            pass
        assert sent < 16 * 1024 * 1024  # socket buffers take a few MB; the server takes nothing past MAX_BODY
        assert MAX_BODY == 16 * 1024
