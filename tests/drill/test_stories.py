"""A drill story per playbook, chosen from what the playbook does, each showing what it is for.

Expectations are derived from the shipped rotas and people, not from the drill's output:

* ``platform`` is weekly from Mon 2026-12-21 09:00 Berlin with anna, bruno, carla, diogo, felix, ines, and
  the cadence runs backwards, so the week of Mon 2026-12-14 is ines's (Lisbon, working MO-FR 09:00-13:00
  and 14:00-18:00 WET).
* sev2 (high urgency, no exception): Wed 2026-12-16 15:30 CET is 14:30 WET, inside ines's working hours,
  so she is paged at once at level 1, and in this story she acknowledges; nobody is escalated to.
* sev3 (low urgency only): Wed 20:30 CET is 19:30 WET, after her working hours, so the page is held until
  her next working hours, Thu 2026-12-17 09:00 WET (= 09:00 UTC).
* sev1 (declares ArbZG §14 `notfall`): at Christmas night anna is on call; 25 Dec is a Bavarian holiday
  that the Munich works agreement closes except in §14 emergencies, so she is paged under the exception.
* sev4 pages nobody.
"""

from __future__ import annotations

import io
import re

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.drill.runner import DrillOptions, run_drill
from bot.drill.stories import BREACH, CRITICAL, LOW, MAJOR, MINOR, story_for
from bot.incidents.playbook import playbook_for
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def shipped():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


def drill(shipped, database_url, playbook: str) -> tuple[object, str]:
    out = io.StringIO()
    outcome = run_drill(shipped, DrillOptions(playbook=playbook, database_url=database_url), out)
    return outcome, out.getvalue()


@pytest.fixture
def in_tmp(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # evidence packs are written under ./var/drill


@pytest.mark.parametrize("playbook, story", [
    ("security", BREACH), ("sev1", CRITICAL), ("sev2", MAJOR), ("sev3", MINOR), ("sev4", LOW)])
def test_each_shipped_playbook_gets_the_story_of_what_it_does(shipped, playbook, story):
    assert story_for(playbook_for(shipped, playbook)) is story


def test_the_choice_follows_the_playbook_settings_not_its_name(shipped):
    sev2 = playbook_for(shipped, "sev2")
    assert story_for(sev2.model_copy(update={"channel": sev2.channel.model_copy(update={"private": True})})) is BREACH
    low = [p.model_copy(update={"urgency": "low"}) for p in sev2.paging]
    assert story_for(sev2.model_copy(update={"paging": low})) is MINOR
    assert story_for(sev2.model_copy(update={"paging": []})) is LOW
    sev1 = playbook_for(shipped, "sev1")
    assert story_for(sev2.model_copy(update={"paging": sev1.paging})) is CRITICAL


def test_sev2_is_an_outage_in_a_public_channel_acknowledged_at_once(shipped, database_url, in_tmp):
    outcome, text = drill(shipped, database_url, "sev2")
    assert outcome.closed and outcome.chain_ok
    assert "Story: major outage on a working afternoon" in text
    assert "Card payments fail for some customers in the EU" in text
    assert "Customer records exposed" not in text  # the breach story stays with the security playbook
    # announced in the feed with its title (a public incident), not redacted
    feed = text.index("] #incidents\n    INC-1 declared (SEV2 - major)\n")
    assert "Card payments fail for some customers in the EU" in text[feed:feed + 300]
    assert "restricted to the response team" not in text
    assert "[Wed 16 Dec 14:30 WET] DM to ines\n    Page: INC-1" in text  # in ines's own zone
    assert "Inês Rocha acknowledged the page for INC-1" in text
    assert "Escalating INC-1" not in text
    # ines acknowledged at 14:33 UTC (14:33 WET, her zone); the summary is the drill reader's, in settings.yaml's
    # Europe/Berlin: CET = UTC+1 in December, so 15:33 CET
    assert "level 1: ines acked, acknowledged Wed 16 Dec 15:33 CET: on_call" in text
    assert "Legal deadline" not in text  # an outage without personal data starts no legal clock here


def test_sev3_holds_the_page_until_working_hours(shipped, database_url, in_tmp):
    outcome, text = drill(shipped, database_url, "sev3")
    assert outcome.closed and outcome.chain_ok
    assert "Paged: Inês Rocha (on call, level 1), held until 2026-12-17 09:00 UTC (outside working hours)" in text
    assert "[Thu 17 Dec 09:00 WET] DM to ines\n    Held page: INC-1" in text
    assert "none: this playbook considers no regulation" in text


def test_sev1_pages_under_the_emergency_exception_and_starts_the_nis2_clock(shipped, database_url, in_tmp):
    outcome, text = drill(shipped, database_url, "sev1")
    assert outcome.closed and outcome.chain_ok
    assert re.search(r"level 1: anna acked, .*paged under exception notfall \(ArbZG §14", text)
    assert "exception notfall for anna: SEV1 outage of a core customer-facing service" in text
    # The drill's legal counsel records awareness as the declaration, 02:00 CET; the NIS2 Art. 23(4)(a)
    # early warning is due 24 h later, Sat 26 Dec 02:00 CET.
    assert "nis2.early_warning -> National CSIRT or competent authority: due Sat 26 Dec 02:00 CET" in text


def test_sev4_pages_nobody(shipped, database_url, in_tmp):
    outcome, text = drill(shipped, database_url, "sev4")
    assert outcome.closed and outcome.chain_ok
    assert "nobody: this playbook pages no one" in text
    assert "Page: INC-1" not in text
