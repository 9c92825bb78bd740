"""The read-only web view, end to end: ``serve`` as a real process (Slack double), a link from ``/oncall web``,
pages rendered by a real headless Chromium, private incidents filtered, downloads on the audit trail."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, collect
from bot.incidents.service import IncidentService
from bot.incidents.tables import Incident
from bot.slack.double import SlackDouble
from tests.browser import dump_dom, keep_for_docs, screenshot
from tests.slack.harness import BotProcess, SlackSender, free_port, make_config

KATRIN, HUGO, ADMIN = "U0KATRIN1", "U0HUGO001", "U0ADMIN01"
SECRET = "w" * 48
AWARE = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(request, database_url, store, tmp_path):
    """Two incidents declared by katrin: INC-1 (sev2, public) and INC-2 (security, private); then `serve`, which
    delivers the outbox to the Slack double only when parametrized with "delivering" (its scheduler runs)."""
    config_dir, playbooks_dir = make_config(tmp_path, admins=[ADMIN])
    config, issues = collect(ConfigPaths(config_dir, playbooks_dir))
    assert config is not None, issues
    svc = IncidentService(store, lambda: config, ManualClock(AWARE + timedelta(hours=1)))
    svc.declare("sev2", "Checkout is slow", actor=KATRIN, key="d1")
    svc.declare("security", "Leaked <key> & exported mails", actor=KATRIN, key="d2",
                facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    svc.set_trigger(2, "aware", AWARE, actor=ADMIN, key="t1")
    assert not svc.may_read(2, HUGO) and svc.may_read(2, KATRIN)  # hugo is outside INC-2's response team
    with SlackDouble() as double:
        double.model.lenient_users = True
        port = free_port()
        proc = BotProcess(api_url=double.api_url, database_url=database_url, config_dir=config_dir,
                          playbooks_dir=playbooks_dir, log_path=tmp_path / "bot.log", port=port,
                          scheduler=getattr(request, "param", None) == "delivering",
                          extra_env={"WEB_LINK_SECRET": SECRET, "WEB_PUBLIC_URL": f"http://127.0.0.1:{port}/web"})
        try:
            proc.wait_ready()
            yield proc, SlackSender(f"{proc.url}/slack/events", f"{double.url}/webhook")
        finally:
            proc.stop()


def link_for(slack: SlackSender, user: str) -> str:
    answer = slack.command("web", user=user, command="/oncall")
    assert answer.status == 200, answer.body
    found = re.search(r"<(http://[^|>]+)\|Open the read-only web view>", answer.json()["text"])
    assert found, answer.body
    return found.group(1)


def session(link: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(link, timeout=10) as resp:
        assert resp.status == 200
    return opener


def status(opener, url: str, method: str = "GET") -> int:
    try:
        with opener.open(urllib.request.Request(url, method=method), timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_private_incident_is_absent_for_a_non_member_and_downloads_are_audited(world, store, tmp_path):
    proc, slack = world
    web = f"{proc.url}/web"
    hugo, katrin = link_for(slack, HUGO), link_for(slack, KATRIN)
    # hugo's browser: the public incident only; the private one is not listed and its page is "not found"
    dom = BeautifulSoup(dump_dom(hugo + "&next=/incidents"), "html.parser")
    listed = {row["data-incident"] for row in dom.select("tr[data-incident]")}
    assert listed == {"1"}, dom.get_text()[:2000]
    assert "Leaked" not in dom.get_text()
    as_hugo = session(hugo)
    assert status(as_hugo, f"{web}/incidents/2") == 404 and status(as_hugo, f"{web}/incidents/2/evidence.json") == 404
    # katrin (the reporter) sees both, with the title escaped once
    dom = BeautifulSoup(dump_dom(katrin + "&next=/incidents"), "html.parser")
    assert {row["data-incident"] for row in dom.select("tr[data-incident]")} == {"1", "2"}
    assert "INC-2 Leaked <key> & exported mails" in dom.select_one('tr[data-incident="2"]').get_text()
    # the incident page: verified chain, GDPR duty with its due time in katrin's zone (Europe/Berlin)
    dom = BeautifulSoup(dump_dom(katrin + "&next=/incidents/2"), "html.parser")
    assert dom.select_one(".ok").get_text() == "verified"
    # people by the names they have in config/people.yaml (katrin: "Katrin Vogel (Head of Platform)"), the Slack
    # id only beside it: the commander, who did each step of the timeline, and who is signed in
    katrin_name = "Katrin Vogel (Head of Platform) (U0KATRIN1)"
    roles = [li.get_text() for li in dom.select("#roles li")]
    assert "Incident commander: " + katrin_name in roles, roles
    who = {td.get_text() for td in dom.select('td[data-label="Who"]')}
    assert katrin_name in who and KATRIN not in who, who
    assert f"signed in as {katrin_name}, link valid until" in dom.get_text()
    gdpr = dom.select_one('tr[data-obligation="gdpr.authority"]')
    # GDPR Art. 33(1): 72 hours after awareness (30 November 08:00 UTC) = 3 December 08:00 UTC = 09:00 CET
    assert gdpr is not None and "2026-12-03 09:00 CET (08:00 UTC)" in gdpr.get_text()
    # a download is written on the incident's chain first, with who and when
    as_katrin = session(katrin)
    with as_katrin.open(f"{web}/incidents/2/evidence.json", timeout=10) as resp:
        pack = json.loads(resp.read())
    last = pack["timeline"][-1]
    assert (last["kind"], last["actor"]) == ("evidence.downloaded", KATRIN) and pack["audit"]["verified"]
    with store.session() as s:
        downloads = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "evidence.downloaded")).all()
    assert [(e.actor, e.incident_id is not None) for e in downloads] == [(KATRIN, True)]
    # nothing is editable
    assert status(as_katrin, f"{web}/incidents/2", method="POST") == 405
    # screenshots for the docs: who is on call, and the incident page
    home = tmp_path / "web-home.png"
    screenshot(katrin, home, size=(1280, 900))
    keep_for_docs(home, "web-view.png")
    page = tmp_path / "web-incident.png"
    screenshot(katrin + "&next=/incidents/2", page, size=(1280, 1400))
    keep_for_docs(page, "web-incident.png")


def test_revoked_and_forged_links_open_nothing(world):
    proc, slack = world
    web = f"{proc.url}/web"
    link = link_for(slack, HUGO)
    as_hugo = session(link)
    assert status(as_hugo, f"{web}/incidents") == 200
    answer = slack.command("web revoke", user=HUGO, command="/oncall")
    assert "Revoked 1 web view link(s)" in answer.json()["text"]
    assert status(as_hugo, f"{web}/incidents") == 401  # the cookie's link is checked on every request
    assert status(urllib.request.build_opener(), link) == 401
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    dom = BeautifulSoup(dump_dom(tampered), "html.parser")
    assert "This link is not valid" in dom.get_text() and not dom.select("tr[data-incident]")
    assert status(urllib.request.build_opener(), f"{web}/incidents") == 401  # no link at all


# The bot's record keeping as docs/slack.md lists it for /incident timeline: deliveries to Slack, effects wanted or
# dropped, evidence records, and reminders that only edit a message already posted
BOOKKEEPING = ("effect.done", "effect.dropped", "effects.wanted", "evidence.recorded", "evidence.baseline")
MESSAGE_EDITS = ("page_update", "button_update")
STATUS = 'Rolled back <b>the</b> deploy & "watching"'


def chain_of(store, number: int) -> list[tuple[int, str, str, dict]]:
    with store.session() as s:
        incident = s.exec(select(Incident).where(Incident.number == number)).one()
        rows = s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
                      .order_by(TimelineEvent.seq)).all()
        return [(e.seq, e.kind, e.summary, dict(e.data or {})) for e in rows]


def settled(store, number: int, ready, timeout: float = 30) -> list[tuple[int, str, str, dict]]:
    """The incident's chain once ``ready(chain)`` holds and nothing was added to it for a second."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        chain = chain_of(store, number)
        if chain != last:
            last, since = chain, time.monotonic()
        elif ready(chain) and time.monotonic() - since >= 1:
            return chain
        time.sleep(0.1)
    raise AssertionError(f"the chain of INC-{number} did not settle: {[(seq, kind) for seq, kind, *_ in last or []]}")


