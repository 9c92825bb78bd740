"""Escalation in the store: nobody is paged twice in one cycle, each level is checked when it is paged.

Team: anna, bea and cara rotate weekly in ``ops`` from MO 2026-03-02 09:00 (anna, bea, cara, anna...),
so anna holds the week from MO 2026-03-23 09:00 and her deputies are bea, then cara (next in rotation).
The policy pages the rotation (level 1), its next deputy (level 2) and boss (level 3), then repeats once.
"""

from __future__ import annotations

from datetime import timedelta

from bot.audit.trail import events
from bot.incidents.tables import Incident
from bot.oncall.paging import decline, escalate, record_plan
from bot.oncall.planner import plan_level, plan_pages
from bot.oncall.tables import Engagement
from tests.oncall.conftest import person
from tests.oncall.helpers import local, team_config

REST = {"kind": "min_daily_rest", "hours": 11, "on_interrupt": "restart", "cite": "ArbZG §5(1)"}
POLICY = {"id": "esc", "repeat": 1, "fallback": "boss",
          "levels": [{"targets": [{"rotation": "ops"}], "ack_timeout": "5m"},
                     {"targets": [{"deputies_of": "ops"}], "ack_timeout": "5m"},
                     {"targets": [{"person": "boss"}], "ack_timeout": "5m"}]}


def config_of(write_config, **people_extra):
    return team_config(write_config, [REST], extra_people=[person("cara", "U0CARA001", **people_extra.pop("cara", {}))],
                       people_extra=people_extra, rotation={"participants": ["anna", "bea", "cara"]}, policies=[POLICY])


def open_incident(session, at) -> int:
    row = Incident(number=7, title="checkout errors", severity="sev2", playbook="sev2", reporter="U0BOSS001",
                   declared_at=at)
    session.add(row)
    session.flush()
    return row.id


def callout(session, who: str, start, end) -> None:
    session.add(Engagement(person_id=who, start=start, end=end))
    session.flush()


def test_deputy_level_takes_the_next_deputy_when_the_holder_became_eligible(store, write_config):
    config = config_of(write_config)
    at = local("2026-03-24 07:36")
    with store.session() as s:
        inc = open_incident(s, at)
        # anna's call-out ended MO 20:40 -> restarted 11 h rest until TU 07:40 (ArbZG §5(1)).
        callout(s, "anna", local("2026-03-23 19:30"), local("2026-03-23 20:40"))
        from bot.oncall.history import load_history
        plan = plan_pages(config, "esc", at, "sev2", history=load_history(s, ["anna", "bea", "cara"], at))
        [p1] = record_plan(s, incident_id=inc, plan=plan, actor="system", at=at)
        # 07:36 < 07:40: anna is skipped, her first deputy bea takes level 1.
        assert (p1.person_id, p1.role, p1.level) == ("bea", "deputy", 1)
        # bea does not answer; level 2 at 07:41. anna's rest is over by now, but level 2 pages deputies, and bea
        # was paged in this cycle already: the next deputy not yet paged is cara (not bea again, not boss).
        [p2] = escalate(s, config, p1.id, at=at + timedelta(minutes=5))
        assert (p2.person_id, p2.role, p2.level) == ("cara", "deputy", 2)
        [p3] = escalate(s, config, p2.id, at=at + timedelta(minutes=10))
        assert (p3.person_id, p3.level) == ("boss", 3)
        # repeat cycle (documented `repeat` semantics: the levels run again from the top): level 4 = level 1 at
        # 07:51, anna is rested and is the holder -> anna; level 5 = next deputy -> bea; level 6 -> boss.
        [p4] = escalate(s, config, p3.id, at=at + timedelta(minutes=15))
        [p5] = escalate(s, config, p4.id, at=at + timedelta(minutes=20))
        [p6] = escalate(s, config, p5.id, at=at + timedelta(minutes=25))
        assert [(p.level, p.person_id) for p in (p4, p5, p6)] == [(4, "anna"), (5, "bea"), (6, "boss")]
        # boss (the fallback) was paged in this incident and did not answer: nothing more, the notice says so.
        assert escalate(s, config, p6.id, at=at + timedelta(minutes=30)) == []


