"""Personal web-view links: signed, short-lived, revocable, bound to one Slack user."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.clock import ManualClock
from bot.web.links import SALT, LinkRefused, WebLinks, clocked_signer, secret_from

SECRET = "s" * 40
ANNA, BEA = "U0ANNA001", "U0BEA0001"


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def links(store, clock):
    return WebLinks(store, clock, SECRET, base_url="https://bot.example.com/web/", ttl=timedelta(minutes=60))


def token_of(url: str) -> str:
    assert url.startswith("https://bot.example.com/web/login?t=")
    return parse_qs(urlparse(url).query)["t"][0]


def test_a_link_opens_the_view_for_the_person_it_was_issued_to(links, clock):
    viewer = links.check(token_of(links.issue(ANNA)))
    assert viewer.user == ANNA and viewer.expires_at == clock.now() + timedelta(minutes=60)


def test_an_expired_link_is_refused(links, clock):
    token = token_of(links.issue(ANNA))
    clock.advance(minutes=59)
    assert links.check(token).user == ANNA
    clock.advance(minutes=1, seconds=1)
    with pytest.raises(LinkRefused, match="expired"):
        links.check(token)


def test_a_tampered_link_is_refused(links):
    token = token_of(links.issue(ANNA))
    payload, stamp, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for bad in (f"{payload}.{stamp}.{flipped}", f"{payload[:-1]}x.{stamp}.{signature}", "", "garbage"):
        with pytest.raises(LinkRefused, match="not valid"):
            links.check(bad)
    # signed with another secret (another deployment, or a guess): refused
    other = WebLinks(links.store, links.clock, "t" * 40, base_url="https://x/web")
    with pytest.raises(LinkRefused, match="not valid"):
        other.check(token)


def test_a_revoked_link_is_refused_at_once(links):
    first, second = token_of(links.issue(ANNA)), token_of(links.issue(ANNA))
    bea = token_of(links.issue(BEA))
    assert links.revoke(by=ANNA, user=ANNA) == 2
    for token in (first, second):
        with pytest.raises(LinkRefused, match="revoked"):
            links.check(token)
    assert links.check(bea).user == BEA  # someone else's links are untouched


def test_a_token_naming_another_users_link_is_refused(links, clock):
    # Even with the secret, a token that names anna's link but bea as the user opens nothing: the link
    # row says whom it was issued to.
    signer = URLSafeTimedSerializer(SECRET, salt=SALT, signer=clocked_signer(clock))
    link_id = signer.loads(token_of(links.issue(ANNA)))["l"]
    forged = signer.dumps({"l": link_id, "u": BEA})
    with pytest.raises(LinkRefused, match="not valid"):
        links.check(forged)
    # and a token for a link that was never issued
    with pytest.raises(LinkRefused, match="not valid"):
        links.check(signer.dumps({"l": "never-issued", "u": ANNA}))


def test_issue_and_revoke_are_on_the_audit_trail(links, store):
    links.issue(ANNA)
    links.revoke(by="UADMIN001", user=ANNA)
    with store.session() as s:
        kinds = [(e.kind, e.actor) for e in s.exec(select(TimelineEvent).order_by(TimelineEvent.id)).all()]
    assert kinds == [("web.link_issued", ANNA), ("web.links_revoked", "UADMIN001")]


def test_the_secret_comes_from_the_environment_and_must_be_long():
    with pytest.raises(ValueError, match="WEB_LINK_SECRET of at least 32 characters"):
        secret_from({"WEB_LINK_SECRET": "short"})
    assert secret_from({"WEB_LINK_SECRET": SECRET}) == SECRET
