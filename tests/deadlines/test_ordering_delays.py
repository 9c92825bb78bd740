"""Ordering constraints ("the Attorney General before the consumers") and recorded delay notices (SEC Item 1.05(c)),
evaluated on the shipped catalog. Expected times are derived by hand in the comments."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.deadlines.assess import Situation, assess
from bot.deadlines.delays import DelayNotice, DelayRefused, DelaySpec, check_notice

NY = ZoneInfo("America/New_York")


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run(catalog, regime, facts, triggers, submitted=None, delays=None):
    situation = Situation(triggers={k: T(v) for k, v in triggers.items()}, facts=facts,
                          submitted={k: T(v) for k, v in (submitted or {}).items()}, delays=delays or {},
                          at=T("2026-12-01T09:00:00Z"))
    return {a.obligation: a for a in assess(catalog, [regime], situation)}


CT = {"personal_information_breach": True, "residents": {"CT": 80}}


def test_attorney_general_before_the_residents_estimated(catalog):
    # Conn. Gen. Stat. 36a-701b(b)(1): residents within 60 days of discovery: discovered Mon 2026-03-02 10:00 EST ->
    # Mar 2 + 29 = Mar 31, + 30 = Apr 30, + 1 = Fri 2026-05-01, end of day (EDT). (b)(2): the AG not later than the
    # residents' notice, so it is due at that same instant, estimated while the residents' notice is not sent.
    results = run(catalog, "us_state_ct", CT, {"discovered": "2026-03-02T10:00:00-05:00"})
    residents, ag = results["us_state_ct.residents"], results["us_state_ct.attorney_general"]
    assert residents.to_json()["due_at"] == "2026-05-01T23:59:59-04:00"
    assert ag.due_at == residents.due_at and ag.estimated is True
    assert "no later than the notice us_state_ct.residents" in ag.reason
    # Shown on the consumer notice: which notice must go first.
    assert residents.after == ("us_state_ct.attorney_general",)
    assert "Send only after: us_state_ct.attorney_general" in residents.reason


def test_attorney_general_due_when_the_residents_were_told(catalog):
    # Residents notified Fri 2026-04-10 15:00 EDT: the AG notice was due no later than that moment.
    results = run(catalog, "us_state_ct", CT, {"discovered": "2026-03-02T10:00:00-05:00"},
                  submitted={"us_state_ct.residents": "2026-04-10T15:00:00-04:00"})
    ag = results["us_state_ct.attorney_general"]
    assert ag.to_json()["due_at"] == "2026-04-10T15:00:00-04:00" and ag.estimated is False


def test_maryland_and_delaware_orders(catalog):
    # Md. Com. Law 14-3504(c), (h): residents within 45 days of discovery (Mon 2026-06-01 -> Thu 2026-07-16, end of
    # day EDT); the AG before them.
    md = run(catalog, "us_state_md", {"personal_information_breach": True, "residents": {"MD": 3}},
             {"discovered": "2026-06-01T09:00:00-04:00"})
    assert md["us_state_md.attorney_general"].to_json()["due_at"] == "2026-07-16T23:59:59-04:00"
    # 6 Del. C. 12B-102(d): the AG only with more than 500 residents; 500 -> no AG duty, and then no ordering shown.
    de = run(catalog, "us_state_de", {"personal_information_breach": True, "residents": {"DE": 500}},
             {"determined": "2026-06-01T09:00:00-04:00"})
    assert de["us_state_de.attorney_general"].status == "not_applicable"
    assert de["us_state_de.residents"].after == ()


SEC = {"sec_registrant": True}
DETERMINED = {"materiality_determined": "2026-07-01T10:00:00-04:00"}
# Without delay: Thu 07-02 (1), [Fri 07-03 observed Independence Day, weekend], Mon 07-06 (2), Tue (3), Wed 07-08 (4),
# 17:30 EDT (see test_regimes).
BASE_DUE = "2026-07-08T17:30:00-04:00"


def ag(until: str, ref: str = "DOJ-1", recorded: str = "2026-07-07T12:00:00Z") -> DelayNotice:
    return DelayNotice("attorney_general", T(until), ref, "U_LEGAL", T(recorded))


def test_sec_attorney_general_delay_moves_the_due_time(catalog):
    # Item 1.05(c): up to 30 days after the date the disclosure was otherwise required: 07-08 + 30 = Fri 2026-08-07.
    # The AG's notice specifies Fri 2026-08-07 17:30 EDT: the filing is due then, and the reason cites 1.05(c).
    result = run(catalog, "sec_8k", SEC, DETERMINED,
                 delays={"sec_8k.item_1_05": [ag("2026-08-07T17:30:00-04:00")]})["sec_8k.item_1_05"]
    assert result.to_json()["due_at"] == "2026-08-07T17:30:00-04:00"
    assert "Item 1.05(c)" in result.reason and "DOJ-1" in result.reason


def test_sec_delay_beyond_30_days_is_not_applied(catalog):
    # Sat 2026-08-08 is the 31st day after 07-08: the notice exceeds the first period and is not applied; the original
    # due time stands and the reason says why.
    result = run(catalog, "sec_8k", SEC, DETERMINED,
                 delays={"sec_8k.item_1_05": [ag("2026-08-08T09:00:00-04:00")]})["sec_8k.item_1_05"]
    assert result.to_json()["due_at"] == BASE_DUE
    assert "not applied" in result.reason and "30 days" in result.reason


def test_sec_three_delays_then_only_an_exemptive_order(catalog):
    # Second notice: up to 30 more days after 08-07 -> Sun 2026-09-06. Third (extraordinary): up to 60 more days after
    # 09-06 -> Thu 2026-11-05 (counted in dates, so 17:30 EST after the DST change is still within the period).
    notices = [ag("2026-08-07T17:30:00-04:00", "DOJ-1", "2026-07-07T12:00:00Z"),
               ag("2026-09-06T17:30:00-04:00", "DOJ-2", "2026-08-06T12:00:00Z"),
               ag("2026-11-05T17:30:00-05:00", "DOJ-3", "2026-09-05T12:00:00Z")]
    result = run(catalog, "sec_8k", SEC, DETERMINED, delays={"sec_8k.item_1_05": notices})["sec_8k.item_1_05"]
    assert result.to_json()["due_at"] == "2026-11-05T17:30:00-05:00"
    spec = next(o for o in catalog["sec_8k"].obligations if o.id == "sec_8k.item_1_05").delays
    # A fourth period needs a Commission exemptive order: refused without its reference ...
    with pytest.raises(DelayRefused, match="exemptive order"):
        check_notice(spec, notices, ag("2026-12-05T17:30:00-05:00", ""), T(BASE_DUE), NY)
    # ... accepted with it.
    check_notice(spec, notices, ag("2026-12-05T17:30:00-05:00", "Exemptive order 34-99999"), T(BASE_DUE), NY)


def test_a_delay_must_move_the_time_later_and_be_known():
    spec = [DelaySpec(id="attorney_general", title="AG", steps=["30d"], citation="Item 1.05(c)")]
    with pytest.raises(DelayRefused, match="later than"):
        check_notice(spec, [], ag("2026-07-08T17:00:00-04:00"), T(BASE_DUE), NY)
    with pytest.raises(DelayRefused, match='unknown delay "fcc"'):
        check_notice(spec, [], DelayNotice("fcc", T("2026-07-09T17:00:00-04:00")), T(BASE_DUE), NY)
    # only the listed number of notices, when nothing allows more
    with pytest.raises(DelayRefused, match="no more than 1 notice"):
        check_notice(spec, [ag("2026-07-20T17:30:00-04:00")], ag("2026-07-25T17:30:00-04:00"), T(BASE_DUE), NY)


def test_dpdp_board_may_allow_a_longer_period(catalog):
    # r.7(2)(b): 72 h "or such longer period as the Board may allow": no limit in law, only the Board's reference.
    # Aware Mon 2027-06-07 10:00 IST -> +72 h = Thu 06-10 10:00 IST; the Board allows until Mon 06-14 18:00 IST.
    facts = {"dpdp_data_fiduciary": True, "personal_data_breach": True}
    notice = DelayNotice("board_allowed", T("2027-06-14T18:00:00+05:30"), "DPB/2027/17", "U_DPO",
                         T("2027-06-09T10:00:00+05:30"))
    result = run(catalog, "in_dpdp", facts, {"aware": "2027-06-07T10:00:00+05:30"},
                 delays={"in_dpdp.board_report": [notice]})["in_dpdp.board_report"]
    assert result.to_json()["due_at"] == "2027-06-14T18:00:00+05:30"
