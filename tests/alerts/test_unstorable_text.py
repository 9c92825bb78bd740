"""Text no database can store is refused at the door: a NUL character (PostgreSQL's text refuses it) or an
unpaired surrogate escape (no UTF-8 encoding exists for it) in any string of an alert.  Accepted, such an
alert failed triage on every pass, and every alert accepted after it waited behind it for ever."""

from __future__ import annotations

import pytest

from bot.alerts_http.wsgi import alerts_app
from tests.alerts.conftest import TOKENS
from tests.alerts.test_http import call, receipts

GOOD = b'{"title": "checkout down", "status": "firing", "labels": {"severity": "warning"}}'


@pytest.mark.parametrize("raw, field", [
    (b'{"title": "db \\ud800 down", "status": "firing"}', "title"),
    (b'{"title": "db down", "status": "firing", "labels": {"job": "a\\u0000b"}}', "labels.job"),
    (b'{"title": "db down", "status": "firing", "labels": {"j\\u0000ob": "x"}}', "labels.j\x00ob"),
    (b'{"title": "db down", "status": "firing", "details": {"runs": [1, "\\udfff"]}}', "details.runs[1]"),
])
def test_a_nul_or_a_lone_surrogate_is_400_and_stores_nothing(inbox, store, raw, field):
    status, body = call(alerts_app(inbox), "/alerts/scripts", None, token=TOKENS["T_GENERIC"], raw=raw)
    assert (status, body["field"]) == (400, field)
    assert "NUL" in body["message"] and "surrogate" in body["message"]
    assert receipts(store) == []


def test_a_pagerduty_event_with_a_nul_is_400_like_pagerduty(inbox, store):
    raw = ('{"routing_key": "%s", "event_action": "trigger", "payload": {"summary": "a\\u0000", '
           '"source": "db-1", "severity": "error"}}' % TOKENS["T_PD"]).encode()
    status, body = call(alerts_app(inbox), "/v2/enqueue", None, raw=raw)
    assert status == 400 and body["status"] == "invalid event" and "payload.summary" in body["errors"][0]
    assert receipts(store) == []


def test_alerts_after_a_refused_one_are_accepted_and_triaged(inbox, triage, store):
    app = alerts_app(inbox)
    bad = b'{"title": "db \\u0000 \\ud800 down", "status": "firing", "labels": {"severity": "warning"}}'
    assert call(app, "/alerts/scripts", None, token=TOKENS["T_GENERIC"], raw=bad)[0] == 400
    status, body = call(app, "/alerts/scripts", None, token=TOKENS["T_GENERIC"], raw=GOOD)
    assert status == 200
    [done] = triage.run_pending()
    assert (done.receipt, done.kind) == (body["receipt"], "incident")
    assert [r.state for r in receipts(store)] == ["triaged"]
