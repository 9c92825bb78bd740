"""Live calendar URLs (``/calendar/<token>.ics``, Flask's test client, no login): a valid token opens its feed,
built fresh from the configuration of the moment; a wrong, malformed or revoked token, and a link whose person
left people.yaml, all get the same 404; the token never reaches a log line.

The rota (tests/reports/autumn_config.py): one weekly rotation ``ops`` in Europe/Berlin, participants anna and bea,
starting Wednesday 21 Oct 2026, handoff Wednesdays 09:00 local.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

import pytest
from icalendar import Calendar

from bot.clock import ManualClock
from bot.oncall.calendar_links import Scope
from bot.reports.calendar_links import CalendarLinks
from bot.web.app import WebServices, create_app
from bot.web.links import WebLinks
from tests.reports.autumn_config import LABOR, PEOPLE, ROTAS
from tests.reports.conftest import load, make_config  # noqa: F401  (fixture)

UTC = timezone.utc
NOW = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # already Sunday 25 Oct 01:30 in Berlin
ANNA = "U0ANNA001"
BASE = "http://localhost/web"


def utc(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# anna's shifts in the default range, worked out by hand. The range is her local days today .. today + 90:
# Sun 25 Oct 2026 .. Sat 23 Jan 2027 (Berlin). The rota alternates weekly from Wed 21 Oct 09:00: anna, bea, anna …
# so anna has the weeks starting 21 Oct, 4 Nov, 18 Nov, 2 Dec, 16 Dec, 30 Dec and 13 Jan (27 Jan is after the
# range). 21 Oct 09:00 is still summer time (CEST, UTC+2: 07:00 UTC); summer time ends on 25 Oct, so that week ends
# 28 Oct 09:00 CET (08:00 UTC) and every later handoff is 08:00 UTC. The first week began before the range and
# is shown whole (its real start).
ANNA_WEEKS = [
    (utc(10, 21, 7), utc(10, 28, 8)),
    (utc(11, 4, 8), utc(11, 11, 8)),
    (utc(11, 18, 8), utc(11, 25, 8)),
    (utc(12, 2, 8), utc(12, 9, 8)),
    (utc(12, 16, 8), utc(12, 23, 8)),
    (utc(12, 30, 8), utc(1, 6, 8, 2027)),
    (utc(1, 13, 8, 2027), utc(1, 20, 8, 2027)),
]


@pytest.fixture
def site(store, make_config):
    """(test client, calendar links service, the configuration holder, clock)."""
    config = [load(make_config("cal", people=PEOPLE, rotas=ROTAS, labor=LABOR))]
    clock = ManualClock(NOW)
    links = WebLinks(store, clock, "k" * 40, base_url=BASE)
    app = create_app(WebServices(incidents=None, config=lambda: config[0], clock=clock, links=links, store=store))
    feeds = CalendarLinks(store, lambda: config[0], clock, base_url=BASE)
    return app.test_client(), feeds, config, clock


def path_of(url: str) -> str:
    assert url.startswith(BASE + "/calendar/") and url.endswith(".ics")
    return url[len(BASE):]


def shifts(data: bytes) -> list[tuple[datetime, datetime]]:
    return [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in Calendar.from_ical(data).walk("VEVENT")]


def test_a_valid_token_opens_the_persons_feed_for_today_and_the_next_90_days(site, store):
    client, feeds, _, _ = site
    issued = feeds.issue(Scope(person="anna"), actor=ANNA)
    response = client.get(path_of(issued.url))  # no cookie, no login
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert shifts(response.data) == ANNA_WEEKS
    assert response.headers["Cache-Control"] == "no-store"
    assert feeds.listing()[0].last_used_at == NOW


def test_the_feed_is_built_on_every_request_from_the_configuration_of_that_moment(site, make_config):
    client, feeds, config, _ = site
    path = path_of(feeds.issue(Scope(person="anna"), actor=ANNA).url)
    assert shifts(client.get(path).data)[1] == ANNA_WEEKS[1]
    # the rota is edited: bea now starts, so anna's first week is the one from 28 Oct (08:00 UTC, CET)
    config[0] = load(make_config("edited", people=PEOPLE, rotas=ROTAS.replace("[anna, bea]", "[bea, anna]"),
                                 labor=LABOR))
    assert shifts(client.get(path).data)[0] == (utc(10, 28, 8), utc(11, 4, 8))


def test_wrong_malformed_and_revoked_tokens_get_the_same_404(site):
    client, feeds, _, _ = site
    issued = feeds.issue(Scope(person="anna"), actor=ANNA)
    path = path_of(issued.url)
    assert client.get(path).status_code == 200
    token = path[len("/calendar/"):-len(".ics")]
    wrong = client.get(f"/calendar/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.ics")
    malformed = client.get("/calendar/" + "x" * 300 + ".ics")
    assert feeds.revoke(issued.id, actor=ANNA)
    revoked = client.get(path)
    answers = {(r.status_code, r.mimetype, r.get_data(as_text=True)) for r in (wrong, malformed, revoked)}
    assert len(answers) == 1  # nothing tells a revoked token from one that never existed
    ((status, mimetype, text),) = answers
    assert (status, mimetype) == (404, "text/plain") and "BEGIN:VCALENDAR" not in text and len(text) < 200


def test_a_person_removed_from_people_yaml_gets_404(site, make_config):
    client, feeds, config, _ = site
    path = path_of(feeds.issue(Scope(person="bea"), actor="U0BEA0001").url)
    assert client.get(path).status_code == 200
    bea = "      - {id: bea, slack: U0BEA0001, site: munich, contract: {oncall_agreement: true}}\n"
    without_bea = PEOPLE.replace(bea, "")
    assert without_bea != PEOPLE
    config[0] = load(make_config("gone", people=without_bea, rotas=ROTAS.replace("[anna, bea]", "[anna, boss]"),
                                 labor=LABOR))
    assert client.get(path).status_code == 404


def test_the_purge_revokes_the_links_of_people_who_left_so_they_are_deleted_in_time(site, make_config, store):
    """A link of someone who left opens nothing, but it stayed live for ever: never deleted (the purge deletes
    revoked links) and opening again the feed of anyone later given the same id."""
    client, feeds, config, _ = site
    bea = feeds.issue(Scope(person="bea"), actor="U0BEA0001")
    anna = feeds.issue(Scope(person="anna"), actor=ANNA)
    line = "      - {id: bea, slack: U0BEA0001, site: munich, contract: {oncall_agreement: true}}\n"
    config[0] = load(make_config("left", people=PEOPLE.replace(line, ""),
                                 rotas=ROTAS.replace("[anna, bea]", "[anna, boss]"), labor=LABOR))
    assert feeds.revoke_orphans(dry_run=True) == 1
    assert [x.revoked_at for x in feeds.listing()] == [None, None]  # a dry run revokes nothing
    assert feeds.revoke_orphans() == 1
    assert {x.id: x.revoked_by for x in feeds.listing()} == {bea.id: "system", anna.id: None}
    config[0] = load(make_config("back", people=PEOPLE, rotas=ROTAS, labor=LABOR))  # the id "bea" given again
    assert client.get(path_of(bea.url)).status_code == 404
    assert client.get(path_of(anna.url)).status_code == 200


def test_the_token_never_reaches_the_logs(site, caplog, monkeypatch):
    client, feeds, _, _ = site
    caplog.set_level(logging.DEBUG)
    url = feeds.issue(Scope(person="anna"), actor=ANNA).url
    token = re.search(r"/calendar/(.+)\.ics$", url).group(1)
    assert client.get(path_of(url)).status_code == 200
    # a feed that fails to build: the failure is logged, the path holding the token is not
    import bot.reports.calendar_links as service

    def broken(*args, **kwargs):
        raise RuntimeError("the feed could not be built")

    monkeypatch.setattr(service, "feed_of", broken)
    assert client.get(path_of(url)).status_code == 500
    assert "a calendar feed could not be built" in caplog.text
    # werkzeug's request line (its development server), as werkzeug writes it
    logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s -', "127.0.0.1", "24/Oct/2026 23:30:00",
                                       f"GET /web/calendar/{token}.ics HTTP/1.1", 200)
    assert "GET /web/calendar/(token withheld) HTTP/1.1" in caplog.text
    assert token not in caplog.text


def test_oncall_calendar_in_slack_gives_the_asker_a_link_to_their_own_feed_and_revokes_it(site, store):
    from bot.slack.calendar_command import answer
    from bot.slack.web_command import NOT_SET_UP

    client, feeds, config, clock = site
    links = WebLinks(store, clock, "k" * 40, base_url=BASE)
    assert answer(None, lambda: config[0], ANNA, "calendar") == NOT_SET_UP
    text = answer(links, lambda: config[0], ANNA, "calendar")
    url = re.search(r"<(http://localhost/web/calendar/[^>]+\.ics)>", text).group(1)
    assert "/oncall calendar revoke" in text
    assert shifts(client.get(path_of(url)).data) == ANNA_WEEKS  # anna's own shifts, nobody else's
    assert [(r.scope, r.issued_by) for r in feeds.listing()] == [(Scope(person="anna"), ANNA)]
    assert "not in people.yaml" in answer(links, lambda: config[0], "U0STRANGER", "calendar")
    assert answer(links, lambda: config[0], ANNA, "calendar revoke").startswith("Revoked 1 calendar link(s)")
    assert client.get(path_of(url)).status_code == 404
