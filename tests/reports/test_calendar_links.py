"""Issuing, listing and revoking live calendar links (bot/reports/calendar_links.py), with the shipped configuration:
who may do what is checked in the service, every issue and revocation is on the global chain by id (never the
token or its hash), the CLI prints the URL once and lists no secrets, and the purge deletes links revoked before
the retention cutoff.

Shipped config/permissions.yaml: ``issue_calendar_link: [group:incident-managers, admins]``; incident-managers are
katrin and camille; anna is an engineer in neither, and settings.yaml ships no admins.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import verify_chain
from bot.cli import main
from bot.clock import ManualClock
from bot.incidents.errors import NotFound, PermissionDenied
from bot.oncall.calendar_links import Scope, token_sha256
from bot.oncall.tables import CalendarLink
from bot.purge.retention import purge
from bot.reports.calendar_links import CalendarLinks
from tests.incidents.conftest import shipped_config  # noqa: F401  (fixture)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
ANNA, KATRIN = "U0ANNA001", "U0KATRIN1"
BASE = "https://bot.example.com/web"


@pytest.fixture
def feeds(store, shipped_config):
    return CalendarLinks(store, lambda: shipped_config, ManualClock(NOW), base_url=BASE)


def global_events(store) -> list[TimelineEvent]:
    with store.session() as s:
        return list(s.exec(select(TimelineEvent).where(TimelineEvent.incident_id.is_(None))  # type: ignore[union-attr]
                           .order_by(TimelineEvent.seq)))


def rows(store) -> list[CalendarLink]:
    with store.session() as s:
        return list(s.exec(select(CalendarLink)))


def test_anyone_may_issue_their_own_but_a_rota_or_someone_elses_needs_the_permission(feeds, store):
    for scope in (Scope(rotation="platform"), Scope(person="katrin")):
        with pytest.raises(PermissionDenied) as refused:
            feeds.issue(scope, actor=ANNA)
        assert "may not issue calendar link" in str(refused.value) and "group incident-managers" in str(refused.value)
    assert rows(store) == [] and global_events(store) == []  # nothing written
    own = feeds.issue(Scope(person="anna"), actor=ANNA)
    rota = feeds.issue(Scope(rotation="platform"), actor=KATRIN)  # an incident manager
    assert [(r.id, r.person_id, r.rotation_id, r.issued_by) for r in rows(store)] == [
        (own.id, "anna", None, ANNA), (rota.id, None, "platform", KATRIN)]


def test_revoking_someone_elses_link_needs_the_permission(feeds, store):
    rota = feeds.issue(Scope(rotation="platform"), actor=KATRIN)
    with pytest.raises(PermissionDenied):
        feeds.revoke(rota.id, actor=ANNA)
    assert rows(store)[0].revoked_at is None
    assert feeds.revoke(rota.id, actor=KATRIN) is True
    assert feeds.revoke(rota.id, actor=KATRIN) is False  # already revoked: nothing more


def test_an_unknown_person_or_rotation_is_refused_with_the_known_ones(feeds, store):
    with pytest.raises(NotFound, match='unknown rotation "platfrom"; known: .*platform.*nothing was issued'):
        feeds.issue(Scope(rotation="platfrom"), actor=KATRIN)
    with pytest.raises(NotFound, match="there is no calendar link #7"):
        feeds.revoke(7, actor=KATRIN)
    assert rows(store) == []


def test_issue_and_revoke_are_on_the_global_chain_by_id_without_the_token(feeds, store):
    issued = feeds.issue(Scope(person="anna"), actor=ANNA)
    token = issued.url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes, base64url
    feeds.issue(Scope(person="anna"), actor=ANNA)
    assert feeds.revoke_own(ANNA) == 2
    events = global_events(store)
    assert [(e.kind, e.actor) for e in events] == [("calendar.link_issued", ANNA), ("calendar.link_issued", ANNA),
                                                   ("calendar.links_revoked", ANNA)]
    assert events[0].data["link"] == issued.id and events[0].data["person"] == "anna"
    assert events[2].data["links"] == [issued.id, issued.id + 1]
    everything = " ".join(f"{e.summary} {e.data}" for e in events)
    assert token not in everything and token_sha256(token) not in everything
    assert rows(store)[0].token_sha256 == token_sha256(token)  # the table holds only the hash
    with store.session() as s:
        assert verify_chain(s, None).ok


def test_cli_issues_once_lists_without_secrets_and_revokes(store, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WEB_PUBLIC_URL", BASE + "/")
    assert main(["calendar-link", "issue", "--person", "anna", "--by", "anna"]) == 0
    out = capsys.readouterr()
    (url,) = out.out.split()
    assert url.startswith(BASE + "/calendar/") and url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert main(["calendar-link", "issue", "--rota", "platform", "--by", "anna"]) == 2
    assert "may not issue calendar link" in capsys.readouterr().err
    assert main(["calendar-link", "list"]) == 0
    listed = capsys.readouterr().out
    assert "person anna" in listed and token not in listed and token_sha256(token) not in listed
    assert "platform" not in listed  # the refused issue wrote nothing
    assert main(["calendar-link", "revoke", "1", "--by", "katrin"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert rows(store)[0].revoked_by == KATRIN


def test_cli_issue_without_web_public_url_says_what_to_set(store, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("WEB_PUBLIC_URL", raising=False)
    assert main(["calendar-link", "issue", "--person", "anna", "--by", "anna"]) == 2
    assert "expected WEB_PUBLIC_URL" in capsys.readouterr().err
    assert rows(store) == []


def test_the_purge_deletes_links_revoked_before_the_retention_cutoff(store, shipped_config):
    clock = ManualClock(NOW)
    feeds = CalendarLinks(store, lambda: shipped_config, clock, base_url=BASE)
    old = feeds.issue(Scope(person="anna"), actor=ANNA)
    feeds.revoke(old.id, actor=ANNA)  # revoked on 1 Dec 2026
    clock.advance(days=200)
    recent = feeds.issue(Scope(person="anna"), actor=ANNA)
    feeds.revoke(recent.id, actor=ANNA)  # revoked 200 days later
    live = feeds.issue(Scope(person="anna"), actor=ANNA)
    # a year after the first revocation: only the first link was revoked before the cutoff (now - 365 days)
    later = NOW + timedelta(days=366)
    with store.session() as s:
        report = purge(s, retention_days=365, now=later, dry_run=True)
    assert report.calendar_links == 1 and len(rows(store)) == 3  # a dry run deletes nothing
    with store.session() as s:
        assert purge(s, retention_days=365, now=later).calendar_links == 1
    assert sorted(r.id for r in rows(store)) == [recent.id, live.id]


def test_a_link_id_is_never_given_twice_after_the_purge(store, shipped_config):
    """The chain names links by id only; SQLite would give a deleted highest id to the next row."""
    clock = ManualClock(NOW)
    feeds = CalendarLinks(store, lambda: shipped_config, clock, base_url=BASE)
    old = feeds.issue(Scope(person="anna"), actor=ANNA)
    feeds.revoke(old.id, actor=ANNA)
    clock.advance(days=366)
    with store.session() as s:
        assert purge(s, retention_days=365, now=clock.now()).calendar_links == 1
    assert rows(store) == []
    assert feeds.issue(Scope(person="anna"), actor=ANNA).id != old.id
