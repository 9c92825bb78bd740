"""``GET /metrics`` on the production waitress server: Prometheus text, optional token, Slack's gate untouched."""

from __future__ import annotations

import http.client
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics_endpoint import PATH, metrics_endpoint
from bot.served_in_thread import ServedInThread
from bot.slack.transport import http_server

TOKEN = "scrape-secret"


@pytest.fixture
def served(world, store, clock):
    app, services, _double = world
    routes = {PATH: metrics_endpoint(store, services.config, clock, token=TOKEN)}
    served = ServedInThread(http_server(app, 0, signing_secret="not-the-token", host="127.0.0.1", threads=2,
                                        routes=routes), name="test-http")
    try:
        yield served.effective_port, services, clock
    finally:
        served.stop()


def _get(port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type") or "", response.read().decode()


def test_metrics_need_the_token_and_speak_prometheus(served):
    port, services, clock = served
    assert _get(port, PATH)[0] == 401  # no token
    assert _get(port, PATH, {"Authorization": "Bearer wrong"})[0] == 401
    services.incidents.declare("sev2", "Checkout latency", actor="U0KATRIN1", key="d1")
    status, kind, body = _get(port, PATH, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and kind.startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body) for s in family.samples}
    # One incident declared just now, in the 30-day window; nothing acknowledged or resolved yet: no MTTA/MTTR.
    assert samples[("incident_bot_incidents", (("severity", "sev2"),))] == 1
    assert not [k for k in samples if k[0] in ("incident_bot_mtta_seconds", "incident_bot_mttr_seconds")]
    # The declaration wrote effects (channel, posts, pages) that nobody delivered in this test: they wait.
    assert samples[("incident_bot_outbox_backlog", ())] >= 1
    assert ("incident_bot_scheduler_lag_seconds", ()) in samples
    assert _get(port, PATH, {"Authorization": f"Bearer {TOKEN}"}, method="POST")[0] == 405


def test_metrics_say_when_checkpoints_wait_for_the_anchor_file(served, store, tmp_path):
    """A checkpoint the bot could not append to the anchor file was only logged where it failed: the metrics
    show how many wait and when the newest was signed, for an alert on either."""
    from datetime import timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bot.audit.checkpoints import make_checkpoint, publish_pending

    port, services, clock = served

    def samples():
        body = _get(port, PATH, {"Authorization": f"Bearer {TOKEN}"})[2]
        return {s.name: s.value for family in text_string_to_metric_families(body) for s in family.samples}

    assert samples()["incident_bot_audit_checkpoints_unpublished"] == 0
    assert "incident_bot_audit_last_checkpoint_timestamp_seconds" not in samples()  # none signed yet
    key = Ed25519PrivateKey.generate()
    services.incidents.declare("sev2", "Checkout latency", actor="U0KATRIN1", key="d1")
    first_at = clock.now()
    with store.session() as s:
        make_checkpoint(s, key, first_at)
    with store.session() as s:
        assert publish_pending(s, tmp_path / "anchors.jsonl", first_at) == 1
    services.incidents.declare("sev2", "Checkout errors", actor="U0KATRIN1", key="d2")
    second_at = first_at + timedelta(minutes=10)
    with store.session() as s:
        make_checkpoint(s, key, second_at)  # signed, but the anchor file could not be written: not published
    seen = samples()
    assert seen["incident_bot_audit_checkpoints_unpublished"] == 1
    assert seen["incident_bot_audit_last_checkpoint_timestamp_seconds"] == second_at.timestamp()


def test_slack_routes_still_need_slack_signatures(served):
    port, _, _ = served
    # The metrics token opens nothing else: an unsigned request to Slack's path is refused before bolt.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/slack/events", body=b"command=/incident", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {TOKEN}"})
    assert conn.getresponse().status == 401
    assert _get(port, "/healthz")[0] == 200 and _get(port, "/nowhere")[0] == 404


def test_socket_mode_serves_metrics_and_health_beside_the_websocket(world, store, clock):
    """Socket Mode has no HTTP server for Slack; /metrics (with its token) and /healthz are served on $PORT."""
    from bot.slack.transport import serve_beside_socket_mode

    _app, services, _double = world
    server = serve_beside_socket_mode(0, host="127.0.0.1", threads=2,
                                      routes={PATH: metrics_endpoint(store, services.config, clock, token=TOKEN)})
    try:
        port = server.effective_port
        assert _get(port, "/healthz")[:1] == (200,)
        assert _get(port, PATH)[0] == 401
        services.incidents.declare("sev3", "Slow search", actor="U0KATRIN1", key="d-socket")
        status, _kind, body = _get(port, PATH, {"Authorization": f"Bearer {TOKEN}"})
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(body) for s in family.samples}
        assert status == 200 and samples[("incident_bot_incidents", (("severity", "sev3"),))] == 1
        assert _get(port, PATH, {"Authorization": f"Bearer {TOKEN}"}, method="POST")[0] == 405
        assert _get(port, "/slack/events")[0] == 404  # no Slack requests here: they come over the socket
        assert _get(port, "/web/")[0] == 404  # no web view unless it is set up
    finally:
        server.stop()


def test_the_server_beside_socket_mode_stops_without_killing_its_thread(monkeypatch):
    """Closing waitress's sockets from another thread made its loop's select fail on a closed descriptor
    ("Exception in thread beside-socket-mode", about 1 stop in 12): stop() lets the loop close them itself."""
    from bot.slack.transport import serve_beside_socket_mode

    died: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: died.append(f"{hook.thread.name}: {hook.exc_value!r}"))
    for _ in range(40):
        server = serve_beside_socket_mode(0, host="127.0.0.1", threads=2)
        assert _get(server.effective_port, "/healthz")[0] == 200
        server.stop()
        assert not server._thread.is_alive()
    assert died == []


def test_the_server_beside_socket_mode_refuses_a_body_over_1_mib_as_it_arrives():
    """Like serve's HTTP server (README: HTTP requests over 1 MiB are refused): a lying Content-Length is answered
    413 at once instead of waiting for the bytes announced (waitress's own default takes up to 1 GiB)."""
    import socket

    from bot.slack.transport import serve_beside_socket_mode

    server = serve_beside_socket_mode(0, host="127.0.0.1", threads=2)
    try:
        with socket.create_connection(("127.0.0.1", server.effective_port), timeout=3) as sock:
            sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: bot\r\nContent-Length: 100000000\r\n\r\nx")
            assert sock.recv(100).startswith(b"HTTP/1.1 413")
    finally:
        server.stop()
