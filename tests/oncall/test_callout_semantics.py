"""What a call-out does to the daily rest, per shipped profile: during working time, during an incomplete
rest, after a complete rest.

Every case: anna works MO-FR 09:00-17:00 local (the default working hours) and is on call (weekly rotation
from MO 2026-03-02 09:00). The expected values are worked out by hand from the statute in each comment.
"""

from __future__ import annotations

import pytest

from bot.oncall.history import EngagementHistory
from bot.oncall.planner import plan_pages
from tests.oncall.conftest import one_rotation, person, site
from tests.oncall.helpers import local

SITES = {
    "de-arbzg": ("Europe/Berlin", "ArbZG §5(1)"),
    "fr-ct": ("Europe/Paris", "C. trav. L3131-1; L3121-9, L3121-10"),
    "uk-wtr": ("Europe/London", "WTR 1998 reg 10, 21, 24"),
    "nl-atw": ("Europe/Amsterdam", "Atw art. 5:3 (verify)"),
    "pt-ct": ("Europe/Lisbon", "CT art. 214.º (verify)"),
}


def shipped_site(write_config, profile: str):
    zone, _ = SITES[profile]
    contract = {"oncall_agreement": True, "compensation": "EUR 40 per standby day"}
    people = [person(p, f"U0{p.upper():0<7}"[:9], site="office", contract=contract) for p in ("anna", "bea", "boss")]
    # the rotation's activity keeps the plan-time Sunday check of de-arbzg (§10(1) Nr. 14) from rejecting the rota
    rotas = one_rotation(["anna", "bea"], zone=zone, activity="it_systems_continuity")
    return write_config(people={"sites": [site("office", zone, profile)], "people": people}, rotas=rotas,
                        labor=[], shipped_labor=True)


def anna_step(plan):
    return next(s for s in plan.plan if s.person == "anna")


def anna_skips(plan, code: str = "daily_rest"):
    return [s for s in plan.skipped if s.person == "anna" and s.reason_code == code]


@pytest.mark.parametrize("profile", ["de-arbzg", "fr-ct"])
def test_restart_profiles_distinguish_the_three_situations(write_config, profile):
    zone, cite = SITES[profile]
    config = shipped_site(write_config, profile)

    def at(text):
        return local(text, zone)

    # 1. During working time. ArbZG §5(1): the 11 h run "nach Beendigung der täglichen Arbeitszeit"; C. trav.
    #    L3121-10 counts only intervention time as work. A call-out WE 10:00-11:00 is work inside the working day,
    #    which ends at 17:00: anna may be paged at 11:30 and nobody owes her a new rest.
    history = EngagementHistory.of([("anna", at("2026-03-04 10:00"), at("2026-03-04 11:00"))])
    plan = plan_pages(config, "ops", at("2026-03-04 11:30"), "sev2", history=history)
    assert anna_skips(plan) == [] and anna_step(plan).role == "on_call"
    # A call-out from 16:00 that runs to 19:00 lengthens the working day: the rest then runs from 19:00, as it
    # would from 17:00, so no rest holds her at 20:00 (a second call-out would interrupt that rest). In Germany the
    # day's work has reached 10 h (09:00-19:00), the ArbZG §3 maximum, so that rule holds her instead.
    history = EngagementHistory.of([("anna", at("2026-03-04 16:00"), at("2026-03-04 19:00"))])
    plan = plan_pages(config, "ops", at("2026-03-04 20:00"), "sev2", history=history)
    assert anna_skips(plan) == []
    assert [s.citation for s in anna_skips(plan, "daily_hours")] == (["ArbZG §3"] if profile == "de-arbzg" else [])

    # 2. After a complete rest. MO 17:00 + 11 h = TU 04:00. A call-out TU 04:00-05:00 found 11 h of rest: it
    #    starts the new working day and restarts nothing; she may be paged at 05:30.
    history = EngagementHistory.of([("anna", at("2026-03-03 04:00"), at("2026-03-03 05:00"))])
    assert anna_skips(plan_pages(config, "ops", at("2026-03-03 05:30"), "sev2", history=history)) == []

    # 3. During an incomplete rest. One minute earlier, TU 03:59-05:00, the rest was 10 h 59 min: interrupted,
    #    so the full 11 h are due again from 05:00, until 16:00. At 15:59 she is skipped, at 16:00 paged.
    history = EngagementHistory.of([("anna", at("2026-03-03 03:59"), at("2026-03-03 05:00"))])
    [skip] = anna_skips(plan_pages(config, "ops", at("2026-03-03 15:59"), "sev2", history=history))
    assert (skip.reason_code, skip.citation, skip.until) == ("daily_rest", cite, at("2026-03-03 16:00"))
    assert anna_skips(plan_pages(config, "ops", at("2026-03-03 16:00"), "sev2", history=history)) == []


@pytest.mark.parametrize("profile", ["uk-wtr", "nl-atw", "pt-ct"])
def test_compensate_profiles_page_with_compensatory_rest_only_after_an_interrupted_rest(write_config, profile):
    zone, cite = SITES[profile]
    config = shipped_site(write_config, profile)

    def at(text):
        return local(text, zone)

    # WTR 1998 reg 21/24 (UK), Atw/AWVN consignatie (NL), CT (PT) as shipped: a call-out may interrupt the 11 h
    # rest, and equivalent compensatory rest is then owed (Directive 2003/88/EC art. 17(2)).
    # During an incomplete rest: TU 02:00-03:00, 9 h after MO 17:00. At 06:00 anna is paged (not skipped), and
    # the page says 11 h of compensatory rest are owed (until 03:00 + 11 h = 14:00).
    history = EngagementHistory.of([("anna", at("2026-03-03 02:00"), at("2026-03-03 03:00"))])
    plan = plan_pages(config, "ops", at("2026-03-03 06:00"), "sev2", history=history)
    notes = anna_step(plan).notes
    assert anna_skips(plan) == []
    assert any("daily rest running until 14:00" in n and "compensatory rest is owed" in n and cite in n for n in notes)
    # During working time (WE 10:00-11:00) and after a complete rest (TU 04:00-05:00) nothing was interrupted:
    # paged without a note about owed rest.
    for start, end, page in (("2026-03-04 10:00", "2026-03-04 11:00", "2026-03-04 11:30"),
                             ("2026-03-03 04:00", "2026-03-03 05:00", "2026-03-03 05:30")):
        history = EngagementHistory.of([("anna", at(start), at(end))])
        plan = plan_pages(config, "ops", at(page), "sev2", history=history)
        assert not any("compensatory rest" in n for n in anna_step(plan).notes), (profile, start)


def test_rest_before_a_call_out_counts_earlier_call_outs(write_config):
    # de-arbzg. Call-outs TU 01:00-02:00 and TU 04:00-05:00. The first interrupted the rest that began MO 17:00
    # (8 h): restarted, due until 13:00. The second came 2 h after the first ended, so it interrupted the
    # restarted rest again: the 11 h run from 05:00, until 16:00 - measured from the latest work, not from 17:00.
    config = shipped_site(write_config, "de-arbzg")
    history = EngagementHistory.of([("anna", local("2026-03-03 01:00"), local("2026-03-03 02:00")),
                                    ("anna", local("2026-03-03 04:00"), local("2026-03-03 05:00"))])
    [skip] = anna_skips(plan_pages(config, "ops", local("2026-03-03 13:30"), "sev2", history=history))
    assert skip.until == local("2026-03-03 16:00")
