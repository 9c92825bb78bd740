"""The public status page (``/status``, ``/status.json``, ``/status.atom``; Flask's test client, no login): only
published statements, derived from the chain, nothing internal, text escaped exactly once.

Shipped playbooks: sev2 asks for no sign-off (published at once), security for legal's or the commander's."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text as sql

from bot.clock import ManualClock
from bot.incidents.service import IncidentService
from bot.web.app import WebServices, create_app
from bot.web.links import WebLinks

KATRIN, SAM, CAMILLE = "U0KATRIN1", "U0SAM0001", "U0CAMILLE"  # commander; comms lead; legal
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
FIRST = "We are investigating slow <script>alert('x')</script> checkouts &amp; failed payments."
SECOND = "A fix is live; we are monitoring.\nNext update at 11:00 UTC."
HELD = "Some customer e-mail addresses were exposed."
REJECTED = "Nothing happened, all is fine."
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def web(store, shipped_config):
    clock = ManualClock(NOW)
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("sev2", "Checkout is slow", actor=KATRIN, key="d1")
    svc.assign_role(1, "comms_lead", SAM, actor=KATRIN, key="r1")
    svc.draft_statement(1, "investigating", FIRST, actor=SAM, key="s1")
    clock.advance(minutes=40)
    svc.draft_statement(1, "monitoring", SECOND, actor=SAM, key="s2")
    svc.declare("security", "Leaked key", actor=KATRIN, key="d2",
                facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    svc.assign_role(2, "comms_lead", SAM, actor=KATRIN, key="r2")
    svc.assign_role(2, "legal", CAMILLE, actor=KATRIN, key="r3")
    svc.draft_statement(2, "identified", HELD, actor=SAM, key="s3")  # waits for sign-off
    svc.draft_statement(2, "identified", REJECTED, actor=SAM, key="s4")
    rejected = [a for a in svc.approvals_to_decide(2, reader=CAMILLE) if HELD not in a.what][0]
    svc.reject_request(rejected.id, actor=CAMILLE, key="x1")
    svc.declare("sev2", "Search is down", actor=KATRIN, key="d3")  # no statement at all
    links = WebLinks(store, clock, "k" * 40, base_url="http://localhost/web")
    app = create_app(WebServices(incidents=svc, config=lambda: shipped_config, clock=clock, links=links, store=store))
    return app.test_client(), svc, clock


def published_events(svc, number):
    return [e for e in svc.timeline(number) if e.kind == "statement.published"]


def test_the_page_shows_each_published_statement_newest_first_with_its_time_and_event_hash(web):
    client, svc, _ = web
    response = client.get("/status")  # no link, no cookie
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    (section,) = soup.select("section.incident")
    assert section["data-status"] == "monitoring"
    items = section.select("li.statement")
    assert [i.select_one("p.text").get_text() for i in items] == [SECOND, FIRST]
    first, second = published_events(svc, 1)
    assert [i.select_one("code.hash").get_text() for i in items] == [second.hash, first.hash]
    assert [i.select_one("time")["datetime"] for i in items] == ["2026-11-30T09:40:00Z", "2026-11-30T09:00:00Z"]


def test_nothing_internal_and_nothing_unpublished_is_shown(web):
    client, _, _ = web
    bodies = [client.get(p).get_data(as_text=True) for p in ("/status", "/status.json", "/status.atom")]
    for body in bodies:
        for internal in ("Checkout is slow", "Leaked key", "Search is down", "INC-", "inc-", "SEV2", "Sev 2",
                         "Security", KATRIN, SAM, CAMILLE, "Katrin", "Sam", "Camille", HELD, REJECTED):
            assert internal not in body, (internal, body[:200])
    shown = json.loads(bodies[1])["incidents"]
    assert [[s["text"] for s in i["statements"]] for i in shown] == [[SECOND, FIRST]]


def test_text_is_escaped_exactly_once(web):
    client, _, _ = web
    html = client.get("/status").get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "&amp;amp; failed payments" in html
    assert FIRST in [p.get_text() for p in BeautifulSoup(html, "html.parser").select("p.text")]


def test_a_statement_row_changed_by_sql_does_not_change_the_page(web, store):
    client, _, _ = web
    before = [client.get(p).get_data() for p in ("/status", "/status.json", "/status.atom")]
    with store.session() as s:
        s.connection().execute(sql("UPDATE public_statement SET text = 'We never had an incident', "
                                   "status = 'resolved', state = 'published'"))
    after = [client.get(p).get_data() for p in ("/status", "/status.json", "/status.atom")]
    assert after == before


def test_the_atom_feed_has_one_entry_per_published_statement(web):
    client, svc, _ = web
    response = client.get("/status.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}content").text for e in entries] == [SECOND, FIRST]
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        f"urn:incident-bot:statement:{e.hash}" for e in reversed(published_events(svc, 1))]
    assert feed.find(f"{ATOM}updated").text == "2026-11-30T09:40:00Z"


def test_a_signed_off_statement_appears_and_the_routes_are_read_only(web):
    client, svc, clock = web
    clock.advance(minutes=5)
    (held,) = svc.approvals_to_decide(2, reader=CAMILLE)
    svc.approve_request(held.id, actor=CAMILLE, key="a1")
    shown = json.loads(client.get("/status.json").get_data())["incidents"]
    assert [(i["status"], [s["text"] for s in i["statements"]]) for i in shown] == [
        ("identified", [HELD]), ("monitoring", [SECOND, FIRST])]
    assert client.head("/status").status_code == 200
    for path in ("/status", "/status.json", "/status.atom"):
        assert client.post(path).status_code == 405
    assert client.get("/incidents").status_code == 401  # the rest of the web view still needs a link


def test_a_published_text_changed_on_the_chain_by_sql_is_withheld_not_shown(web, store):
    # The page is made from the chain's events; an insider who rewrites a published text there (or its status)
    # must not get the new words onto the public page: the event no longer matches its seal, so the page says the
    # statement is withheld and keeps its record's hash; the untouched statement is shown as before.
    client, svc, _ = web
    first, second = published_events(svc, 1)
    with store.session() as s:
        s.connection().execute(sql("UPDATE timeline_event SET data = :data WHERE hash = :hash"),
                               {"data": json.dumps({**first.data, "text": "We never had an incident",
                                                    "status": "resolved"}), "hash": first.hash})
    shown = json.loads(client.get("/status.json").get_data())["incidents"]
    statements = {s["event_hash"]: s for i in shown for s in i["statements"]}
    assert statements[second.hash]["text"] == SECOND and statements[second.hash]["status"] == "monitoring"
    assert statements[first.hash]["status"] == "unverified"
    assert "withheld" in statements[first.hash]["text"]
    for path in ("/status", "/status.json", "/status.atom"):
        assert "We never had an incident" not in client.get(path).get_data(as_text=True)
