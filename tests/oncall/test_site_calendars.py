"""Site calendars: holidays package categories per site, local holidays from YAML, and `check --holidays`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date

from bot.oncall.planner import plan_pages
from bot.oncall.site_calendar import holidays_in
from tests.conftest import REPO_ROOT
from tests.oncall.helpers import local, team_config

HOLIDAY_RULE = {"kind": "sunday_holiday_work", "forbid": True, "sundays": False, "holidays": True,
                "includes_standby": False, "cite": "TEST §9"}
MUNICH = {"country": "DE", "subdivision": "BY", "categories": ["public", "catholic"],
          "cite": "FTG Bayern Art. 1(1) Nr. 2"}
AUGSBURG = {"country": "DE", "subdivision": "BY", "local": [
    {"annually": "08-08", "name": "Augsburger Hohes Friedensfest", "cite": "FTG Bayern Art. 1(2)"}]}


def test_assumption_day_is_a_holiday_only_where_the_site_asks_for_the_catholic_category(write_config):
    # FTG Bayern Art. 1(1) Nr. 2: Mariä Himmelfahrt (15 Aug) is a public holiday in Bavarian municipalities with a
    # predominantly Catholic population (Munich), not everywhere in Bavaria. The holidays package keeps it in the
    # category "catholic". SA 2026-08-15; anna is on call from MO 2026-08-10 09:00.
    rotation = {"start": "2026-08-10"}
    plain = team_config(write_config, [HOLIDAY_RULE], holidays={"country": "DE", "subdivision": "BY"}, rotation=rotation)
    assert plan_pages(plain, "ops", local("2026-08-15 12:00"), "sev2").skipped == []
    munich = team_config(write_config, [HOLIDAY_RULE], holidays=MUNICH, rotation=rotation)
    # anna and her deputy bea (same site) are both skipped; anna's skip:
    skip = plan_pages(munich, "ops", local("2026-08-15 12:00"), "sev2").skipped[0]
    assert (skip.person, skip.reason_code) == ("anna", "holiday_work") and "Assumption Day (DE-BY)" in skip.reason
    assert skip.until == local("2026-08-16 00:00")  # the holiday ends at local midnight
    # The plan-time check reads the same calendar: with standby included, rostering anna that day is an error.
    from tests.oncall.test_compliance import issues_of, messages
    from tests.oncall.conftest import one_rotation

    config, issues = issues_of(write_config, rules=[dict(HOLIDAY_RULE, includes_standby=True)],
                               rotas=one_rotation(["anna", "bea"], start="2026-08-10"), site_extra={"holidays": MUNICH})
    assert config is None and any("public holiday Assumption Day (2026-08-15)" in m for m in messages(issues))


def test_local_holiday_every_year_from_yaml(write_config):
    # FTG Bayern Art. 1(2): in the city of Augsburg 8 August (Hohes Friedensfest) is a public holiday. The package
    # does not know it; the site lists it. SA 2026-08-08 and SU 2027-08-08 (anna rostered both weeks: the rota
    # starts MO 2026-08-03 with anna; 2027-08-02 is 52 weeks later, an even offset, anna again).
    config = team_config(write_config, [HOLIDAY_RULE], holidays=AUGSBURG, rotation={"start": "2026-08-03"})
    for day in ("2026-08-08 10:00", "2027-08-08 10:00"):
        skip = plan_pages(config, "ops", local(day), "sev2").skipped[0]
        assert skip.person == "anna" and "Augsburger Hohes Friedensfest" in skip.reason, day
    assert plan_pages(config, "ops", local("2026-08-07 10:00"), "sev2").skipped == []


def test_easter_relative_and_single_date_local_holidays():
    from bot.oncall.site_calendar import HolidayCalendar

    # Easter Sunday 2026 is 5 April; + 60 days = Thursday 4 June (Corpus Christi). Easter 2027 is 28 March; + 60 days
    # = 27 May. A single date applies in its own year only.
    cal = HolidayCalendar(country="DE", subdivision="SN", local=[
        {"easter_offset": 60, "name": "Fronleichnam", "cite": "SächsSFG §1(2) with the Fronleichnam ordinance (verify)"},
        {"date": "2026-06-12", "name": "Stadtfest", "cite": "TEST ordinance 2026"}])
    assert [(h.day, h.name) for h in holidays_in(cal, 2026) if h.source.startswith("local")] == [
        (date(2026, 6, 4), "Fronleichnam"), (date(2026, 6, 12), "Stadtfest")]
    assert [(h.day, h.name) for h in holidays_in(cal, 2027) if h.source.startswith("local")] == [
        (date(2027, 5, 27), "Fronleichnam")]


def test_calendar_errors_say_what_was_expected(write_config):
    from tests.oncall.test_config_errors import errors
    from tests.oncall.conftest import person, site

    def people(holidays):
        return {"sites": [site("munich", "Europe/Berlin", holidays=holidays)],
                "people": [person("anna", "U0ANNA001"), person("bea", "U0BEA0001"), person("boss", "U0BOSS001")]}

    out = errors(write_config, people=people({"country": "DE", "subdivision": "BY", "categories": ["katholisch"]}))
    assert any("expected holiday categories the holidays package has for DE/BY (catholic, public, school), got katholisch"
               in e for e in out)
    out = errors(write_config, people=people({"country": "DE", "subdivision": "BY", "categories": ["public", "catholic"]}))
    assert any("expected a cite saying why the categories public, catholic apply" in e for e in out)
    out = errors(write_config, people=people({"country": "DE", "local": [
        {"annually": "08-08", "date": "2026-08-08", "name": "Friedensfest", "cite": "x"},
        {"annually": "13-01", "name": "Nope", "cite": "x"}]}))
    assert any("expected exactly one of date, annually or easter_offset for Friedensfest, got date, annually" in e
               for e in out)
    assert any('expected a month and day like "08-08", got "13-01"' in e for e in out)


def test_check_lists_a_sites_holidays_for_a_year(tmp_path):
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")

    def check(*args):
        return subprocess.run([sys.executable, "-m", "bot", "check", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    proc = check("--holidays", "2026", "--site", "munich")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # Bavaria has 13 statewide holidays with Assumption Day; the package gives 12 of them in "public" for BY
    # (Peace Festival is Augsburg-only) and Assumption Day in "catholic": 13, plus the two company closures.
    assert "Holidays 2026, munich (DE-BY, Europe/Berlin): 15" in lines
    assert any(line.startswith("  2026-08-15 Sat Assumption Day [holidays package DE-BY (catholic); FTG Bayern Art. 1(1) Nr. 2")
               for line in lines)
    assert "  2026-12-24 Thu Christmas Eve closure [company closure (a day off, not a public holiday)]" in lines
    proc = check("--holidays", "2026", "--site", "atlantis")
    assert proc.returncode == 2 and 'unknown site "atlantis"; sites in people.yaml: munich, lisbon' in proc.stderr
