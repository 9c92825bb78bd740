"""Hand-derived cases for the FTC Safeguards Rule, Puerto Rico, the NAIC-model insurance laws and the card brands.
Each expected time is worked out in the comment next to it, in the regime's own zone and calendar."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.deadlines.assess import Situation, assess

NOW = "2026-12-01T09:00:00+00:00"
FTC = {"ftc_safeguards_institution": True, "ftc_notification_event": True, "affected_individuals": 500}
PR = {"personal_information_breach": True, "residents": {"PR": 40}}
CARDS = {"card_accounts": {"VISA": 1200, "MASTERCARD": 800, "AMEX": 40}, "card_data_compromise": True}


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run(catalog, regime, facts, triggers, at=NOW):
    situation = Situation(triggers={k: T(v) for k, v in triggers.items()}, facts=facts, at=T(at))
    return {a.obligation: a for a in assess(catalog, [regime], situation)}


CASES = [
    # FTC 16 CFR 314.4(j)(1): no later than 30 days after discovery. Discovered Wed 2026-02-11 18:00 EST: Feb 11 + 17 =
    # Feb 28, + 13 = Fri 2026-03-13, end of that day; US summer time since Sun 03-08 -> EDT.
    ("ftc-30-days-dst", "us_ftc_safeguards", FTC, {"discovered": "2026-02-11T18:00:00-05:00"},
     "us_ftc_safeguards.ftc", "2026-03-13T23:59:59-04:00"),
    # The institution's own zone decides the day: 2026-11-01 06:30 UTC is Sat 10-31 23:30 PDT in Los Angeles (it would
    # be Sun 11-01 in New York). 10-31 + 30 = Mon 2026-11-30, end of day PST.
    ("ftc-local-day-los-angeles", "us_ftc_safeguards", FTC | {"entity_zone": "America/Los_Angeles"},
     {"discovered": "2026-11-01T06:30:00Z"}, "us_ftc_safeguards.ftc", "2026-11-30T23:59:59-08:00"),
    # Puerto Rico 10 L.P.R.A. 4052: DACO within a non-extendable 10 days of detection. Detected Tue 2026-03-03 16:00 AST
    # -> Fri 2026-03-13, end of day. Puerto Rico keeps AST (-04:00) all year: no DST change although New York moved.
    ("pr-daco-10-days", "us_state_pr", PR, {"discovered": "2026-03-03T16:00:00-04:00"}, "us_state_pr.daco",
     "2026-03-13T23:59:59-04:00"),
    # Detected 2026-12-27 03:30 UTC = Sat 12-26 23:30 AST: 12-26 + 10 = Tue 2027-01-05 (Three Kings' Day on 01-06 is
    # after it; "non-extendable": no roll anyway).
    ("pr-daco-local-day", "us_state_pr", PR, {"discovered": "2026-12-27T03:30:00Z"}, "us_state_pr.daco",
     "2027-01-05T23:59:59-04:00"),
    # Visa WTDIC: incident report within 3 business days, on the organisation's country calendar. US, aware Wed
    # 2026-11-25 10:00 EST: Thu 11-26 Thanksgiving (federal holiday), Fri 11-27 (1), Mon 11-30 (2), Tue 12-01 (3).
    ("visa-incident-report-thanksgiving", "card_visa", CARDS | {"entity_country": "US"},
     {"aware": "2026-11-25T10:00:00-05:00"}, "card_visa.incident_report", "2026-12-01T23:59:59-05:00"),
    # Germany, aware Wed 2026-12-23 10:00 CET (Berlin): Thu 12-24 (1; Christmas Eve is no public holiday), Fri 12-25
    # holiday, 12-26 Saturday (also a holiday), Sun, Mon 12-28 (2), Tue 12-29 (3).
    ("visa-incident-report-germany", "card_visa", CARDS | {"entity_country": "DE", "entity_zone": "Europe/Berlin"},
     {"aware": "2026-12-23T10:00:00+01:00"}, "card_visa.incident_report", "2026-12-29T23:59:59+01:00"),
    # Account numbers within 10 business days (US): aware Mon 2026-12-14: Tue 15 (1), Wed (2), Thu (3), Fri 18 (4),
    # Mon 21 (5), Tue (6), Wed (7), Thu 12-24 (8), [Fri 12-25 Christmas], Mon 12-28 (9), Tue 2026-12-29 (10).
    ("visa-account-numbers-christmas", "card_visa", CARDS | {"entity_country": "US"},
     {"aware": "2026-12-14T09:00:00-05:00"}, "card_visa.account_numbers", "2026-12-29T23:59:59-05:00"),
    # Mastercard: report within 24 h of becoming aware. Aware Sat 2026-03-07 22:00 EST = Sun 03:00 UTC; +24 h = Mon
    # 03-09 03:00 UTC; US summer time from Sun 03-08 07:00 UTC, so Sun 03-08 23:00 EDT (a wall-clock sum: 22:00).
    ("mastercard-24h-dst", "card_mastercard", CARDS, {"aware": "2026-03-07T22:00:00-05:00"},
     "card_mastercard.adc_report", "2026-03-08T23:00:00-04:00"),
    # ... in London: aware Wed 2026-07-01 09:00 BST -> Thu 07-02 09:00 BST.
    ("mastercard-24h-london", "card_mastercard", CARDS | {"entity_zone": "Europe/London"},
     {"aware": "2026-07-01T09:00:00+01:00"}, "card_mastercard.adc_report", "2026-07-02T09:00:00+01:00"),
    # American Express, US agreement: no later than 24 h after discovery. Discovered Fri 2026-10-30 12:00 EDT -> Sat
    # 10-31 12:00 EDT (before the DST change on 11-01).
    ("amex-us-24h", "card_amex", CARDS | {"amex_region": "US"}, {"discovered": "2026-10-30T12:00:00-04:00"},
     "card_amex.eirp_24h", "2026-10-31T12:00:00-04:00"),
    # International agreement (Spain): Initial Notice Form within 72 h. Discovered Fri 2026-10-23 18:00 CEST = 16:00
    # UTC; +72 h = Mon 10-26 16:00 UTC; Spain left summer time on 10-25 -> 17:00 CET.
    ("amex-international-72h", "card_amex", CARDS | {"amex_region": "international", "entity_zone": "Europe/Madrid"},
     {"discovered": "2026-10-23T18:00:00+02:00"}, "card_amex.eirp_72h", "2026-10-26T17:00:00+01:00"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_due_time(case, catalog):
    _id, regime, facts, triggers, obligation, expected = case
    result = run(catalog, regime, facts, triggers)[obligation]
    assert result.status == "deadline", result.reason
    assert result.to_json()["due_at"] == expected, result.reason
    assert result.legal and result.citation


def test_ftc_threshold_is_at_least_500(catalog):
    # 314.4(j)(1): "at least 500 consumers": 499 no, 500 yes.
    assert run(catalog, "us_ftc_safeguards", FTC | {"affected_individuals": 499},
               {"discovered": "2026-02-11T18:00:00-05:00"})["us_ftc_safeguards.ftc"].status == "not_applicable"
    assert run(catalog, "us_ftc_safeguards", FTC, {"discovered": "2026-02-11T18:00:00-05:00"}
               )["us_ftc_safeguards.ftc"].status == "deadline"


def test_visa_unknown_country_counts_calendar_days(catalog):
    # Without the organisation's country no holiday calendar is known: every day counts, the earliest possible
    # reading. Aware Wed 2026-11-25 10:00 EST -> 3 days later Sat 2026-11-28, end of day.
    result = run(catalog, "card_visa", CARDS, {"aware": "2026-11-25T10:00:00-05:00"})["card_visa.incident_report"]
    assert result.to_json()["due_at"] == "2026-11-28T23:59:59-05:00"
    assert "conservative" in result.reason


def test_amex_region_unknown_assumes_the_stricter_rule_first(catalog):
    # Region unknown: both the 24 h and the 72 h duty are assumed; the 24 h one (discovered Fri 2026-10-30 12:00 EDT ->
    # Sat 12:00 EDT) comes first.
    results = run(catalog, "card_amex", CARDS, {"discovered": "2026-10-30T12:00:00-04:00"})
    first, second = results["card_amex.eirp_24h"], results["card_amex.eirp_72h"]
    assert "amex_region" in first.missing_facts and "amex_region" in second.missing_facts
    assert first.due_at == T("2026-10-31T12:00:00-04:00") and second.due_at > first.due_at


def test_brand_rules_only_for_the_brands_held(catalog):
    facts = CARDS | {"card_accounts": {"VISA": 1200}}  # no Mastercard account: its key is 0
    assert run(catalog, "card_mastercard", facts, {"aware": "2026-07-01T09:00:00Z"}
               )["card_mastercard.adc_report"].status == "not_applicable"


# NAIC model #668 s.6(A): the commissioner within 72 h of the determination, where the state is the domicile or 250+
# of its residents are involved (and the event must be reported elsewhere / may materially harm).
# Spring case: determined Fri 2026-03-06 12:00 local standard time; +72 h elapsed; US summer time began Sun 03-08
# (02:00 local), so Mon 03-09 13:00 local daylight time. Autumn case (250 residents, not domiciled there): determined
# Fri 2026-10-30 20:00 local daylight time; +72 h; summer time ended Sun 11-01, so Mon 11-02 19:00 local standard time.
# Hawaii keeps HST (-10:00) all year: 12:00 -> Mon 12:00, and 20:00 -> Mon 20:00.
EASTERN = ("-05:00", "-04:00")
CENTRAL = ("-06:00", "-05:00")
NAIC_72H = {"CT": EASTERN, "DE": EASTERN, "IN": EASTERN, "KY": EASTERN, "ME": EASTERN, "NH": EASTERN, "OH": EASTERN,
            "SC": EASTERN, "VA": EASTERN, "IA": CENTRAL, "LA": CENTRAL, "MN": CENTRAL, "MS": CENTRAL, "ND": CENTRAL,
            "TN": CENTRAL, "WI": CENTRAL, "HI": ("-10:00", "-10:00")}


def _naic_cases():
    for state, (standard, summer) in NAIC_72H.items():
        low = state.lower()
        spring_due = "2026-03-09T12:00:00" if state == "HI" else "2026-03-09T13:00:00"
        autumn_due = "2026-11-02T20:00:00" if state == "HI" else "2026-11-02T19:00:00"
        yield pytest.param(f"us_ins_{low}", {"insurance_domicile": state},
                           f"2026-03-06T12:00:00{standard}", spring_due + summer, id=f"{state}-domicile-spring")
        yield pytest.param(f"us_ins_{low}", {"insurance_domicile": "NY", "residents": {state: 250},
                                             "insurance_event_reportable": True},
                           f"2026-10-30T20:00:00{summer}", autumn_due + standard, id=f"{state}-250-residents-autumn")
    # Alabama: three business days on the Alabama calendar. Determined Thu 2026-12-24 10:00 CST: Fri 12-25 Christmas,
    # weekend, Mon 12-28 (1), Tue (2), Wed 2026-12-30 (3), end of day.
    yield pytest.param("us_ins_al", {"insurance_domicile": "AL"}, "2026-12-24T10:00:00-06:00",
                       "2026-12-30T23:59:59-06:00", id="AL-3-business-days-christmas")
    # Confederate Memorial Day (fourth Monday of April, an Alabama state holiday, Ala. Code 1-3-8): determined Fri
    # 2026-04-24 16:00 CDT: Mon 04-27 closed, Tue 04-28 (1), Wed (2), Thu 2026-04-30 (3).
    yield pytest.param("us_ins_al", {"insurance_domicile": "AL"}, "2026-04-24T16:00:00-05:00",
                       "2026-04-30T23:59:59-05:00", id="AL-3-business-days-state-holiday")
    # Michigan: 10 days. Determined Sat 2026-10-24 21:00 EDT: 10-24 + 10 = Tue 2026-11-03, end of day EST.
    yield pytest.param("us_ins_mi", {"insurance_domicile": "MI"}, "2026-10-24T21:00:00-04:00",
                       "2026-11-03T23:59:59-05:00", id="MI-10-days-dst")
    # 2026-02-20 04:00 UTC is Thu 02-19 23:00 EST in Detroit: 02-19 + 10 = Sun 2026-03-01, end of day EST.
    yield pytest.param("us_ins_mi", {"insurance_domicile": "MI"}, "2026-02-20T04:00:00Z",
                       "2026-03-01T23:59:59-05:00", id="MI-10-days-local-day")


@pytest.mark.parametrize("regime, facts, determined, expected", list(_naic_cases()))
def test_naic_commissioner(regime, facts, determined, expected, catalog):
    result = run(catalog, regime, {"insurance_licensee": True} | facts, {"determined": determined})[f"{regime}.commissioner"]
    assert result.status == "deadline", result.reason
    assert result.to_json()["due_at"] == expected, result.reason


@pytest.mark.parametrize("facts, applies", [
    # s.6(A)(2): 250 or more residents -> 249 no, 250 yes (with a reportable / harmful event); domicile alone suffices.
    ({"insurance_domicile": "NY", "residents": {"SC": 249}, "insurance_event_reportable": True}, False),
    ({"insurance_domicile": "NY", "residents": {"SC": 250}, "insurance_event_reportable": True}, True),
    ({"insurance_domicile": "NY", "residents": {"SC": 5000}, "insurance_event_reportable": False}, False),
    ({"insurance_domicile": "SC", "residents": {"SC": 0}}, True),
])
def test_naic_applicability(facts, applies, catalog):
    result = run(catalog, "us_ins_sc", {"insurance_licensee": True} | facts,
                 {"determined": "2026-03-06T12:00:00-05:00"})["us_ins_sc.commissioner"]
    assert (result.status != "not_applicable") is applies, result.reason
