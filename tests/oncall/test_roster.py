"""The roster index answers "is this person on call or first deputy somewhere now?" like asking every rotation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.oncall.schedule import on_call, roster_of
from bot.oncall.team import team_of
from tests.oncall.conftest import one_rotation, person, site
from tests.oncall.test_shipped_config import shipped  # noqa: F401  (module-scoped fixture)

START = datetime(2026, 11, 1, tzinfo=timezone.utc)


def rostered_anywhere(config, at) -> set[str]:
    """The definition, by brute force: every rotation's on-call person at ``at``, and its first deputy where the
    rota tells deputies they are on standby."""
    team = team_of(config)
    out = set()
    for rid in team.rotations:
        oc = on_call(team, rid, at)
        if oc.person:
            out.add(oc.person)
            if oc.deputies and team.rotations[rid].deputies_on_standby:
                out.add(oc.deputies[0])
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.integers(0, 60 * 24 * 400))
def test_shipped_config_every_person_at_any_instant(shipped, minutes):  # noqa: F811
    # the shipped rotas have all three ways to be named: participants (next_in_rotation deputies),
    # a named deputy (camille on payments-emea) and an override (felix for carla), plus coverage windows
    at = START + timedelta(minutes=minutes)
    expected = rostered_anywhere(shipped, at)
    roster = roster_of(shipped)
    assert {p for p in team_of(shipped).people if roster.is_rostered(p, at)} == expected


def test_an_override_by_someone_outside_the_rotation_and_a_named_deputy_count(write_config):
    rotas = one_rotation(["anna", "bea"], deputies=["dora"], deputies_on_standby=True)
    rotas["overrides"] = [{"rotation": "ops", "person": "carl", "replaces": "anna",
                           "from": "2026-03-03 00:00", "to": "2026-03-04 00:00"}]
    people = [person(p, f"U0{p.upper():0<7}") for p in ("anna", "bea", "carl", "dora", "boss")]
    config = write_config(people={"sites": [site("munich", "Europe/Berlin")], "people": people}, rotas=rotas)
    roster = roster_of(config)
    assert roster_of(config) is roster  # built once per configuration version
    # anna's week starts MO 2026-03-02 09:00 Berlin; carl covers her on TU 03-03 (local day)
    tuesday = datetime(2026, 3, 3, 11, 0, tzinfo=timezone.utc)
    assert {p for p in ("anna", "bea", "carl", "dora", "boss") if roster.is_rostered(p, tuesday)} == {"carl", "dora"}
    monday = datetime(2026, 3, 2, 11, 0, tzinfo=timezone.utc)
    assert {p for p in ("anna", "bea", "carl", "dora", "boss") if roster.is_rostered(p, monday)} == {"anna", "dora"}
    assert rostered_anywhere(config, tuesday) == {"carl", "dora"}


def test_a_deputy_counts_only_when_the_rota_says_they_are_on_standby(write_config):
    # CT art. 199.º-A reads rest as time not at the employer's disposal: a deputy who was not told they are on
    # standby is at rest. Without deputies_on_standby, dora (the named deputy) is not rostered; anna on call is.
    people = [person(p, f"U0{p.upper():0<7}") for p in ("anna", "bea", "dora", "boss")]
    config = write_config(people={"sites": [site("munich", "Europe/Berlin")], "people": people},
                          rotas=one_rotation(["anna", "bea"], deputies=["dora"]))
    monday = datetime(2026, 3, 2, 11, 0, tzinfo=timezone.utc)
    roster = roster_of(config)
    assert {p for p in ("anna", "bea", "dora", "boss") if roster.is_rostered(p, monday)} == {"anna"}
    assert rostered_anywhere(config, monday) == {"anna"}