def test_level_one_deputy_who_became_ineligible_is_not_replaced_by_skipping_a_deputy(store, write_config):
    config = config_of(write_config)
    at = local("2026-03-24 08:00")
    with store.session() as s:
        inc = open_incident(s, at)
        # anna: call-out ended MO 23:00 -> restarted 11 h rest until TU 10:00, so bea (first deputy) takes level 1.
        callout(s, "anna", local("2026-03-23 22:00"), local("2026-03-23 23:00"))
        from bot.oncall.history import load_history
        plan = plan_pages(config, "esc", at, "sev2", history=load_history(s, ["anna", "bea", "cara"], at))
        [p1] = record_plan(s, incident_id=inc, plan=plan, actor="system", at=at)
        assert (p1.person_id, p1.role) == ("bea", "deputy")
        # bea then works a call-out for another team 08:01-08:04 -> 11 h rest from 08:04 (she did not ack ours).
        callout(s, "bea", local("2026-03-24 08:01"), local("2026-03-24 08:04"))
        # A re-plan from level 1 at 08:05 would give level 1 to cara (anna resting, bea resting) and leave
        # level 2 empty; the deputy level must page cara now.
        [p2] = escalate(s, config, p1.id, at=at + timedelta(minutes=5))
        assert (p2.person_id, p2.role, p2.level) == ("cara", "deputy", 2)


def test_a_level_is_checked_at_the_instant_it_is_paged(write_config):
    config = config_of(write_config)
    from bot.oncall.history import EngagementHistory
    # cara's call-out ended MO 20:43 -> rest until TU 07:43. Level 2 checked at 07:41 must skip her;
    # at 07:43 (11 h 00 min) she may be paged.
    history = EngagementHistory.of([("anna", local("2026-03-23 19:30"), local("2026-03-23 20:50")),
                                    ("cara", local("2026-03-23 19:30"), local("2026-03-23 20:43"))])
    early = plan_level(config, "esc", 2, local("2026-03-24 07:41"), "sev2", history=history, exclude={"bea"})
    assert early.plan == [] and [(s.person, s.until) for s in early.skipped] == [("cara", local("2026-03-24 07:43"))]
    on_time = plan_level(config, "esc", 2, local("2026-03-24 07:43"), "sev2", history=history, exclude={"bea"})
    assert [(s.person, s.role) for s in on_time.plan] == [("cara", "deputy")]


def test_someone_who_declined_is_not_paged_again_in_the_repeat_cycle(store, write_config):
    config = config_of(write_config)
    at = local("2026-03-24 10:00")
    with store.session() as s:
        inc = open_incident(s, at)
        [p1] = record_plan(s, incident_id=inc, plan=plan_pages(config, "esc", at, "sev2"), actor="system", at=at)
        assert p1.person_id == "anna"
        decline(s, p1.id, by="U0ANNA001", at=at, reason="in hospital")
        [p2] = escalate(s, config, p1.id, at=at)
        [p3] = escalate(s, config, p2.id, at=at + timedelta(minutes=5))
        # repeat cycle: level 4 = level 1 = anna, who declined -> not paged again; the next level with
        # someone is level 5 (deputies: bea, the first deputy not excluded).
        [p4] = escalate(s, config, p3.id, at=at + timedelta(minutes=10))
        assert [(p.level, p.person_id) for p in (p2, p3, p4)] == [(2, "bea"), (3, "boss"), (5, "bea")]


def test_nobody_eligible_fallback_is_not_paged_again_by_the_repeat_cycle(store, write_config):
    # Everyone (boss too) is on vacation from MO 2026-03-23: the plan pages the fallback boss loudly.
    away = {"leave": [{"from": "2026-03-23", "to": "2026-03-27", "kind": "vacation"}]}
    config = config_of(write_config, anna=away, bea=away, cara=away, boss=away)
    at = local("2026-03-24 10:00")
    with store.session() as s:
        inc = open_incident(s, at)
        [p1] = record_plan(s, incident_id=inc, plan=plan_pages(config, "esc", at, "sev2"), actor="system", at=at)
        assert (p1.person_id, p1.role) == ("boss", "fallback")
        # 5 min later: levels 1-3 and their repeat find nobody eligible; the fallback was already paged and
        # has not answered -> no second page to the same person; the escalation notice asks for a human.
        assert escalate(s, config, p1.id, at=at + timedelta(minutes=5)) == []
        assert [e.kind for e in events(s, inc)].count("page.planned") == 1


