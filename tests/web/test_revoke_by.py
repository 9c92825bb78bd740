"""`web revoke --by` names who revoked on the audit chain: a person of people.yaml or an admin, never free text.

Revoking someone else's web-view links is an administrator's act an auditor may ask about ("who cut off
access, and when"), so the chain must name someone the configuration knows, as every other `--by` does
(bot/cli/acting_person.py). Before, `--by` was free text defaulting to "cli".
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.cli import main
from bot.clock import ManualClock
from bot.web.links import WebLinks
from tests.slack.harness import make_config

ANNA = "U0ANNA001"  # a Slack user with links (not necessarily in people.yaml)
ADMIN = "U0ADMIN99"  # an admin of settings.yaml who is not a person of people.yaml
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def links(store, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    issued = WebLinks(store, ManualClock(NOW), "s" * 48, base_url="http://localhost")
    issued.issue(ANNA)
    issued.issue(ANNA)
    return issued


def revoked_events(store):
    with store.session() as s:
        return [(e.actor, e.data) for e in s.exec(select(TimelineEvent).where(TimelineEvent.kind == "web.links_revoked"))]


def live_links(store):
    from bot.web.tables import WebLink

    with store.session() as s:
        return [link for link in s.exec(select(WebLink)) if link.revoked_at is None]


def test_a_name_people_yaml_does_not_hold_is_refused_and_nothing_is_revoked(links, store, capsys):
    assert main(["web", "revoke", "--user", ANNA, "--by", "the-intern"]) == 2
    err = capsys.readouterr().err
    assert '--by: "the-intern" is not a person in people.yaml' in err and "nothing was written" in err
    assert "admins" in err  # the refusal says an admin's Slack id would do too
    assert len(live_links(store)) == 2 and revoked_events(store) == []


def test_by_is_required(links, store, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["web", "revoke", "--all"])
    assert exited.value.code == 2 and "--by" in capsys.readouterr().err
    assert len(live_links(store)) == 2


def test_a_person_given_by_slack_id_is_recorded_by_their_people_yaml_id(links, store):
    # camille is in the shipped people.yaml; her Slack id is looked up there, so the test does not copy it
    from bot.config.loader import collect
    from bot.config.loader import ConfigPaths

    config, _ = collect(ConfigPaths.default(None, None))
    camille = next(p for people in config.all("people") for p in people.people if p.id == "camille")
    assert main(["web", "revoke", "--user", ANNA, "--by", camille.slack]) == 0
    assert live_links(store) == [] and [actor for actor, _ in revoked_events(store)] == ["camille"]


def test_an_admin_who_is_not_in_people_yaml_may_revoke_and_is_named_by_slack_id(links, store, tmp_path):
    config_dir, playbooks_dir = make_config(tmp_path, admins=[ADMIN])
    assert main(["web", "revoke", "--all", "--by", ADMIN, "--config-dir", str(config_dir),
                 "--playbooks-dir", str(playbooks_dir)]) == 0
    assert live_links(store) == [] and [actor for actor, _ in revoked_events(store)] == [ADMIN]
