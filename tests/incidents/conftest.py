"""Fixtures: a small self-contained configuration (two playbooks, no paging, no regulations) and the service.

Tests that need paging and legal obligations use the shipped configuration
(``shipped_config``), so the playbooks are exercised against the real rotas
and regulations catalog.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest

from bot.config.loader import ConfigPaths, collect
from bot.incidents.service import IncidentService

REPO = Path(__file__).resolve().parents[2]

ADMIN = "UADMIN01"
REPORTER = "UREPORT01"
ALICE = "UALICE001"
BOB = "UBOB00001"
CAROL = "UCAROL001"
MALLORY = "UMALLORY1"

SETTINGS = f"""
organisation: Test Org
incidents_channel: incidents
channel_prefix: inc
admins: [{ADMIN}]
retention_days: 30
"""

MAJOR = """
id: major
name: "Major"
rank: 1
criteria: ["customers are affected"]
roles:
  - {id: commander, title: Incident commander, initial: reporter, required: true}
  - {id: comms_lead, title: Communications lead}
  - {id: legal, title: Legal}
  - {id: scribe, title: Scribe}
communications: {external_owner: comms_lead, authority_owner: legal}
notifications:
  - {when: [declared, escalated, resolved], channels: [exec-updates], user_groups: [support-leads]}
checklist:
  - {id: impact, title: "Confirm impact", owner: commander, nudge_after: 15m}
  - {id: statuspage, title: "Post on the status page", owner: comms_lead}
  - {id: review, title: "Schedule the review", owner: commander, phase: resolved}
status_updates: {cadence: 30m, owner: commander}
"""

MINOR = """
id: minor
name: "Minor"
rank: 2
criteria: ["a few customers notice"]
roles:
  - {id: commander, title: Incident commander, initial: reporter}
  - {id: comms_lead, title: Communications lead}
communications: {external_owner: comms_lead}
checklist:
  - {id: ticket, title: "Link the ticket", owner: commander}
status_updates: {cadence: 4h, owner: commander, to_feed: false}
"""

PRIVATE = """
id: breach
name: "Breach"
rank: 1
criteria: ["personal data affected"]
channel: {name: "{prefix}-{number}-sec", private: true}
roles:
  - {id: commander, title: Incident commander, initial: reporter}
  - {id: legal, title: Legal}
communications: {external_owner: legal}
notifications:
  - {when: [declared], channels: [security-leads]}
status_updates: {cadence: 1h}
"""


def write_config(root: Path, *, playbooks: dict[str, str] | None = None, permissions: str | None = None,
                 settings: str = SETTINGS) -> ConfigPaths:
    cdir, pdir = root / "config", root / "playbooks"
    cdir.mkdir(parents=True, exist_ok=True)
    pdir.mkdir(parents=True, exist_ok=True)
    (cdir / "settings.yaml").write_text(textwrap.dedent(settings))
    if permissions is not None:
        (cdir / "permissions.yaml").write_text(textwrap.dedent(permissions))
    for name, text in (playbooks if playbooks is not None else
                       {"major": MAJOR, "minor": MINOR, "breach": PRIVATE}).items():
        (pdir / f"{name}.yaml").write_text(textwrap.dedent(text))
    return ConfigPaths(cdir, pdir)


def load(paths: ConfigPaths):
    config, issues = collect(paths)
    assert config is not None, "\n".join(str(i) for i in issues)
    return config


@pytest.fixture
def config(tmp_path):
    return load(write_config(tmp_path / "cfg"))


@pytest.fixture
def service(store, clock, config):
    return IncidentService(store, lambda: config, clock)


@pytest.fixture
def keys():
    counter = itertools.count(1)
    return lambda: f"key-{next(counter)}"


@pytest.fixture(scope="session")
def shipped_config():
    return load(ConfigPaths(REPO / "config", REPO / "playbooks"))