def status_delivered(chain) -> bool:
    posted = [seq for seq, kind, *_ in chain if kind == "status.posted"]
    return bool(posted) and any(kind == "effect.done" and seq > posted[0] for seq, kind, *_ in chain)


def timeline_rows(opener, url: str) -> tuple[BeautifulSoup, dict[int, tuple[str, object]]]:
    """The page and its timeline: chain number -> (event kind, the "What" cell)."""
    with opener.open(url, timeout=10) as resp:
        assert resp.status == 200
        dom = BeautifulSoup(resp.read().decode(), "html.parser")
    rows = {}
    for tr in dom.select("#timeline tbody tr"):
        seq = int(tr.select_one('td[data-label="#"]').get_text())
        rows[seq] = (tr.select_one('td[data-label="Event"]').get_text(), tr.select_one('td[data-label="What"]'))
    return dom, rows


def page_and_chain(store, opener, url: str):
    """The page, its timeline rows and the chain it was made from: read between two equal reads of the chain, since
    the scheduler may still be recording deliveries (a quiet second is no proof on a busy machine)."""
    for _ in range(100):
        before = chain_of(store, 1)
        dom, rows = timeline_rows(opener, url)
        if chain_of(store, 1) == before:
            return dom, rows, before
        time.sleep(0.05)
    raise AssertionError(f"the chain of INC-1 kept changing while {url} was read")


