"""`/oncall` "until" and "next" for rotas with daily coverage windows (shipped config/rotas.yaml).

payments-emea: lea then hugo, weekly from Mon 14 Dec 2026 09:00 Europe/Paris, covering 07:00-19:00
every day.  payments-amer: maya then sam, same cadence, covering 19:00-07:00.  December in Paris is
CET = UTC+1.  Before, "until" was the next weekly handover (Mon 21 Dec 09:00) even at 10:00 on a
Tuesday, when lea's coverage ends at 19:00 that same day.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.oncall.team import team_of
from bot.slack.oncall_view import describe, now_and_next

LEA, HUGO, MAYA, SAM = "<@U0LEA0001>", "<@U0HUGO001>", "<@U0MAYA001>", "<@U0SAM0001>"
ZONE = "Europe/Paris"


@pytest.fixture(scope="module")
def shipped_config():
    from tests.conftest import REPO_ROOT

    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


def test_inside_a_daily_window_until_is_the_end_of_the_window(shipped_config):
    tuesday_10_paris = datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc)
    line = now_and_next(team_of(shipped_config), "payments-emea", tuesday_10_paris, ZONE)
    assert line == (f"now: {LEA} until Tue 15 Dec 19:00 CET (18:00 UTC); "
                    f"next: {LEA} from Wed 16 Dec 07:00 CET (06:00 UTC), "
                    f"handover to {HUGO} on Mon 21 Dec 09:00 CET (08:00 UTC)")


def test_outside_the_window_nobody_until_it_opens_again(shipped_config):
    tuesday_20_paris = datetime(2026, 12, 15, 19, 0, tzinfo=timezone.utc)
    team = team_of(shipped_config)
    assert now_and_next(team, "payments-emea", tuesday_20_paris, ZONE) == (
        "now: nobody (outside coverage) until Wed 16 Dec 07:00 CET (06:00 UTC); "
        f"next: {LEA} from Wed 16 Dec 07:00 CET (06:00 UTC), handover to {HUGO} on Mon 21 Dec 09:00 CET (08:00 UTC)")
    # the night rota's window crosses midnight; maya's week ends at the Monday 09:00 handover, which is
    # outside the night window, so sam's first night starts Monday 19:00
    assert now_and_next(team, "payments-amer", tuesday_20_paris, ZONE) == (
        f"now: {MAYA} until Wed 16 Dec 07:00 CET (06:00 UTC); next: {MAYA} from Wed 16 Dec 19:00 CET (18:00 UTC), "
        f"handover to {SAM} on Mon 21 Dec 19:00 CET (18:00 UTC)")


def test_a_round_the_clock_rota_hands_over_at_the_cadence(shipped_config):
    # platform: anna's week from Mon 21 Dec 2026 09:00 Europe/Berlin, then bruno; no coverage windows
    tuesday = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
    text = describe(shipped_config, "platform", tuesday, "Europe/Berlin")
    assert text.startswith("*platform* now: <@U0ANNA001> until Mon 28 Dec 09:00 CET (08:00 UTC); "
                           "next: <@U0BRUNO01> from Mon 28 Dec 09:00 CET (08:00 UTC)")
