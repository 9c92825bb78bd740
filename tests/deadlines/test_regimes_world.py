"""Hand-derived cases for the regimes outside the EU/US core: EU CRA, India DPDP, Japan APPI, Switzerland (nFADP,
ISA), Canada PIPEDA, South Africa POPIA and UK PECR. Each expected time is worked out in the comment next to it, in
the regime's own zone and calendar, from the rule and its source (never copied from the engine's output)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.deadlines.assess import Situation, assess

NOW = "2026-12-01T09:00:00+00:00"
CRA = {"cra_manufacturer": True, "cra_exploited_vulnerability": True, "cra_severe_incident": False}
CRA_INCIDENT = {"cra_manufacturer": True, "cra_exploited_vulnerability": False, "cra_severe_incident": True}
DPDP = {"dpdp_data_fiduciary": True, "personal_data_breach": True}
APPI = {"appi_business_operator": True, "personal_data_breach": True, "appi_sensitive_data": False,
        "appi_financial_harm_data": False, "appi_improper_purpose": False, "affected_individuals": 5000}
FADP = {"ch_fadp_in_scope": True, "personal_data_breach": True, "ch_fadp_role": "controller", "risk_level": "high"}
ISA = {"ch_isa_reporting_entity": True, "ch_isa_reportable_cyberattack": True}
PECR = {"pecr_service_provider": True, "personal_data_breach": True}


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run(catalog, regime, facts, triggers, submitted=None, at=NOW):
    situation = Situation(triggers={k: T(v) for k, v in triggers.items()}, facts=facts,
                          submitted={k: T(v) for k, v in (submitted or {}).items()}, at=T(at))
    return {a.obligation: a for a in assess(catalog, [regime], situation)}


# (case, regime, facts, triggers, submitted, obligation, expected due_at in the rule's zone, estimated)
CASES = [
    # CRA Art. 14(2)(a): early warning within 24 h of awareness. Aware Sat 2026-10-24 22:00 CEST = 20:00 UTC; +24 h =
    # Sun 10-25 20:00 UTC. EU summer time ended Sun 10-25 01:00 UTC, so 21:00 CET in Brussels (a wall-clock sum: 22:00).
    ("cra-vulnerability-early-warning-dst", "eu_cra", CRA, {"aware": "2026-10-24T22:00:00+02:00"}, {},
     "eu_cra.vulnerability_early_warning", "2026-10-25T21:00:00+01:00", False),
    # Art. 14(2)(b): notification within 72 h: Tue 2026-10-27 20:00 UTC = 21:00 CET.
    ("cra-vulnerability-notification", "eu_cra", CRA, {"aware": "2026-10-24T22:00:00+02:00"}, {},
     "eu_cra.vulnerability_notification", "2026-10-27T21:00:00+01:00", False),
    # Art. 14(2)(c): final report no later than 14 days after a corrective measure is available. Available Fri
    # 2026-12-18 16:00 in Berlin (the manufacturer's zone): 12-18 + 14 = Fri 2027-01-01 (New Year's Day, no roll),
    # end of that day CET.
    ("cra-vulnerability-final-new-year", "eu_cra", CRA | {"entity_zone": "Europe/Berlin"},
     {"aware": "2026-12-10T09:00:00+01:00", "corrective_measure_available": "2026-12-18T16:00:00+01:00"}, {},
     "eu_cra.vulnerability_final", "2027-01-01T23:59:59+01:00", False),
    # Art. 14(4)(c): incident final report one month after the submission of the incident notification. Aware Mon
    # 2026-09-14 09:00 CEST (07:00 UTC); notification due +72 h = Thu 09-17 07:00 UTC = 09:00 CEST; not submitted, so the
    # final report is estimated one month after that at the same local time: Sat 2026-10-17 09:00 CEST.
    ("cra-incident-final-estimated", "eu_cra", CRA_INCIDENT, {"aware": "2026-09-14T09:00:00+02:00"}, {},
     "eu_cra.incident_final", "2026-10-17T09:00:00+02:00", True),
    # ... notification actually submitted Wed 2026-09-16 18:45 CEST: final = Fri 2026-10-16 18:45 CEST.
    ("cra-incident-final-after-submission", "eu_cra", CRA_INCIDENT, {"aware": "2026-09-14T09:00:00+02:00"},
     {"eu_cra.incident_notification": "2026-09-16T18:45:00+02:00"}, "eu_cra.incident_final",
     "2026-10-16T18:45:00+02:00", False),
    # India DPDP r.7(2)(b): detailed report within 72 h. Aware Mon 2027-05-17 22:30 IST (after commencement on
    # 2027-05-13) -> Thu 2027-05-20 22:30 IST (India has no DST).
    ("dpdp-board-report", "in_dpdp", DPDP, {"aware": "2027-05-17T22:30:00+05:30"}, {}, "in_dpdp.board_report",
     "2027-05-20T22:30:00+05:30", False),
    # Commencement is compared on the local date in India: aware 2027-05-12 19:00 UTC = Thu 2027-05-13 00:30 IST, the
    # first day in force -> legal; +72 h = Sun 2027-05-16 00:30 IST.
    ("dpdp-first-local-day-in-force", "in_dpdp", DPDP, {"aware": "2027-05-12T19:00:00Z"}, {}, "in_dpdp.board_report",
     "2027-05-16T00:30:00+05:30", False),
    # Japan, PPC Rules Art. 8(2): final report within 30 days of knowing; the day of knowing is day 1. Aware Wed
    # 2026-12-16 15:00 JST: Dec 16..31 are days 1-16, Jan 1..14 days 17-30 -> Thu 2027-01-14, end of day. The year-end
    # closure (Dec 29 - Jan 3) does not extend it (no roll).
    ("appi-final-30-days-year-end", "jp_appi", APPI, {"aware": "2026-12-16T15:00:00+09:00"}, {}, "jp_appi.final",
     "2027-01-14T23:59:59+09:00", False),
    # ... improper purpose (e.g. unauthorised access): 60 days: Dec 31 = day 16, Jan 31 = day 47, Feb 13 = day 60 ->
    # Sat 2027-02-13, end of day (no roll).
    ("appi-final-60-days-improper-purpose", "jp_appi", APPI | {"appi_improper_purpose": True},
     {"aware": "2026-12-16T15:00:00+09:00"}, {}, "jp_appi.final_improper_purpose", "2027-02-13T23:59:59+09:00", False),
    # The local day in Japan counts: 2026-12-16 16:00 UTC is Thu 12-17 01:00 JST, so day 1 is Dec 17 and day 30 is
    # Fri 2027-01-15.
    ("appi-local-day-in-japan", "jp_appi", APPI, {"aware": "2026-12-16T16:00:00Z"}, {}, "jp_appi.final",
     "2027-01-15T23:59:59+09:00", False),
    # Swiss ISA Art. 74e: report within 24 h of discovery. Discovered Sat 2026-10-24 23:30 CEST = 21:30 UTC; +24 h =
    # Sun 10-25 21:30 UTC; Swiss summer time ended Sun 10-25 01:00 UTC, so 22:30 CET.
    ("isa-report-dst", "ch_isa", ISA, {"discovered": "2026-10-24T23:30:00+02:00"}, {}, "ch_isa.report",
     "2026-10-25T22:30:00+01:00", False),
    # Complete report 14 days (from discovery, the earlier reading): local day 10-24 + 14 = Sat 2026-11-07, end of day.
    ("isa-supplement-14-days", "ch_isa", ISA, {"discovered": "2026-10-24T23:30:00+02:00"}, {}, "ch_isa.supplement",
     "2026-11-07T23:59:59+01:00", False),
    # UK PECR reg. 5A as amended (72 h): aware Fri 2026-03-27 09:00 GMT; +72 h = Mon 03-30 09:00 UTC = 10:00 BST
    # (British summer time from Sun 03-29 01:00 UTC).
    ("pecr-72h-bst", "uk_pecr", PECR, {"aware": "2026-03-27T09:00:00Z"}, {}, "uk_pecr.ico",
     "2026-03-30T10:00:00+01:00", False),
    # Before the Data (Use and Access) Act change: 24 h. Aware Sat 2025-03-01 10:00 GMT -> Sun 2025-03-02 10:00 GMT.
    ("pecr-24h-before-duaa", "uk_pecr", PECR, {"aware": "2025-03-01T10:00:00Z"}, {}, "uk_pecr.ico_24h",
     "2025-03-02T10:00:00+00:00", False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_due_time(case, catalog):
    _id, regime, facts, triggers, submitted, obligation, expected, estimated = case
    result = run(catalog, regime, facts, triggers, submitted)[obligation]
    assert result.status == "deadline", result.reason
    assert result.to_json()["due_at"] == expected, result.reason
    assert result.due_at == T(expected)
    assert result.estimated is estimated
    assert result.legal and result.citation


def test_cra_before_it_applies_is_informational(catalog):
    # Art. 14 applies from 2026-09-11 (Art. 71(2)): aware Thu 2026-09-10 23:30 CEST is the day before -> information only.
    result = run(catalog, "eu_cra", CRA, {"aware": "2026-09-10T23:30:00+02:00"})["eu_cra.vulnerability_early_warning"]
    assert (result.status, result.legal) == ("informational", False)
    assert "2026-09-11" in result.reason


def test_cra_tracks_follow_the_event(catalog):
    # A severe incident without an exploited vulnerability: the incident track applies, the vulnerability track does not.
    results = run(catalog, "eu_cra", CRA_INCIDENT, {"aware": "2026-10-01T10:00:00+02:00"})
    assert results["eu_cra.vulnerability_early_warning"].status == "not_applicable"
    # Incident early warning: 24 h -> Fri 2026-10-02 10:00 CEST.
    assert results["eu_cra.incident_early_warning"].to_json()["due_at"] == "2026-10-02T10:00:00+02:00"


def test_dpdp_before_commencement_is_informational(catalog):
    # Rule 7 commences 2027-05-13; aware Wed 2027-05-12 23:30 IST (18:00 UTC) is the last day before.
    results = run(catalog, "in_dpdp", DPDP, {"aware": "2027-05-12T18:00:00Z"})
    assert (results["in_dpdp.board_report"].status, results["in_dpdp.board_report"].legal) == ("informational", False)
    assert results["in_dpdp.data_principals"].status == "informational"
    assert "2027-05-13" in results["in_dpdp.board_report"].reason


@pytest.mark.parametrize("count, other, applies", [
    # PPC Rules Art. 7(iv): "more than 1,000" persons -> 1,000 alone does not, 1,001 does; sensitive data at any count.
    (1000, {}, False), (1001, {}, True), (1, {"appi_sensitive_data": True}, True),
])
def test_appi_thresholds(count, other, applies, catalog):
    facts = APPI | {"affected_individuals": count} | other
    result = run(catalog, "jp_appi", facts, {"aware": "2026-06-01T10:00:00+09:00"})["jp_appi.final"]
    assert (result.status != "not_applicable") is applies, result.reason


def test_fadp_is_qualitative_with_internal_target_in_zurich(catalog):
    # FADP Art. 24(1): "as soon as possible" - no legal due time. The 72 h internal target from awareness Sat 2026-03-28
    # 10:00 CET (09:00 UTC) is Tue 03-31 09:00 UTC = 11:00 CEST (Swiss summer time from Sun 03-29).
    result = run(catalog, "ch_fadp", FADP, {"aware": "2026-03-28T10:00:00+01:00"})["ch_fadp.fdpic"]
    assert (result.status, result.due_at, result.legal) == ("qualitative", None, True)
    assert result.internal_targets == (T("2026-03-31T09:00:00Z"),)
    assert "no computable legal deadline" in result.reason


def test_fadp_needs_high_risk(catalog):
    # Art. 24(1) applies only to a breach likely to result in a high risk; "risk" is not enough.
    results = run(catalog, "ch_fadp", FADP | {"risk_level": "risk"}, {"aware": "2026-03-28T10:00:00+01:00"})
    assert results["ch_fadp.fdpic"].status == "not_applicable"
    assert results["ch_fadp.breach_record"].status == "qualitative"  # documentation is always due


def test_fadp_record_retention(catalog):
    # FADO Art. 15(4): keep the documentation two years: aware 2026-03-28 -> 2028-03-28, end of day in Zurich; summer
    # time 2028 starts Sun 03-26, so CEST (21:59:59 UTC).
    result = run(catalog, "ch_fadp", FADP, {"aware": "2026-03-28T10:00:00+01:00"})["ch_fadp.breach_record"]
    assert result.retain_until == T("2028-03-28T23:59:59+02:00")


PIPEDA = {"pipeda_organisation": True, "breach_of_security_safeguards": True}


def test_pipeda_notices_need_real_risk_of_significant_harm(catalog):
    # s.10.1(1),(3): report and notify only with a real risk of significant harm; s.10.3: record every breach.
    results = run(catalog, "ca_pipeda", PIPEDA | {"real_risk_of_significant_harm": False},
                  {"determined": "2026-02-16T11:00:00-05:00"})
    assert results["ca_pipeda.commissioner"].status == "not_applicable"
    assert results["ca_pipeda.individuals"].status == "not_applicable"
    assert results["ca_pipeda.breach_record"].status == "qualitative"
    harmful = run(catalog, "ca_pipeda", PIPEDA | {"real_risk_of_significant_harm": True},
                  {"determined": "2026-02-16T11:00:00-05:00"})
    assert harmful["ca_pipeda.commissioner"].status == "qualitative"
    # "as soon as feasible": no legal time; the 72 h internal target = Thu 2026-02-19 16:00 UTC (11:00 EST).
    assert harmful["ca_pipeda.commissioner"].internal_targets == (T("2026-02-19T16:00:00Z"),)


@pytest.mark.parametrize("determined, zone, keep_until", [
    # SOR/2018-64 s.6(1): 24 months after the day the breach is determined. Determined Mon 2026-02-16 11:00 in Toronto
    # -> keep until 2028-02-16, end of that day (EST).
    ("2026-02-16T11:00:00-05:00", None, "2028-02-16T23:59:59-05:00"),
    # The organisation's own zone decides the day: 2026-02-16 06:00 UTC is Sun 02-15 22:00 in Vancouver ->
    # 2028-02-15 end of day PST.
    ("2026-02-16T06:00:00Z", "America/Vancouver", "2028-02-15T23:59:59-08:00"),
    # Determined on 29 February 2028: 24 months later there is no 29 February -> 2030-02-28.
    ("2028-02-29T10:00:00-05:00", None, "2030-02-28T23:59:59-05:00"),
])
def test_pipeda_record_kept_24_months(determined, zone, keep_until, catalog):
    facts = PIPEDA | ({"entity_zone": zone} if zone else {})
    result = run(catalog, "ca_pipeda", facts, {"determined": determined})["ca_pipeda.breach_record"]
    assert result.retain_until == T(keep_until)
    assert result.to_json()["retain_until"] == T(keep_until).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    assert "keep the record until" in result.reason


POPIA = {"popia_responsible_party": True, "personal_data_breach": True}


def test_popia_responsible_party(catalog):
    # s.22(1): "as soon as reasonably possible after the discovery": qualitative, no risk threshold. The 72 h target
    # from discovery Mon 2026-06-01 08:00 SAST (06:00 UTC) is Thu 06-04 06:00 UTC.
    results = run(catalog, "za_popia", POPIA | {"popia_role": "responsible_party"},
                  {"discovered": "2026-06-01T08:00:00+02:00"})
    assert results["za_popia.regulator"].status == "qualitative"
    assert results["za_popia.regulator"].internal_targets == (T("2026-06-04T06:00:00Z"),)
    assert results["za_popia.operator_to_responsible_party"].status == "not_applicable"


def test_popia_operator(catalog):
    # s.21(2): an operator tells the responsible party immediately (24 h internal target: Tue 06-02 06:00 UTC).
    results = run(catalog, "za_popia", POPIA | {"popia_role": "operator"}, {"discovered": "2026-06-01T08:00:00+02:00"})
    assert results["za_popia.regulator"].status == "not_applicable"
    assert results["za_popia.operator_to_responsible_party"].internal_targets == (T("2026-06-02T06:00:00Z"),)


def test_pecr_rules_switch_on_the_commencement_day(catalog):
    # An incident known in 2026: only the 72 h rule is legal; the 24 h rule is superseded (information only).
    results = run(catalog, "uk_pecr", PECR, {"aware": "2026-03-27T09:00:00Z"})
    assert (results["uk_pecr.ico_24h"].status, results["uk_pecr.ico_24h"].legal) == ("informational", False)
    assert "superseded" in results["uk_pecr.ico_24h"].reason
    # ... and one known in March 2025: the 72 h rule did not apply yet.
    early = run(catalog, "uk_pecr", PECR, {"aware": "2025-03-01T10:00:00Z"})
    assert early["uk_pecr.ico"].status == "informational"
