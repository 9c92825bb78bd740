"""An Easter-week rota with a rest violation, leave across a date line, and public holidays."""

from __future__ import annotations

from datetime import date

import pytest

from tests.incidents.conftest import shipped_config  # noqa: F401  (fixture)

from tests.reports.conftest import write_config_dir

PEOPLE = """\
    sites:
      - id: munich
        timezone: Europe/Berlin
        holidays: {country: DE, subdivision: BY}
        labor_profile: base
    people:
      - {id: anna, name: Anna Berger, slack: U0ANNA001, site: munich, contract: {oncall_agreement: true}}
      - id: bea
        name: Bea Brandt
        slack: U0BEA0001
        site: munich
        working_hours: {MO-FR: ["12:00-20:00"]}
        contract: {oncall_agreement: true}
      - id: kai
        name: Kai <Ops> & Co
        slack: U0KAI0001
        site: munich
        timezone: America/New_York
        contract: {oncall_agreement: true}
        leave: [{from: "2026-04-01", to: "2026-04-01", kind: vacation}]
      - {id: boss, slack: U0BOSS001, site: munich, contract: {oncall_agreement: true}}
    """

LABOR = {"base": """\
    id: base
    rules:
      - {kind: leave, cite: "TEST leave §1"}
      - {kind: standby_classification, on_site: working_time, cite: "TEST on-site standby is working time"}
      - {kind: min_daily_rest, hours: 11, cite: "TEST rest §5"}
    """}

# late: bea stands by on site MO-FR 20:00-23:00 Berlin after her 12:00-20:00 day (13 h rest: fine).
# night: kai (New York) covers 03:00-06:00 Berlin every day, remote standby (rest, not work).
ROTAS = """\
    compliance: {from: "2026-03-30", days: 7}
    rotations:
      - id: late
        name: Late standby
        timezone: Europe/Berlin
        participants: [bea]
        start: "2026-03-30"
        handoff: "MO 09:00"
        coverage: [{days: MO-FR, window: "20:00-23:00"}]
        standby: on_site
        fallback: boss
      - id: night
        timezone: Europe/Berlin
        participants: [kai]
        start: "2026-03-30"
        handoff: "MO 09:00"
        coverage: [{days: MO-SU, window: "03:00-06:00"}]
        fallback: boss
    """

# The edit gives anna (09:00-17:00) bea's late standby on Wednesday 1 April.
EDITED_ROTAS = ROTAS.rstrip(" ") + """\
    overrides:
      - {rotation: late, person: anna, replaces: bea, from: "2026-04-01 20:00", to: "2026-04-01 23:00", reason: "swap <b>"}
    """

FIRST, LAST = date(2026, 3, 30), date(2026, 4, 6)


@pytest.fixture
def easter(tmp_path):
    """(current config dir, edited config dir, playbooks dir that does not exist)."""
    current = write_config_dir(tmp_path / "current" / "config", people=PEOPLE, rotas=ROTAS, labor=LABOR)
    edited = write_config_dir(tmp_path / "edited" / "config", people=PEOPLE, rotas=EDITED_ROTAS, labor=LABOR)
    return current, edited, tmp_path / "no-playbooks"
