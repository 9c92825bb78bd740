"""The alert endpoints over WSGI: 2xx only after the receipt is stored; 401, 400 naming the field, 413."""

from __future__ import annotations

import base64
import io
import json

import pytest
from sqlmodel import select

from bot.alerts.tables import AlertReceipt
from bot.alerts_http.wsgi import alerts_app
from tests.alerts.conftest import TOKENS, fixture


def call(app, path, body, *, token=None, basic=None, method="POST", raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "CONTENT_LENGTH": str(len(data)),
               "wsgi.input": io.BytesIO(data)}
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if basic:
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(basic.encode()).decode()
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split()[0])

    out = b"".join(app(environ, start_response))
    return seen["status"], json.loads(out)


@pytest.fixture
def app(inbox):
    return alerts_app(inbox)


def receipts(store):
    with store.session() as s:
        return list(s.exec(select(AlertReceipt)).all())


def test_alertmanager_webhook_is_stored_then_answered(app, store):
    status, body = call(app, "/alerts/prometheus", fixture("alertmanager_firing.json"), token=TOKENS["T_AM"])
    assert status == 200 and body["status"] == "accepted"
    [r] = receipts(store)
    assert (r.id, r.source, r.format, r.state) == (body["receipt"], "prometheus", "alertmanager", "accepted")
    assert r.events[0]["summary"] == "Checkout 5xx rate above 5% (2 firing of 2)"


def test_basic_auth_password_is_the_token(app, store):
    status, _ = call(app, "/alerts/grafana", fixture("grafana_firing.json"), basic=f"grafana:{TOKENS['T_GRAFANA']}")
    assert status == 200 and len(receipts(store)) == 1


def test_pagerduty_enqueue_answers_202_with_the_dedup_key(app, store):
    status, body = call(app, "/v2/enqueue", fixture("pagerduty_trigger.json"))
    assert status == 202
    assert body == {"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"}
    assert receipts(store)[0].source == "events"


@pytest.mark.parametrize("path,token", [
    ("/alerts/prometheus", None),                   # missing
    ("/alerts/prometheus", "wrong"),                # wrong
    ("/alerts/prometheus", TOKENS["T_GRAFANA"]),    # another source's token
    ("/alerts/nobody", TOKENS["T_AM"]),             # unknown source
    ("/alerts/unset", ""),                          # the source's variable is unset: nothing is accepted
    ("/alerts/unset", "anything"),
])
def test_unknown_or_missing_token_is_401_and_nothing_is_stored(app, store, path, token):
    status, body = call(app, path, fixture("alertmanager_firing.json"), token=token)
    assert status == 401 and body["message"] == "unknown source or wrong token"
    assert receipts(store) == []


def test_pagerduty_unknown_routing_key_is_401(app, store):
    status, _ = call(app, "/v2/enqueue", fixture("pagerduty_trigger.json", routing_key="nope"))
    assert status == 401
    status, _ = call(app, "/v2/enqueue", fixture("pagerduty_trigger.json", routing_key=TOKENS["T_AM"]))
    assert status == 401, "an Alertmanager source's token is no PagerDuty routing key"
    assert receipts(store) == []


def test_unauthenticated_malformed_body_is_401_not_400(app):
    status, _ = call(app, "/alerts/prometheus", None, raw=b"{not json", token="wrong")
    assert status == 401


def test_malformed_json_is_400(app, store):
    status, body = call(app, "/alerts/prometheus", None, raw=b"{not json", token=TOKENS["T_AM"])
    assert status == 400 and body["field"] == "body" and "JSON" in body["message"]
    assert receipts(store) == []


@pytest.mark.parametrize("path, token", [("/alerts/prometheus", TOKENS["T_AM"]), ("/v2/enqueue", None)])
def test_json_nested_too_deep_to_parse_is_400_not_a_500(app, store, path, token):
    status, body = call(app, path, None, raw=b"[" * 2000 + b"]" * 2000, token=token)  # 4000 bytes: under the limit
    assert status == 400 and "JSON" in json.dumps(body)
    assert receipts(store) == []


def test_a_routing_key_that_is_no_text_is_401_not_a_500(app, store):
    raw = b'{"routing_key": "\\udc80", "event_action": "trigger"}'
    status, body = call(app, "/v2/enqueue", None, raw=raw)
    assert status == 401 and body["status"] == "unauthorized"
    assert receipts(store) == []


def test_missing_field_is_400_naming_it(app, store):
    status, body = call(app, "/alerts/prometheus", fixture("alertmanager_firing.json", groupKey=None),
                        token=TOKENS["T_AM"])
    assert status == 400 and body["field"] == "groupKey" and "groupKey: is required" in body["message"]
    status, body = call(app, "/v2/enqueue", fixture("pagerduty_trigger.json", event_action="explode"))
    assert status == 400 and body["status"] == "invalid event" and "event_action" in body["errors"][0]
    assert receipts(store) == []


def test_body_over_the_limit_is_413(app, store):
    big = fixture("generic_firing.json", details={"blob": "x" * 5000})  # limits.max_body_bytes: 4096
    status, body = call(app, "/alerts/scripts", big, token=TOKENS["T_GENERIC"])
    assert status == 413 and "4096" in body["message"]
    assert receipts(store) == []


def test_body_over_the_limit_without_content_length_is_413(app, store):
    data = json.dumps(fixture("generic_firing.json", details={"blob": "x" * 5000})).encode()
    environ = {"PATH_INFO": "/alerts/scripts", "REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(data),
               "HTTP_AUTHORIZATION": f"Bearer {TOKENS['T_GENERIC']}"}
    seen = {}
    app(environ, lambda status, headers: seen.setdefault("status", status))
    assert seen["status"].startswith("413")


def test_pagerduty_source_is_not_served_at_the_webhook_path(app):
    status, body = call(app, "/alerts/events", fixture("generic_firing.json"), token=TOKENS["T_PD"])
    assert status == 400 and "/v2/enqueue" in body["message"]


def test_get_is_405(app):
    status, _ = call(app, "/alerts/prometheus", {}, method="GET")
    assert status == 405


def test_token_is_never_stored(app, store):
    from bot.alerts.receipts import Receipts

    call(app, "/v2/enqueue", fixture("pagerduty_trigger.json"))
    receipts = Receipts.of(store).engine  # on SQLite the inbox file of its own, else the main database
    dump = []
    for engine, table in ((receipts, "alert_receipt"), (store.engine, "alert_receipt"), (store.engine, "timeline_event")):
        with engine.connect() as conn:
            dump += [str(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table}")]
    assert any("pagerduty" in row for row in dump)  # the receipt was read: where it is stored is covered
    assert TOKENS["T_PD"] not in "\n".join(dump)


def test_a_reloaded_alerts_yaml_takes_effect_for_the_next_request(store, night_clock, alerts_config, tmp_path):
    from bot.alerts.inbox import Inbox
    from tests.alerts.conftest import ALERTS, load_config, write_alerts_config

    current = {"config": alerts_config}
    app = alerts_app(Inbox(store, lambda: current["config"], night_clock, environ={**TOKENS, "T_NEW": "new-token"}))
    assert call(app, "/alerts/prometheus", fixture("alertmanager_firing.json"), token=TOKENS["T_AM"])[0] == 200
    current["config"] = load_config(write_alerts_config(tmp_path, ALERTS.replace("token_env: T_AM", "token_env: T_NEW")))
    assert call(app, "/alerts/prometheus", fixture("alertmanager_firing.json"), token=TOKENS["T_AM"])[0] == 401
    assert call(app, "/alerts/prometheus", fixture("alertmanager_firing.json"), token="new-token")[0] == 200
