"""Rota preview and the review of an edit: shifts in local time, new violations, new gaps, exit codes."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import pytest

from bot.cli import main
from bot.config.errors import ConfigInvalid
from bot.config.loader import collect
from bot.reports.diff import diff_configs
from bot.reports.preview import build_preview
from tests.reports.conftest import load, paths_of

UTC = timezone.utc

PEOPLE = """\
    sites:
      - id: munich
        timezone: Europe/Berlin
        holidays: {country: DE, subdivision: BY}
        labor_profile: base
    people:
      - {id: anna, slack: U0ANNA001, site: munich, contract: {oncall_agreement: true}}
      - id: bea
        slack: U0BEA0001
        site: munich
        working_hours: {MO-FR: ["12:00-20:00"]}
        contract: {oncall_agreement: true}
      - {id: kai, slack: U0KAI0001, site: munich, timezone: America/New_York, contract: {oncall_agreement: true}}
      - {id: boss, slack: U0BOSS001, site: munich, contract: {oncall_agreement: true}}
    """

# On-site standby counts as working time here, so an evening standby shortens the night's rest.
LABOR = {"base": """\
    id: base
    rules:
      - {kind: leave, cite: "TEST leave"}
      - {kind: standby_classification, on_site: working_time, cite: "TEST on-site standby is working time"}
      - {kind: min_daily_rest, hours: 11, cite: "TEST rest §5"}
    """}

# bea holds every late on-site standby (MO-FR 20:00-23:00 Berlin) after her 12:00-20:00 day.
ROTAS = """\
    compliance: {from: "2026-03-02", days: 7}
    rotations:
      - id: late
        timezone: Europe/Berlin
        participants: [bea]
        start: "2026-03-02"
        handoff: "MO 09:00"
        coverage: [{days: MO-FR, window: "20:00-23:00"}]
        standby: on_site
        fallback: boss
    """

EDITED_ROTAS = ROTAS.rstrip(" ") + """\
    overrides:
      - {rotation: late, person: anna, replaces: bea, from: "2026-03-04 20:00", to: "2026-03-04 23:00", reason: "swap"}
      - {rotation: late, person: kai, replaces: bea, from: "2026-03-06 20:00", to: "2026-03-06 23:00", reason: "cover"}
    """

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture
def dirs(make_config):
    return (make_config("main", people=PEOPLE, rotas=ROTAS, labor=LABOR),
            make_config("edited", people=PEOPLE, rotas=EDITED_ROTAS, labor=LABOR))


def test_preview_shows_shifts_in_each_persons_local_time(dirs):
    preview = build_preview(load(dirs[1]), FIRST, LAST)
    people = preview.by_person()
    # bea keeps MO, TU, TH evenings (2, 3, 5 March); WE goes to anna and FR to kai.
    assert [(s.start, s.end) for s in people["bea"]] == [
        (datetime(2026, 3, 2, 19, tzinfo=UTC), datetime(2026, 3, 2, 22, tzinfo=UTC)),
        (datetime(2026, 3, 3, 19, tzinfo=UTC), datetime(2026, 3, 3, 22, tzinfo=UTC)),
        (datetime(2026, 3, 5, 19, tzinfo=UTC), datetime(2026, 3, 5, 22, tzinfo=UTC))]
    [kai] = people["kai"]
    # 20:00-23:00 CET (UTC+1) on Friday 6 March is 14:00-17:00 EST (UTC-5) for kai in New York
    # (the US moves to EDT only on Sunday 8 March).
    assert kai.zone == "America/New_York" and kai.source == "override: cover"
    assert "2026-03-06 14:00 EST -> 2026-03-06 17:00 EST (America/New_York)" in kai.describe()
    data = preview.to_json()
    kai_json = next(p for p in data["people"] if p["person"] == "kai")
    assert kai_json["shifts"][0]["local_start"] == "2026-03-06T14:00:00-05:00"
    assert kai_json["shifts"][0]["start"] == "2026-03-06T19:00:00Z"


def test_preview_reports_the_rest_violation_with_person_time_rule_and_citation(dirs):
    # anna works 09:00-17:00 and now also stands by on site 20:00-23:00 on WE 4 March; she starts again
    # at 09:00 on TH: in the 24 h from WE 09:00 the longest rest is 23:00 -> 09:00 = 10 h < 11 h.
    # bea: 12:00-23:00 then 13 h rest until 12:00: compliant.  kai: 09:00-17:00 New York with the
    # standby inside his working day: compliant.
    preview = build_preview(load(dirs[1]), FIRST, LAST)
    [v] = preview.violations
    assert (v.person, v.rule, v.citation, v.severity) == ("anna", "min_daily_rest", "TEST rest §5", "block")
    assert v.at == datetime(2026, 3, 4, 8, tzinfo=UTC)  # 09:00 CET
    assert "2026-03-04 09:00 Europe/Berlin" in v.message and re.search(r"only 10(\.0)? h consecutive rest", v.message)
    assert preview.gaps == []


def test_bot_check_rejects_the_edit_but_review_loads_it(dirs):
    config, issues = collect(paths_of(dirs[1]))
    assert config is None and any("min_daily_rest" in i.message for i in issues)
    assert load(dirs[1]) is not None


def test_diff_shows_who_gains_and_loses_and_the_new_violation(dirs):
    result = diff_configs(load(dirs[0]), load(dirs[1]), FIRST, LAST)
    changes = {(c.change, c.person, c.start, c.end) for c in result.shift_changes}
    # WE 20:00-23:00 CET = 19:00-22:00 UTC moves from bea to anna; FR the same from bea to kai.
    assert changes == {
        ("loses", "bea", datetime(2026, 3, 4, 19, tzinfo=UTC), datetime(2026, 3, 4, 22, tzinfo=UTC)),
        ("gains", "anna", datetime(2026, 3, 4, 19, tzinfo=UTC), datetime(2026, 3, 4, 22, tzinfo=UTC)),
        ("loses", "bea", datetime(2026, 3, 6, 19, tzinfo=UTC), datetime(2026, 3, 6, 22, tzinfo=UTC)),
        ("gains", "kai", datetime(2026, 3, 6, 19, tzinfo=UTC), datetime(2026, 3, 6, 22, tzinfo=UTC)),
    }
    assert [(v.person, v.rule) for v in result.new_violations] == [("anna", "min_daily_rest")]
    assert result.resolved_violations == [] and len(result.new_blocking) == 1
    text = result.to_text()
    assert "anna gains late 2026-03-04 20:00 CET -> 2026-03-04 23:00 CET (Europe/Berlin) (3 h)" in text
    assert "kai gains late 2026-03-06 14:00 EST -> 2026-03-06 17:00 EST (America/New_York) (3 h)" in text


def test_reverting_the_edit_resolves_the_violation(dirs):
    result = diff_configs(load(dirs[1]), load(dirs[0]), FIRST, LAST)
    assert result.new_violations == [] and [v.person for v in result.resolved_violations] == ["anna"]
    assert {(c.change, c.person) for c in result.shift_changes} == {
        ("gains", "bea"), ("loses", "anna"), ("loses", "kai")}


def run(capsys, *args):
    try:
        code = main(["rota", "preview", *args])
    except SystemExit as exc:  # configuration errors leave through ExitWith, as with `python -m bot`
        code = exc.code
    return code, capsys.readouterr()


def test_cli_exit_codes_for_ci(capsys, dirs, tmp_path):
    main_dir, edited_dir = (str(d) for d in dirs)
    common = ["--config-dir", main_dir, "--playbooks-dir", str(tmp_path / "none"), "--from", "2026-03-02", "--to", "2026-03-08"]
    code, out = run(capsys, *common)
    assert code == 0 and "Labor-rule violations: none" in out.out
    code, out = run(capsys, *common, "--diff", edited_dir)
    assert code == 1 and "New violations: 1" in out.out and "TEST rest §5" in out.out
    code, out = run(capsys, *common, "--diff", edited_dir, "--json")
    data = json.loads(out.out)
    assert code == 1 and data["new_blocking_violations"] == 1
    assert data["new_violations"][0]["local"] == "2026-03-04 09:00 Europe/Berlin"
    # the reverse edit removes a violation and adds none: 0
    code, out = run(capsys, "--config-dir", edited_dir, "--playbooks-dir", str(tmp_path / "none"),
                    "--from", "2026-03-02", "--to", "2026-03-08", "--diff", main_dir)
    assert code == 0 and "Resolved violations: 1" in out.out


def test_cli_invalid_edit_exits_2_with_the_position(capsys, dirs, make_config, tmp_path):
    broken = make_config("broken", people=PEOPLE, labor=LABOR, rotas=ROTAS.rstrip(" ") + """\
    overrides:
      - {rotation: late, person: zoe, from: "2026-03-04 20:00", to: "2026-03-04 23:00"}
    """)
    code, out = run(capsys, "--config-dir", str(dirs[0]), "--playbooks-dir", str(tmp_path / "none"),
                    "--from", "2026-03-02", "--to", "2026-03-08", "--diff", str(broken))
    assert code == 2 and 'unknown person "zoe"' in out.err and "rotas.yaml:12:30: overrides[0].person" in out.err
    with pytest.raises(ConfigInvalid):
        load(broken)
    code, out = run(capsys, "--config-dir", str(dirs[0]), "--from", "2026-03-08", "--to", "2026-03-02")
    assert code == 2 and "before --from" in out.err
    code, out = run(capsys, "nosuch", "--config-dir", str(dirs[0]), "--from", "2026-03-02", "--to", "2026-03-08")
    assert code == 2 and 'unknown rota "nosuch"' in out.err


FOLLOW_THE_SUN = """\
    compliance: {from: "2026-03-02", days: 7}
    rotations:
      - {id: emea, timezone: Europe/Paris, participants: [anna], start: "2026-03-02", fallback: boss,
         coverage: [{days: MO-SU, window: "%s"}]}
      - {id: amer, timezone: Europe/Paris, participants: [kai], start: "2026-03-02", fallback: boss,
         coverage: [{days: MO-SU, window: "19:00-07:00"}]}
    escalation_policies:
      - id: payments
        fallback: boss
        levels: [{targets: [{rotation: emea}, {rotation: amer}]}]
    """
PLAIN_LABOR = {"base": """\
    id: base
    rules: [{kind: leave, cite: "TEST leave"}]
    """}


def test_narrowing_a_follow_the_sun_window_opens_a_gap(make_config):
    before = load(make_config("fts", people=PEOPLE, labor=PLAIN_LABOR, rotas=FOLLOW_THE_SUN % "07:00-19:00"))
    after = load(make_config("fts-edit", people=PEOPLE, labor=PLAIN_LABOR, rotas=FOLLOW_THE_SUN % "08:00-19:00"))
    assert build_preview(before, date(2026, 3, 2), date(2026, 3, 3), "payments").gaps == []
    result = diff_configs(before, after, date(2026, 3, 2), date(2026, 3, 3), "payments")
    # emea now starts at 08:00 Paris while amer still ends at 07:00: 07:00-08:00 CET (06:00-07:00 UTC)
    # is uncovered on each of the two days, and anna loses exactly that hour each day.
    assert [(g.target, g.start, g.end) for g in result.new_gaps] == [
        ("payments", datetime(2026, 3, 2, 6, tzinfo=UTC), datetime(2026, 3, 2, 7, tzinfo=UTC)),
        ("payments", datetime(2026, 3, 3, 6, tzinfo=UTC), datetime(2026, 3, 3, 7, tzinfo=UTC))]
    assert [(c.change, c.person, c.start.hour) for c in result.shift_changes] == [("loses", "anna", 6), ("loses", "anna", 6)]
    assert result.new_blocking == [] and "payments: nobody on call 2026-03-02 07:00 Europe/Paris" in result.to_text()