def bookkeeping_of(chain) -> set[int]:
    return {seq for seq, kind, _, data in chain
            if kind in BOOKKEEPING or (kind == "reminder.sent" and data.get("kind") in MESSAGE_EDITS)}


@pytest.mark.parametrize("world", ["delivering"], indirect=True)
def test_the_incident_page_shows_what_people_did_and_everything_on_asking(world, store):
    proc, slack = world
    page = f"{proc.url}/web/incidents/1"
    assert slack.command(f"INC-1 status {STATUS}", user=KATRIN).status == 200
    settled(store, 1, status_delivered)  # the status is posted in the incident channel (a delivery after it)
    as_katrin = session(link_for(slack, KATRIN))

    # by default: what people did, each event with its chain number (the gaps show where record keeping was)
    dom, rows, chain = page_and_chain(store, as_katrin, page)
    status_seq = next(seq for seq, kind, *_ in chain if kind == "status.posted")
    deliveries = {seq for seq, kind, *_ in chain if kind == "effect.done"}
    bookkeeping = bookkeeping_of(chain)
    assert deliveries and status_seq not in bookkeeping
    assert set(rows) == {seq for seq, *_ in chain} - bookkeeping
    assert not deliveries & set(rows)
    kind, what = rows[status_seq]
    assert kind == "status.posted"
    assert what.get_text() == STATUS and not what.select("b")  # the status text escaped once, as before
    scope = dom.select_one("#timeline-scope")
    assert scope is not None and f"{len(bookkeeping)} record-keeping events hidden" in scope.get_text()
    assert scope.select_one("a").get_text() == "Show all" and scope.select_one("a")["href"] == "/web/incidents/1?all=1"

    # ?all=1: every event of the chain, the deliveries too, and a link back
    dom, rows, chain = page_and_chain(store, as_katrin, page + "?all=1")
    assert set(rows) == {seq for seq, *_ in chain}
    assert all(rows[seq][0] == "effect.done" for seq, kind, *_ in chain if kind == "effect.done")
    assert rows[status_seq][1].get_text() == STATUS and not rows[status_seq][1].select("b")
    back = dom.select_one("#timeline-scope a")
    assert back is not None and back["href"] == "/web/incidents/1" and "record-keeping events hidden" not in dom.get_text()

    # only 1 means all: any other value is the default page, never an error
    for other in ("yes%20please", "0", "true", "", "1%00"):
        _, rows, chain = page_and_chain(store, as_katrin, f"{page}?all={other}")
        assert set(rows) == {seq for seq, *_ in chain} - bookkeeping_of(chain), other
