"""The shipped on-call config: valid, and the drill story of docs/oncall.md holds.

Drill instant: 2026-12-25T02:00:00+01:00, Christmas night in Munich. anna (Munich) is rostered on
`platform` that week (rotation starts MO 2026-12-21 with her). 25 Dec is a public holiday in Bavaria and
the Munich works agreement (overlay de-example-bv) forbids call-outs on public holidays except an ArbZG §14
emergency. bruno (Lisbon) is next week's person, hence her first deputy, but he is on vacation from
23 to 27 Dec. The later deputies are either in Munich (the same holiday rule) or in Lisbon and not
rostered, so Portugal's ban on contact during rest (CT art. 199.º-A) covers them. Without an exception
nobody may be paged and the fallback manager is paged, loudly; with the ArbZG §14 exception (sev1,
security) anna is paged, and the next deputy who may be paged under it is carla (Munich).
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.oncall.planner import ExceptionRequest, plan_pages
from tests.oncall.conftest import REPO

DRILL = datetime.fromisoformat("2026-12-25T02:00:00+01:00")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    cfg = tmp_path_factory.mktemp("shipped") / "config"
    shutil.copytree(REPO / "config" / "labor", cfg / "labor")
    for name in ("people.yaml", "rotas.yaml", "settings.yaml"):
        shutil.copy(REPO / "config" / name, cfg / name)
    return load_config(ConfigPaths(cfg, cfg.parent / "playbooks"))


def test_shipped_config_has_two_teams_in_several_countries(shipped):
    people = shipped.one("people")
    countries = {s.holidays.country for s in people.sites}
    assert len(people.people) >= 8 and {"DE", "PT", "FR", "US"} <= countries
    assert {"platform", "payments", "platform-escalation"} <= {r.id for r in shipped.one("rotas").rotations} | \
        {p.id for p in shipped.one("rotas").escalation_policies}


def test_shipped_profiles_all_cite_sources(shipped):
    profiles = {m.id: m for m in shipped.all("labor")}
    assert {"eu-wtd", "de-arbzg", "fr-ct", "pt-ct", "es-et", "uk-wtr", "nl-atw", "us-flsa", "us-ca", "au-fwa"} <= set(profiles)
    assert any(p.type == "overlay" for p in profiles.values())
    assert all(rule.cite.strip() for p in profiles.values() for rule in p.rules)


def test_drill_sev2_skips_everyone_and_pages_the_fallback_loudly(shipped):
    plan = plan_pages(shipped, "platform", DRILL, "sev2")
    assert plan.on_call == ["anna"]
    anna = next(s for s in plan.skipped if s.person == "anna")
    assert anna.reason_code == "holiday_work" and "Christmas Day" in anna.reason and "BV Rufbereitschaft" in anna.citation
    # holidays 25 and 26 Dec: call-outs allowed again from SU 27 Dec 00:00 Berlin = 26 Dec 23:00 UTC
    assert anna.until == datetime.fromisoformat("2026-12-27T00:00:00+01:00")
    bruno = next(s for s in plan.skipped if s.person == "bruno")
    assert bruno.reason_code == "leave"  # leave is a hard block: no exception waives it
    # diogo (Lisbon) is a later deputy, not rostered: contact during his rest is forbidden in Portugal
    diogo = next(s for s in plan.skipped if s.person == "diogo")
    assert diogo.reason_code == "contact_forbidden" and diogo.citation.startswith("CT art. 199")
    assert [(s.level, s.person, s.role) for s in plan.plan] == [(1, "katrin", "fallback")]
    assert plan.exceptions_used == []
    assert any(w.startswith("NOBODY ELIGIBLE") for w in plan.warnings)


def test_role_deputies(shipped):
    from bot.oncall.directory import role_deputies

    assert role_deputies(shipped, "commander") == ["katrin", "camille", "anna"]


def test_drill_sev1_uses_the_notfall_exception_with_justification(shipped):
    request = ExceptionRequest(declared_by="katrin", justification="checkout down for all customers")
    plan = plan_pages(shipped, "platform", DRILL, "sev1", exception=request)
    assert (plan.plan[0].person, plan.plan[0].exception) == ("anna", "notfall")
    used = plan.exceptions_used[0]
    assert used.person == "anna" and used.citation == "ArbZG §14(1), (3)" and used.justification == request.justification
    # level 2 = the deputies: bruno is on leave (not waivable), carla is next and the exception covers her holiday
    assert plan.plan[1].person == "carla" and plan.plan[1].exception == "notfall"


def test_drill_instant_on_call_for_payments(shipped):
    # 02:00 Paris is outside payments-emea (07:00-19:00) and inside payments-amer (19:00-07:00): sam's week.
    plan = plan_pages(shipped, "payments", DRILL, "sev2")
    assert plan.on_call == ["sam"] and plan.plan[0].person == "sam"
