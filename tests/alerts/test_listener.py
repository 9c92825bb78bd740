"""`serve --alerts-port`: the intake's own HTTP listener and the triage worker, over a real socket."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from sqlmodel import select

from bot.alerts.tables import AlertGroup
from bot.alerts_http.runtime import AlertIntake
from bot.incidents.tables import Incident
from tests.alerts.conftest import TOKENS, fixture


def post(port, path, body, token=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_listener_accepts_triages_and_pages(store, night_clock, alerts_config, incidents):
    declared = []
    intake = AlertIntake(store, lambda: alerts_config, night_clock, incidents, on_declared=declared.append,
                         environ=TOKENS, poll_seconds=0.2)
    intake.start()
    port = intake.listen("127.0.0.1", 0)
    try:
        assert post(port, "/alerts/prometheus", fixture("alertmanager_firing.json"), "wrong")[0] == 401
        status, body = post(port, "/alerts/prometheus", fixture("alertmanager_firing.json"), TOKENS["T_AM"])
        assert status == 200 and body["status"] == "accepted"
        status, body = post(port, "/v2/enqueue", fixture("pagerduty_trigger.json"))
        assert status == 202 and body["dedup_key"] == "samplekeyhere"

        def two_incidents():
            with store.session() as s:
                return len(s.exec(select(Incident)).all()) == 2
        assert wait_for(two_incidents)
        # the incident is committed first, then the chat adapter is asked to open its channel
        assert wait_for(lambda: len(declared) == 2), "the chat adapter was asked to open each new incident's channel"
        with store.session() as s:
            assert {g.source for g in s.exec(select(AlertGroup)).all()} == {"prometheus", "events"}
    finally:
        intake.stop()


def test_the_intake_listener_stops_without_killing_its_thread(store, night_clock, alerts_config, incidents,
                                                              monkeypatch):
    """``stop()`` closed waitress's sockets from the test's thread while the listener's loop was in ``select``
    on them: the loop died on a closed descriptor, and a number it then closed again could by then belong to
    another file of the process. The loop must close its own sockets and end by itself."""
    import threading

    died: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: died.append(f"{hook.thread.name}: {hook.exc_value!r}"))
    for _ in range(300):
        intake = AlertIntake(store, lambda: alerts_config, night_clock, incidents, environ=TOKENS, triage=False)
        port = intake.listen("127.0.0.1", 0)
        assert post(port, "/alerts/prometheus", fixture("alertmanager_firing.json"), "wrong")[0] == 401
        listener = next(t for t in threading.enumerate() if t.name == "alert-intake-http")
        intake.stop()
        listener.join(5)
        assert not listener.is_alive(), "the listener's loop still runs after stop()"
    assert died == []


def test_listener_refuses_a_body_over_the_limit_as_it_arrives(store, night_clock, alerts_config, incidents):
    """A lying Content-Length (limits.max_body_bytes is 4096 here) is answered 413 at once, not after waiting for
    the bytes announced; a chunked body is cut off as it streams (waitress's own default takes up to 1 GiB)."""
    import socket

    intake = AlertIntake(store, lambda: alerts_config, night_clock, incidents, environ=TOKENS, triage=False)
    port = intake.listen("127.0.0.1", 0, threads=2)
    head = b"POST /v2/enqueue HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(head + b"Content-Length: 100000000\r\n\r\n{")
            assert sock.recv(100).startswith(b"HTTP/1.1 413")
        sent = 0
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
            try:
                while sent < 64 * 1024 * 1024:
                    sock.sendall(b"4000\r\n" + b" " * 0x4000 + b"\r\n")
                    sent += 0x4000
            except OSError:  # the listener closed the connection
                pass
        assert sent < 16 * 1024 * 1024  # socket buffers take a few MB; the listener nothing past the limit
    finally:
        intake.stop()


def test_the_listener_413_is_the_endpoint_s_own_answer(store, night_clock, alerts_config, incidents):
    # waitress's own 413 ("Request Entity Too Large ... (generated by waitress)") named neither the endpoint, nor
    # limits.max_body_bytes, nor what to do; and it was not JSON like every other answer of the intake
    from tests.http_oversize import send_oversize

    intake = AlertIntake(store, lambda: alerts_config, night_clock, incidents, environ=TOKENS, triage=False)
    port = intake.listen("127.0.0.1", 0, threads=2)
    head = f"POST /alerts/prometheus HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n" \
           f"Authorization: Bearer {TOKENS['T_AM']}"
    try:
        for size in ({"declared": 100_000_000}, {"chunked": 3 * 4096}):
            answer = send_oversize(port, head, **size)
            assert answer.status == 413 and answer.headers["content-type"] == "application/json", answer
            message = json.loads(answer.body)["message"]
            assert "larger than 4096 bytes, the most /alerts/prometheus accepts" in message
            assert "limits.max_body_bytes in config/alerts.yaml" in message
        # a body within the limit is still judged by its token first
        assert post(port, "/alerts/prometheus", fixture("alertmanager_firing.json"), "wrong")[0] == 401
    finally:
        intake.stop()
