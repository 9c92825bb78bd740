"""People with the same working hours share the work of the plan-time checks, never a finding that is not theirs."""

from __future__ import annotations

from tests.oncall.conftest import one_rotation, person, site
from tests.oncall.test_compliance import issues_of, messages

SHORT_REST = {"MO-FR": ["06:00-07:00", "08:00-20:00"]}  # 10 h between 20:00 and 06:00: below 11 h
NORMAL = {"MO-FR": ["09:00-17:00"]}
RULE = {"kind": "min_daily_rest", "hours": 11, "cite": "TEST §5"}


def test_twins_are_both_flagged_and_a_colleague_with_other_hours_is_not(write_config):
    people = [person("anna", "U0ANNA001", working_hours=SHORT_REST), person("bea", "U0BEA0001", working_hours=SHORT_REST),
              person("carl", "U0CARL001", working_hours=NORMAL), person("boss", "U0BOSS001")]
    rotas = one_rotation(["anna", "bea", "carl"])
    rotas["compliance"]["days"] = 21  # each of the three is on call for one week of it
    _, issues = issues_of(write_config, rules=[RULE], people=people, rotas=rotas)
    flagged = sorted({m.split(" ")[1] for m in messages(issues) if "consecutive rest" in m})  # "rule: person ..."
    # anna and bea work 06:00-07:00 and 08:00-20:00 (10 h rest before the next 06:00); carl 09:00-17:00 (16 h)
    assert flagged == ["anna", "bea"]


def test_leave_makes_the_same_hours_a_different_week(write_config):
    # bea has anna's hours but is on leave MO 03-02 .. FR 03-06; anna covers her on-call week until SA 00:00, so
    # bea is on call only SA 03-07 .. MO 03-09 09:00 and works no day of the 7-day horizon (MO 03-02 .. MO 03-09):
    # no short rest for her. anna, on call MO-FR by the override, works 06:00 and 08:00-20:00: 10 h rest.
    bea = person("bea", "U0BEA0001", working_hours=SHORT_REST, leave=[{"from": "2026-03-02", "to": "2026-03-06"}])
    people = [bea, person("anna", "U0ANNA001", working_hours=SHORT_REST), person("boss", "U0BOSS001")]
    rotas = one_rotation(["bea", "anna"])
    rotas["overrides"] = [{"rotation": "ops", "person": "anna", "replaces": "bea",
                           "from": "2026-03-02 09:00", "to": "2026-03-07 00:00"}]
    config, issues = issues_of(write_config, rules=[RULE], people=people, rotas=rotas)
    rest = [m for m in messages(issues) if "consecutive rest" in m]
    assert [m.split(" ")[1] for m in rest] == ["anna"], issues
