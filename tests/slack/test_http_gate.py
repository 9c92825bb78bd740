"""HTTP hardening over real HTTP: the waitress server ``serve`` runs, the real bolt app, Slack a double.

Each case says what Slack (or an attacker) sends and what must come back; for everything
that is not signed by Slack, nothing may leave the bot (no Web API call, no response_url POST).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest

from bot.slack.request_gate import MAX_BODY_BYTES
from bot.slack.transport import http_server
from tests.slack.conftest import REPORTER
from tests.slack.harness import SECRET, TEAM, SlackSender, exchange, oversized_request, sign

FORM = "application/x-www-form-urlencoded"
LEGACY_TOKEN = "legacy-token-must-not-be-logged"


@pytest.fixture
def served(world):
    """(sender, double, port, app, services): the app behind the production waitress server on a free port."""
    app, services, double = world
    server = http_server(app, 0, signing_secret=SECRET, host="127.0.0.1", threads=4)
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # its sockets were closed under the running loop at teardown
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, name="waitress-under-test", daemon=True)
    thread.start()
    port = server.effective_port
    double.reset_calls()
    try:
        yield SlackSender(f"http://127.0.0.1:{port}/slack/events", f"{double.url}/webhook"), double, port, app, services
    finally:
        closing.set()
        server.close()
        server.task_dispatcher.shutdown()  # its worker threads would keep the test process alive at exit
        thread.join(timeout=5)


def command_body(double, text: str = "status all good", *, webhook: str = "attacker") -> bytes:
    return urlencode({"token": LEGACY_TOKEN, "team_id": TEAM, "channel_id": "CGENERAL1", "user_id": REPORTER,
                      "command": "/incident", "text": text, "trigger_id": f"{time.time_ns()}.t",
                      "response_url": double.webhook_url(webhook)}).encode()


def nothing_left_the_bot(sender: SlackSender, double) -> None:
    """After a refused request, a signed `/incident help` (answered in the acknowledgement itself, no
    Web API call) proves the server went on; then Slack must have received nothing at all."""
    help_reply = sender.command("help", user=REPORTER)
    assert help_reply.status == 200 and "Incident commands" in help_reply.json()["text"]
    assert double.webhooks() == [], "a response_url was called for a refused request"
    assert [c.method for c in double.calls()] == []


@pytest.mark.parametrize("timestamp", ["abc", "", "+1700000000", "1.7e9", "0x65", "170000000\u00b2", "-5", "9" * 40])
def test_a_malformed_timestamp_is_401_and_nothing_is_sent(served, timestamp):
    sender, double, port, *_ = served
    body = command_body(double)
    answer = sender.post(body, FORM, headers={"X-Slack-Request-Timestamp": timestamp},
                         signature=sign(body, int(time.time())))
    assert answer.status == 401 and "X-Slack-Request-Timestamp" in answer.body
    nothing_left_the_bot(sender, double)


def test_a_missing_signature_is_401_and_nothing_is_sent(served):
    sender, double, port, *_ = served
    body = command_body(double)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/slack/events", body=body, headers={"Content-Type": FORM,
                                                              "X-Slack-Request-Timestamp": str(int(time.time()))})
    response = conn.getresponse()
    assert response.status == 401 and "X-Slack-Signature is missing" in response.read().decode()
    conn.close()
    nothing_left_the_bot(sender, double)


@pytest.mark.parametrize("case", ["forged", "stale", "not hex"])
def test_a_wrong_signature_is_401_and_nothing_is_sent(served, case):
    sender, double, *_ = served
    body = command_body(double)
    now = int(time.time())
    timestamp, signature = {"forged": (now, sign(body, now, "not-the-secret")),
                            "stale": (now - 301, sign(body, now - 301)),  # 5 minutes is Slack's window
                            "not hex": (now, "v0=" + "zz" * 32)}[case]
    answer = sender.post(body, FORM, timestamp=timestamp, signature=signature)
    assert answer.status == 401 and answer.body.startswith("invalid request")
    nothing_left_the_bot(sender, double)


@pytest.mark.parametrize("content_type, body, reason", [
    ("text/plain", b"command=%2Fincident&text=hi", "expected Content-Type"),
    (FORM, "text=caf\u00e9".encode("latin-1"), "not UTF-8"),
    ("application/json", b'{"type": "event_callback", ', "not valid JSON"),
    ("application/json", b"[1, 2]", "not a JSON object"),
    (FORM, b"payload=%7Bnot-json", "payload field is not valid JSON"),
    (FORM, b"command&text", "form body is malformed"),
    (FORM, b"text=%FF", "form body is malformed"),
    (FORM, b"", "body is empty"),
])
def test_a_signed_but_malformed_body_is_400_with_a_short_reason(served, content_type, body, reason):
    sender, double, *_ = served
    answer = sender.post(body, content_type)  # signed with the right secret
    assert answer.status == 400
    assert reason in answer.body and len(answer.body) < 120
    assert "Traceback" not in answer.body and "File \"" not in answer.body
    nothing_left_the_bot(sender, double)


def test_a_body_over_the_limit_is_413_from_its_length_before_it_is_read(served):
    sender, double, port, *_ = served
    status, took = oversized_request(port, 20 * 1024 * 1024)  # a forged 20 MB body: only 1 KB of it is sent
    assert status.startswith("HTTP/1.1 413"), status
    assert took < 5  # answered without waiting for the other 19.99 MB
    nothing_left_the_bot(sender, double)


def test_a_chunked_body_over_the_limit_is_413_while_it_streams(served):
    sender, double, port, *_ = served
    head = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            f"Transfer-Encoding: chunked\r\nX-Slack-Request-Timestamp: {int(time.time())}\r\n"
            f"X-Slack-Signature: v0={'0' * 64}\r\n\r\n").encode()
    piece = 256 * 1024
    chunks = b"".join(f"{piece:x}\r\n".encode() + b"a" * piece + b"\r\n" for _ in range(MAX_BODY_BYTES // piece + 1))
    status, _ = exchange(port, head + chunks)  # one chunk more than the limit, no terminating chunk
    assert status.startswith("HTTP/1.1 413"), status
    nothing_left_the_bot(sender, double)


def test_a_body_at_the_limit_is_read_and_judged_by_its_signature(served):
    sender, double, *_ = served
    body = b"text=" + b"a" * (MAX_BODY_BYTES - 5)
    answer = sender.post(body, FORM, signature=sign(body, int(time.time()), "forged"))
    assert answer.status == 401  # not 413: exactly the limit is allowed


def test_a_signed_command_that_mentions_payload_still_reaches_its_listener(served):
    sender, double, *_ = served
    # bolt alone takes any form body containing "payload" for an interaction and reads this command as empty
    answer = sender.command("status payload service is down", user=REPORTER)
    assert answer.status == 200
    reply = double.wait_for(lambda: double.webhooks(), what="the reply")[0].body["text"]
    assert "not an incident channel" in reply  # the listener ran on the real command


def test_a_bug_inside_is_a_500_with_an_error_id_and_no_traceback(served, monkeypatch, caplog):
    sender, double, port, app, _ = served
    monkeypatch.setattr(app, "dispatch", lambda request: 1 / 0)
    answer = sender.command("help", user=REPORTER)
    assert answer.status == 500 and "error id" in answer.body
    assert "Traceback" not in answer.body and "ZeroDivisionError" not in answer.body
    correlation = answer.body.split("error id ")[1].split(")")[0]
    assert any(correlation in r.getMessage() and r.exc_info for r in caplog.records)


def test_paths_and_methods(served):
    _, _, port, *_ = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for method, path, status in (("GET", "/healthz", 200), ("GET", "/slack/events", 405), ("POST", "/other", 404)):
        conn.request(method, path, body=b"" if method == "POST" else None)
        response = conn.getresponse()
        response.read()
        assert response.status == status, (method, path)
    conn.close()


def test_rejected_request_bodies_never_reach_the_log(served, caplog):
    sender, double, port, app, _ = served
    caplog.set_level(logging.DEBUG)
    typed = "status secret-customer-name-in-text"
    body = command_body(double, typed)
    sender.post(body, FORM, signature=sign(body, int(time.time()), "forged"))  # refused by the gate
    sender.post(body, FORM, headers={"X-Slack-Request-Timestamp": "abc"})
    # bolt's own verification, reached directly (the gate is not in front): bolt logs the whole body at INFO
    ts = str(int(time.time()))
    app.dispatch(BoltRequest(body=body.decode(), headers={"content-type": [FORM], "x-slack-request-timestamp": [ts],
                                                          "x-slack-signature": [sign(body, int(ts), "forged")]}))
    # a verified request no listener handles: bolt logs a suggestion built from the request
    unknown = json.dumps({"type": "block_suggestion", "token": LEGACY_TOKEN, "team": {"id": TEAM},
                          "action_id": "nobody.handles.this", "value": typed}).encode()
    app.dispatch(BoltRequest(body=unknown.decode(), headers={"content-type": ["application/json"],
                                                             "x-slack-request-timestamp": [ts],
                                                             "x-slack-signature": [sign(unknown, int(ts))]}))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Invalid request signature detected" in logged  # bolt did log the rejection…
    assert "withheld" in logged
    assert LEGACY_TOKEN not in logged and "secret-customer-name" not in logged  # …but not the request


def test_without_the_gate_bolt_still_sends_nothing_for_a_malformed_timestamp(world):
    app, _, double = world
    double.reset_calls()
    body = command_body(double)
    # bolt's verifier int()s the header and raises; its error handler gets a body nobody verified
    response = app.dispatch(BoltRequest(body=body.decode(), headers={
        "content-type": [FORM], "x-slack-request-timestamp": ["abc"], "x-slack-signature": [sign(body, 0)]}))
    assert response.status == 401
    assert double.webhooks() == [] and [c.method for c in double.calls()] == []


def test_the_largest_declare_form_slack_can_send_fits_the_limit(world):
    from bot.slack import modals

    _, services, _ = world
    view = modals.declare_modal(services.incidents.severities())
    values = {}
    for block in view["blocks"]:
        if block.get("type") == "input":
            element = block["element"]
            text = "\u20ac" * element.get("max_length", 3000)  # 3 bytes in UTF-8, 9 once percent-encoded
            values[block["block_id"]] = {"value": {"type": element["type"], "value": text}}
    payload = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": REPORTER}, "token": LEGACY_TOKEN,
               "trigger_id": "1.2.3", "view": {**view, "id": "V1", "hash": "h", "state": {"values": values}}}
    encoded = urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()
    assert len(encoded) < MAX_BODY_BYTES / 2, len(encoded)  # Slack echoes the view: keep a wide margin
