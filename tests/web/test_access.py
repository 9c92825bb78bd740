"""What each viewer may see in the web view (Flask's test client; the browser tests are in test_web_view.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlparse

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.incidents.service import IncidentService
from bot.slack.web_command import NOT_SET_UP, answer
from bot.web.app import WebServices, create_app
from bot.web.links import WebLinks

KATRIN, HUGO, SAM, CAMILLE = "U0KATRIN1", "U0HUGO001", "U0SAM0001", "U0CAMILLE"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def web(store, shipped_config):
    clock = ManualClock(NOW)
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("sev2", "Checkout is slow", actor=KATRIN, key="d1")
    svc.declare("security", "Leaked key", actor=KATRIN, key="d2",
                facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    links = WebLinks(store, clock, "k" * 40, base_url="http://localhost/web")
    app = create_app(WebServices(incidents=svc, config=lambda: shipped_config, clock=clock, links=links, store=store))
    return app, links, svc


def client_for(app, links, user):
    client = app.test_client()
    url = urlparse(links.issue(user))
    assert client.get(f"/login?{url.query}").status_code == 303
    return client


def test_private_incident_absent_for_non_members_everywhere(web):
    app, links, svc = web
    assert not svc.may_read(2, SAM)
    sam = client_for(app, links, SAM)
    listing = sam.get("/incidents").get_data(as_text=True)
    assert 'data-incident="1"' in listing and 'data-incident="2"' not in listing and "Leaked key" not in listing
    assert "Leaked key" not in sam.get("/duties").get_data(as_text=True)
    for path in ("/incidents/2", "/incidents/2/evidence.json", "/incidents/2/evidence.html", "/incidents/3"):
        assert sam.get(path).status_code == 404  # the same answer as for an incident that does not exist
    katrin = client_for(app, links, KATRIN)
    assert 'data-incident="2"' in katrin.get("/incidents").get_data(as_text=True)


def test_times_are_in_the_viewers_zone(web):
    app, links, _ = web
    # sam works in San Francisco: the page states his zone and the public incident's times in it
    page = client_for(app, links, SAM).get("/incidents/1").get_data(as_text=True)
    assert "America/Los_Angeles" in page and "2026-11-30 01:00 PST (09:00 UTC)" in page


def test_report_only_for_admins_auditors_and_rota_managers(web):
    app, links, _ = web
    # camille is the fallback manager of the payments rotations; hugo is on call in one of them
    assert client_for(app, links, CAMILLE).get("/report?from=2026-11-01&to=2026-11-30").status_code == 200
    hugo = client_for(app, links, HUGO)
    assert hugo.get("/report").status_code == 404 and ">Report<" not in hugo.get("/").get_data(as_text=True)


def test_read_only_and_hardened(web):
    app, links, _ = web
    katrin = client_for(app, links, KATRIN)
    for method in ("post", "put", "delete", "patch"):
        assert getattr(katrin, method)("/incidents/1").status_code == 405
    response = katrin.get("/")
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["X-Frame-Options"] == "DENY"
    assert app.test_client().get("/").status_code == 401  # no link, no page
    # the login only redirects inside the view
    url = urlparse(links.issue(KATRIN))
    assert app.test_client().get(f"/login?{url.query}&next=//evil.example/").headers["Location"] == "/"


def test_slash_command_answers_and_revocation_from_the_cli(web, store, database_url, monkeypatch, capsys):
    app, links, _ = web
    assert answer(None, KATRIN, "web") == NOT_SET_UP
    text = answer(links, KATRIN, "web")
    assert text.startswith("<http://localhost/web/login?t=") and "valid for 60 minutes" in text
    katrin = client_for(app, links, KATRIN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["web", "revoke", "--user", KATRIN, "--by", "camille"]) == 0
    assert "revoked 2 web view link(s) of U0KATRIN1" in capsys.readouterr().out
    assert katrin.get("/").status_code == 401


def test_legal_duties_page_lists_the_duties_a_viewer_may_see(web):
    """The page links each duty to its incident; the macro it shares with the incident page had no `root` (a
    Jinja import does not pass the page's context), so any duty at all made the page a 500."""
    app, links, _ = web
    page = client_for(app, links, KATRIN).get("/duties")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count('<a href="/incidents/2">') >= 1
    assert "/incidents/2" not in client_for(app, links, SAM).get("/duties").get_data(as_text=True)


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20ib_web=forged", "/incidents%0a", "/%09/evil.example"])
def test_a_login_target_with_control_characters_redirects_home(web, target):
    """A line break in ``next`` cannot go into the Location header (werkzeug refuses it): it was a 500; a tab, which
    browsers drop from URLs (``/\\t/evil.example`` is ``//evil.example`` to them), went into it."""
    app, links, _ = web
    url = urlparse(links.issue(KATRIN))
    response = app.test_client().get(f"/login?{url.query}&next={target}")
    assert (response.status_code, response.headers["Location"]) == (303, "/")
    assert [c for c in response.headers.getlist("Set-Cookie") if "forged" in c] == []


def test_the_cookie_is_secure_when_people_open_the_view_over_https(store, shipped_config):
    """TLS ends at the reverse proxy (docs/managers.md), so the bot sees plain HTTP: the cookie holding the link
    must still be marked Secure when WEB_PUBLIC_URL is https, or a browser sends it in clear to http://."""
    clock = ManualClock(NOW)
    links = WebLinks(store, clock, "k" * 40, base_url="https://bot.example.com/web")
    app = create_app(WebServices(incidents=IncidentService(store, lambda: shipped_config, clock),
                                 config=lambda: shipped_config, clock=clock, links=links, store=store))
    response = app.test_client().get(f"/login?{urlparse(links.issue(KATRIN)).query}")  # http://localhost/login
    [cookie] = response.headers.getlist("Set-Cookie")
    assert response.status_code == 303 and "; Secure" in cookie and "HttpOnly" in cookie


def test_a_head_request_for_the_evidence_pack_records_no_download(web, store):
    """The chain says "evidence pack downloaded" only when a pack left: HEAD (a download manager's probe) sends no
    body, so it records nothing; the GET that follows records one download."""
    from sqlmodel import select

    from bot.audit.tables import TimelineEvent

    app, links, _ = web
    katrin = client_for(app, links, KATRIN)

    def downloads():
        with store.session() as s:
            return len(s.exec(select(TimelineEvent).where(TimelineEvent.kind == "evidence.downloaded")).all())

    head = katrin.head("/incidents/1/evidence.json")
    assert (head.status_code, head.mimetype, downloads()) == (200, "application/json", 0)
    assert katrin.get("/incidents/1/evidence.json").status_code == 200 and downloads() == 1


def test_a_download_names_the_configuration_that_let_the_viewer_read_it(web, store, shipped_config):
    # Who may read the private INC-2 (read_private, admins, auditors) is configuration: the download's event names
    # the version that allowed it, and that version is on the global chain (docs/audit.md)
    from sqlmodel import select

    from bot.audit.config_versions import KIND
    from bot.audit.tables import TimelineEvent
    from bot.config.version import config_version

    app, links, _ = web
    assert client_for(app, links, KATRIN).get("/incidents/2/evidence.json").status_code == 200
    digest = config_version(shipped_config).digest
    with store.session() as s:
        [download] = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "evidence.downloaded")).all()
        versions = [e.data["hash"] for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == KIND)).all()]
    assert download.data["config_version"]["hash"] == digest and digest in versions