def test_declared_exception_not_needed_at_level_one_still_serves_the_next_level(store, write_config):
    # anna (remote site, no public holidays) holds ops from MO 2026-01-05; bea (Munich, DE-BY) is her deputy.
    # TU 2026-01-06 is Epiphany in Bavaria; the Munich rule forbids call-outs on public holidays except under
    # "notfall" for sev1. The sev1 playbook declared notfall with a justification; level 1 (anna) did not need
    # it. anna does not answer: level 2 is bea, who may be paged only under notfall -> it must still apply,
    # with the declared justification recorded for her.
    profile = {"id": "base", "rules": [{"kind": "leave", "cite": "TEST leave"},
                                       {"kind": "sunday_holiday_work", "sundays": False, "includes_standby": False,
                                        "cite": "TEST §9"}],
               "exceptions": [{"id": "notfall", "severities": ["sev1"], "waives": ["sunday_holiday_work"],
                               "compensatory_rest_hours": 11, "cite": "ArbZG §14"}]}
    from tests.oncall.conftest import one_rotation, site
    people = {"sites": [site("remote", "Europe/Berlin"),
                        site("munich", "Europe/Berlin", holidays={"country": "DE", "subdivision": "BY"})],
              "people": [person("anna", "U0ANNA001", site="remote"), person("bea", "U0BEA0001"),
                         person("boss", "U0BOSS001")]}
    config = write_config(people=people, rotas=one_rotation(["anna", "bea"], start="2026-01-05"), labor=[profile])
    from bot.oncall.planner import ExceptionRequest
    from bot.oncall.tables import ExceptionUse
    from sqlmodel import select
    at = local("2026-01-06 10:00")
    request = ExceptionRequest(declared_by="U0BOSS001", justification="card payments down")
    with store.session() as s:
        inc = open_incident(s, at)
        [p1] = record_plan(s, incident_id=inc, plan=plan_pages(config, "ops", at, "sev1", exception=request),
                           actor="U0BOSS001", at=at)
        assert (p1.person_id, p1.exception_id) == ("anna", None)
        [p2] = escalate(s, config, p1.id, at=at + timedelta(minutes=5))
        assert (p2.person_id, p2.role, p2.exception_id) == ("bea", "deputy", "notfall")
        use = s.exec(select(ExceptionUse)).one()
        assert (use.person_id, use.justification, use.declared_by) == ("bea", "card payments down", "U0BOSS001")


def test_skips_found_while_escalating_are_on_the_timeline_with_the_rule(store, write_config):
    config = config_of(write_config)
    at = local("2026-03-24 07:30")
    with store.session() as s:
        inc = open_incident(s, at)
        # anna holds the week; bea is paged at level 1 while anna's rest runs (call-out ended MO 20:40, so
        # her restarted 11 h rest lasts until TU 07:40, ArbZG §5(1)). cara had a call-out ending TU 01:00,
        # so at 07:35 her rest runs until 12:00: when bea does not answer, the deputy level finds cara
        # skipped, and the auditor must see that at the moment of the escalation.
        callout(s, "anna", local("2026-03-23 19:30"), local("2026-03-23 20:40"))
        callout(s, "cara", local("2026-03-24 00:15"), local("2026-03-24 01:00"))
        from bot.oncall.history import load_history
        plan = plan_pages(config, "esc", at, "sev2", history=load_history(s, ["anna", "bea", "cara"], at))
        [p1] = record_plan(s, incident_id=inc, plan=plan, actor="system", at=at)
        assert p1.person_id == "bea"
        escalate(s, config, p1.id, at=at + timedelta(minutes=5))
        skips = [e for e in events(s, inc) if e.kind == "page.skipped" and e.data.get("level") == 2]
    assert skips, "the escalation's skips are missing from the timeline"
    cara = next(x for x in skips[-1].data["skipped"] if x["person"] == "cara")
    assert cara["citation"] == "ArbZG §5(1)" and cara["until"].startswith("2026-03-24T11:00:00")  # 12:00 CET
    assert skips[-1].summary.startswith("level 2: ")
