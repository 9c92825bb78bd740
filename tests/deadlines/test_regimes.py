"""Table-driven checks of the shipped catalog. Every expected due time is derived by hand in the comment
next to it, from the rule and its source (never copied from the engine's output)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.deadlines.assess import Situation, assess

GDPR = {"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller", "risk_level": "risk"}
NIS2 = {"nis2_entity": True, "significant_incident": True, "nis2_trust_service_provider": False}
DORA = {"dora_financial_entity": True, "major_ict_incident": True, "member_state": "DE", "entity_zone": "Europe/Berlin",
        "nis2_identified": False}
HIPAA = {"unsecured_phi_breach": True, "hipaa_covered_entity": True, "affected_individuals": 900,
         "max_residents_in_one_state": 900}


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (case, regime, facts, triggers, submitted, obligation, expected due_at in the rule's zone, estimated)
CASES = [
    # GDPR Art. 33(1): 72 elapsed hours. Aware Fri 2026-03-27 10:00 CET = 09:00 UTC. +72 h = Mon 2026-03-30 09:00 UTC.
    # EU summer time starts Sun 2026-03-29 01:00 UTC, so that is 11:00 CEST (a naive wall-clock sum would say 10:00).
    ("gdpr-eu-spring-dst", "gdpr", GDPR, {"aware": "2026-03-27T10:00:00+01:00"}, {}, "gdpr.authority",
     "2026-03-30T11:00:00+02:00", False),
    # Aware Fri 2026-10-23 10:00 CEST = 08:00 UTC; +72 h = Mon 2026-10-26 08:00 UTC; summer time ended Sun 25 Oct
    # 01:00 UTC, so 09:00 CET (wall-clock sum would say 10:00: one hour late).
    ("gdpr-eu-autumn-dst", "gdpr", GDPR, {"aware": "2026-10-23T10:00:00+02:00"}, {}, "gdpr.authority",
     "2026-10-26T09:00:00+01:00", False),
    # Hour clocks never roll: aware Thu 2026-12-24 12:00 CET -> +72 h = Sun 2026-12-27 12:00 CET (Reg. 1182/71 Art. 3(4)).
    ("gdpr-no-weekend-roll", "gdpr", GDPR, {"aware": "2026-12-24T12:00:00+01:00"}, {}, "gdpr.authority",
     "2026-12-27T12:00:00+01:00", False),
    # UK GDPR: 72 h; aware Fri 2026-03-27 09:00 GMT; BST starts Sun 29 Mar 01:00 UTC -> Mon 30 Mar 09:00 UTC = 10:00 BST.
    ("uk-gdpr-dst", "uk_gdpr", GDPR | {"uk_gdpr_in_scope": True}, {"aware": "2026-03-27T09:00:00Z"}, {}, "uk_gdpr.ico",
     "2026-03-30T10:00:00+01:00", False),
    # NIS2 Art. 23(4)(a): early warning 24 h after awareness: Mon 2026-03-02 09:00 UTC (10:00 CET) -> Tue 10:00 CET.
    ("nis2-early-warning", "nis2", NIS2, {"aware": "2026-03-02T09:00:00Z"}, {}, "nis2.early_warning",
     "2026-03-03T10:00:00+01:00", False),
    # NIS2 final, before the notification is submitted: notification due aware + 72 h = Thu 2026-03-05 09:00 UTC
    # (10:00 CET); final = one month later at the same local time = Sun 2026-04-05 10:00, now CEST (+02:00). Estimated.
    ("nis2-final-estimated", "nis2", NIS2, {"aware": "2026-03-02T09:00:00Z"}, {}, "nis2.final",
     "2026-04-05T10:00:00+02:00", True),
    # ... after the notification was submitted Wed 2026-03-04 16:30 UTC (17:30 CET): anchored on the actual
    # submission: Sat 2026-04-04 17:30 CEST. Not estimated.
    ("nis2-final-after-submission", "nis2", NIS2, {"aware": "2026-03-02T09:00:00Z"},
     {"nis2.notification": "2026-03-04T16:30:00Z"}, "nis2.final", "2026-04-04T17:30:00+02:00", False),
    # Month-end clamping: notification submitted Sat 2026-01-31 10:00 CET; 31 February does not exist -> Sat 2026-02-28.
    ("nis2-final-month-end-clamp", "nis2", NIS2, {"aware": "2026-01-29T09:00:00Z"},
     {"nis2.notification": "2026-01-31T09:00:00Z"}, "nis2.final", "2026-02-28T10:00:00+01:00", False),
    # ... and in a leap year: 2028-01-31 -> 2028-02-29.
    ("nis2-final-leap-year", "nis2", NIS2, {"aware": "2028-01-29T09:00:00Z"},
     {"nis2.notification": "2028-01-31T09:00:00Z"}, "nis2.final", "2028-02-29T10:00:00+01:00", False),
    # NIS2 trust service providers: notification within 24 h (Art. 23(4) 2nd subpara): Mon 10:00 CET -> Tue 10:00 CET.
    ("nis2-trust-service", "nis2", NIS2 | {"nis2_trust_service_provider": True}, {"aware": "2026-03-02T09:00:00Z"}, {},
     "nis2.notification_trust_service", "2026-03-03T10:00:00+01:00", False),
    # DORA initial, relief: aware Fri 2026-03-06 09:00 CET, classified Fri 20:00 CET (within 24 h). Earliest of
    # classified + 4 h = Sat 2026-03-07 00:00 CET and aware + 24 h = Sat 09:00 CET -> Sat 00:00 CET, a weekend day in DE.
    # An insurer gets CDR 2025/301 Art. 5(4): 12:00 of the next working day = Mon 2026-03-09 12:00 CET.
    ("dora-insurer-relief", "dora", DORA | {"dora_entity_type": "insurer"},
     {"aware": "2026-03-06T09:00:00+01:00", "classified_major": "2026-03-06T20:00:00+01:00"}, {}, "dora.initial",
     "2026-03-09T12:00:00+01:00", False),
    # ... a credit institution is excluded from the relief for the initial notification (Art. 5(5)): Sat 00:00 CET stands.
    ("dora-credit-institution-no-relief", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-06T09:00:00+01:00", "classified_major": "2026-03-06T20:00:00+01:00"}, {}, "dora.initial",
     "2026-03-07T00:00:00+01:00", False),
    # ... so is an insurer identified as an essential/important entity under NIS2.
    ("dora-nis2-identified-no-relief", "dora", DORA | {"dora_entity_type": "insurer", "nis2_identified": True},
     {"aware": "2026-03-06T09:00:00+01:00", "classified_major": "2026-03-06T20:00:00+01:00"}, {}, "dora.initial",
     "2026-03-07T00:00:00+01:00", False),
    # Bank holiday: classified Thu 2026-04-02 22:00 CEST -> +4 h = Fri 2026-04-03 02:00 CEST (Good Friday, a German
    # public holiday); aware + 24 h is later. Relief: Sat, Sun, Easter Monday 04-06 (holiday) -> Tue 2026-04-07 12:00 CEST.
    ("dora-easter-relief", "dora", DORA | {"dora_entity_type": "insurer"},
     {"aware": "2026-04-02T10:00:00+02:00", "classified_major": "2026-04-02T22:00:00+02:00"}, {}, "dora.initial",
     "2026-04-07T12:00:00+02:00", False),
    # Weekend incident across the EU spring DST change (Sun 2026-03-29 01:00 UTC), whole DORA chain. Aware Sat 03-28
    # 09:00 CET (08:00 UTC), classified Sat 12:00 CET (11:00 UTC). Initial = earliest of classified + 4 h = Sat 16:00 CET
    # (15:00 UTC) and aware + 24 h = Sun 08:00 UTC -> Sat 15:00 UTC, a Saturday.
    # Insurer (relief, Art. 5(4)): 12:00 of the next working day in DE = Mon 2026-03-30 12:00 CEST (10:00 UTC).
    ("dora-weekend-insurer-initial", "dora", DORA | {"dora_entity_type": "insurer"},
     {"aware": "2026-03-28T09:00:00+01:00", "classified_major": "2026-03-28T12:00:00+01:00"}, {}, "dora.initial",
     "2026-03-30T12:00:00+02:00", False),
    # ... intermediate, estimated from the (rolled) initial due time: Mon 10:00 UTC + 72 h = Thu 2026-04-02 10:00 UTC
    # = 12:00 CEST, a working day (Good Friday is 04-03): no roll.
    ("dora-weekend-insurer-intermediate", "dora", DORA | {"dora_entity_type": "insurer"},
     {"aware": "2026-03-28T09:00:00+01:00", "classified_major": "2026-03-28T12:00:00+01:00"}, {}, "dora.intermediate",
     "2026-04-02T12:00:00+02:00", True),
    # ... final: one month after the estimated intermediate, same local time = Sat 2026-05-02 12:00 CEST: a weekend;
    # Sun 05-03 too; Mon 2026-05-04 is a working day (05-01 Labour Day is before it) -> Mon 05-04 12:00 CEST.
    ("dora-weekend-insurer-final", "dora", DORA | {"dora_entity_type": "insurer"},
     {"aware": "2026-03-28T09:00:00+01:00", "classified_major": "2026-03-28T12:00:00+01:00"}, {}, "dora.final",
     "2026-05-04T12:00:00+02:00", True),
    # Same incident, credit institution (no relief for initial and intermediate, Art. 5(5)): initial Sat 2026-03-28
    # 16:00 CET stands.
    ("dora-weekend-credit-institution-initial", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-28T09:00:00+01:00", "classified_major": "2026-03-28T12:00:00+01:00"}, {}, "dora.initial",
     "2026-03-28T16:00:00+01:00", False),
    # ... intermediate: Sat 15:00 UTC + 72 h = Tue 2026-03-31 15:00 UTC = 17:00 CEST (a wall-clock sum would say 16:00).
    ("dora-weekend-credit-institution-intermediate", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-28T09:00:00+01:00", "classified_major": "2026-03-28T12:00:00+01:00"}, {}, "dora.intermediate",
     "2026-03-31T17:00:00+02:00", True),
    # ... final: 31 March + 1 month = 31 April does not exist -> clamped to Thu 2026-04-30 17:00 CEST, a working day.
    ("dora-weekend-credit-institution-final", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-28T09:00:00+01:00", "classified_major": "2026-03-28T12:00:00+01:00"}, {}, "dora.final",
     "2026-04-30T17:00:00+02:00", True),
    # Relief is computed in the entity's own zone: a Finnish insurer (Europe/Helsinki, EET = UTC+2). Aware Sat 2026-02-28
    # 20:00 UTC, classified Sun 03-01 19:30 UTC: earliest of Sun 23:30 UTC and Sun 20:00 UTC -> Sun 20:00 UTC
    # (Sun 22:00 in Helsinki). Next working day in FI: Mon 2026-03-02, 12:00 EET = 10:00 UTC (12:00 Brussels would be
    # 11:00 UTC: one hour late).
    ("dora-relief-in-the-entity-zone", "dora",
     DORA | {"dora_entity_type": "insurer", "member_state": "FI", "entity_zone": "Europe/Helsinki"},
     {"aware": "2026-02-28T20:00:00Z", "classified_major": "2026-03-01T19:30:00Z"}, {}, "dora.initial",
     "2026-03-02T12:00:00+02:00", False),
    # Override (Art. 5(1)(a)): classified Wed 2026-03-04 10:00 CET, more than 24 h after awareness Mon 09:00 CET:
    # 4 h from classification = Wed 14:00 CET (not aware + 24 h = Tue 09:00, which precedes the classification).
    ("dora-late-classification", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-02T09:00:00+01:00", "classified_major": "2026-03-04T10:00:00+01:00"}, {}, "dora.initial",
     "2026-03-04T14:00:00+01:00", False),
    # Around the 24 h boundary (Art. 5(1)(a)): aware Mon 2026-03-02 09:00 CET. Classified Tue 08:59 CET (23 h 59 min
    # later): 4 h from classification (Tue 12:59) is capped by 24 h from awareness -> Tue 2026-03-03 09:00 CET, one
    # minute after classifying. Classified Tue 09:01 (more than 24 h later): the override gives Tue 13:01 CET.
    ("dora-classified-just-within-24h", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-02T09:00:00+01:00", "classified_major": "2026-03-03T08:59:00+01:00"}, {}, "dora.initial",
     "2026-03-03T09:00:00+01:00", False),
    ("dora-classified-just-after-24h", "dora", DORA | {"dora_entity_type": "credit_institution"},
     {"aware": "2026-03-02T09:00:00+01:00", "classified_major": "2026-03-03T09:01:00+01:00"}, {}, "dora.initial",
     "2026-03-03T13:01:00+01:00", False),
    # SEC Item 1.05: four business days after the determination, due by 17:30 ET that day (EDGAR gives a filing
    # submitted later the next business day's date, Reg. S-T Rule 13(a)). Determined Wed 2026-07-01. 4 July 2026 is a Saturday,
    # observed Fri 07-03. Business days: Thu 07-02 (1), [Fri holiday, weekend], Mon 07-06 (2), Tue (3), Wed 07-08 (4).
    ("sec-observed-independence-day", "sec_8k", {"sec_registrant": True},
     {"materiality_determined": "2026-07-01T10:00:00-04:00"}, {}, "sec_8k.item_1_05", "2026-07-08T17:30:00-04:00", False),
    # New Year's Day 2028 is a Saturday, observed Fri 2027-12-31 (in the previous year). Determined Wed 2027-12-29:
    # Thu 12-30 (1), [Fri observed holiday, weekend], Mon 2028-01-03 (2), Tue (3), Wed 2028-01-05 (4). EST.
    # (Item 1.05 applies from 2023-12-18, so the 2021/22 instance of this calendar quirk predates the rule.)
    ("sec-new-year-observed-previous-year", "sec_8k", {"sec_registrant": True},
     {"materiality_determined": "2027-12-29T15:00:00-05:00"}, {}, "sec_8k.item_1_05", "2028-01-05T17:30:00-05:00", False),
    # Weekend trigger (Gen. Instr. B.1): determined Sat 2026-03-14 -> the count starts on and includes Mon 03-16 (1),
    # Tue (2), Wed (3), Thu 2026-03-19 (4). EDT since 03-08.
    ("sec-weekend-determination", "sec_8k", {"sec_registrant": True},
     {"materiality_determined": "2026-03-14T11:00:00-04:00"}, {}, "sec_8k.item_1_05", "2026-03-19T17:30:00-04:00", False),
    # Determined ON the observed holiday: Fri 2026-07-03 16:00 EDT. 4 July 2026 is a Saturday, so the federal holiday
    # is observed Fri 07-03 and the Commission is closed that day: Gen. Instr. B.1 starts the count on, and includes,
    # the next business day. Mon 07-06 (1), Tue 07-07 (2), Wed 07-08 (3), Thu 2026-07-09 (4); 17:30 EDT.
    # (A count that started on the Friday itself would end Wed 07-08; one that skipped Monday would end Fri 07-10.)
    ("sec-determined-on-observed-holiday", "sec_8k", {"sec_registrant": True},
     {"materiality_determined": "2026-07-03T16:00:00-04:00"}, {}, "sec_8k.item_1_05", "2026-07-09T17:30:00-04:00", False),
    # Thanksgiving: determined Mon 2026-11-23: Tue (1), Wed (2), [Thu 11-26 Thanksgiving], Fri (3), Mon 2026-11-30 (4).
    ("sec-thanksgiving", "sec_8k", {"sec_registrant": True},
     {"materiality_determined": "2026-11-23T09:00:00-05:00"}, {}, "sec_8k.item_1_05", "2026-11-30T17:30:00-05:00", False),
    # HIPAA 164.404: 60 calendar days after discovery. Discovered Tue 2026-02-10 (EST). Feb 10 + 18 = Feb 28,
    # + 31 = Mar 31 (49 days), + 11 = Apr 11 (60). End of that day in New York, now EDT (US change on 2026-03-08).
    ("hipaa-individuals-us-dst", "hipaa", HIPAA, {"discovered": "2026-02-10T15:00:00-05:00"}, {}, "hipaa.individuals",
     "2026-04-11T23:59:59-04:00", False),
    # HIPAA 164.408(c), fewer than 500: 60 days after the end of the calendar year of discovery:
    # 2026-12-31 + 31 (Jan) + 28 (Feb) = Feb 28 is day 59 -> day 60 = 2027-03-01.
    ("hipaa-under-500-year-end", "hipaa", HIPAA | {"affected_individuals": 12}, {"discovered": "2026-05-10T10:00:00-04:00"},
     {}, "hipaa.hhs_under_500", "2027-03-01T23:59:59-05:00", False),
    # ... discovered in 2027: 2028 is a leap year, Jan 31 + Feb 29 = day 60 -> 2028-02-29.
    ("hipaa-under-500-leap-year", "hipaa", HIPAA | {"affected_individuals": 12}, {"discovered": "2027-05-10T10:00:00-04:00"},
     {}, "hipaa.hhs_under_500", "2028-02-29T23:59:59-05:00", False),
    # NYDFS 500.17(a): 72 h after determination. Determined Fri 2026-03-06 12:00 EST = 17:00 UTC; +72 h = Mon 03-09
    # 17:00 UTC; US summer time since Sun 03-08, so 13:00 EDT.
    ("nydfs-us-dst", "nydfs", {"nydfs_covered_entity": True, "nydfs_reportable_incident": True},
     {"determined": "2026-03-06T12:00:00-05:00"}, {}, "nydfs.superintendent", "2026-03-09T13:00:00-04:00", False),
    # NYDFS 500.17(c): 24 h after the extortion payment: paid Tue 2026-06-02 18:00 EDT -> Wed 18:00 EDT.
    ("nydfs-extortion", "nydfs", {"nydfs_covered_entity": True, "extortion_payment_made": True},
     {"ransom_paid": "2026-06-02T18:00:00-04:00"}, {}, "nydfs.extortion_notice", "2026-06-03T18:00:00-04:00", False),
    # US banking: 36 h after determination. Determined Fri 2026-10-30 20:00 EDT = Sat 00:00 UTC; +36 h = Sun 11-01
    # 12:00 UTC; US summer time ended Sun 11-01 06:00 UTC, so 07:00 EST.
    ("us-bank-us-dst-end", "us_bank", {"us_banking_organization": True, "notification_incident": True},
     {"determined": "2026-10-30T20:00:00-04:00"}, {}, "us_bank.regulator", "2026-11-01T07:00:00-05:00", False),
    # CERT-In: 6 h after noticing. Fri 2026-05-01 22:00 IST -> Sat 2026-05-02 04:00 IST.
    ("cert-in-6h", "cert_in", {"cert_in_reportable_incident": True}, {"aware": "2026-05-01T22:00:00+05:30"}, {},
     "cert_in.report", "2026-05-02T04:00:00+05:30", False),
    # SOCI s30BC: 12 h. Aware Sat 2026-04-04 20:00 AEDT (+11) = 09:00 UTC; +12 h = 21:00 UTC = Sun 04-05 07:00 AEST:
    # Sydney's summer time ended Sun 04-05 03:00 AEDT (wall-clock sum would say 08:00).
    ("soci-au-dst-end", "au_soci", {"soci_responsible_entity": True, "soci_impact": "significant"},
     {"aware": "2026-04-04T20:00:00+11:00"}, {}, "au_soci.significant", "2026-04-05T07:00:00+10:00", False),
    # SOCI written record 84 h after the oral report (s30BC(3)): reported Sun 2026-04-05 06:00 AEST (Sat 20:00 UTC)
    # -> +84 h = Wed 2026-04-08 08:00 UTC = 18:00 AEST.
    ("soci-written-after-oral", "au_soci", {"soci_responsible_entity": True, "soci_impact": "significant",
                                            "soci_report_oral": True},
     {"aware": "2026-04-04T20:00:00+11:00"}, {"au_soci.significant": "2026-04-05T06:00:00+10:00"},
     "au_soci.significant_written", "2026-04-08T18:00:00+10:00", False),
    # APRA CPS 234 para 35: 72 h. Aware Fri 2026-10-02 09:00 AEST = Thu 23:00 UTC; +72 h = Sun 10-04 23:00 UTC =
    # Mon 10-05 10:00 AEDT (Sydney summer time from Sun 10-04 02:00 AEST).
    ("apra-au-dst-start", "apra_cps234", {"apra_regulated_entity": True, "material_infosec_incident": True},
     {"aware": "2026-10-02T09:00:00+10:00"}, {}, "apra_cps234.incident", "2026-10-05T10:00:00+11:00", False),
    # CPS 234 para 36: 10 business days (NSW calendar). Aware Wed 2026-12-16: Thu 17 (1), Fri 18 (2), Mon 21 (3),
    # Tue 22 (4), Wed 23 (5), Thu 24 (6), [Fri 25 Christmas, Sat 26 Boxing Day, Mon 28 Boxing Day observed in NSW],
    # Tue 29 (7), Wed 30 (8), Thu 31 (9), [Fri 2027-01-01 New Year], Mon 2027-01-04 (10). AEDT.
    ("apra-business-days-christmas", "apra_cps234", {"apra_regulated_entity": True, "material_control_weakness": True},
     {"aware": "2026-12-16T11:00:00+11:00"}, {}, "apra_cps234.control_weakness", "2027-01-04T23:59:59+11:00", False),
    # NDB s26WH: assessment within 30 days: aware Mon 2026-06-01 (AEST) -> 2026-07-01, end of day.
    ("ndb-assessment", "au_ndb", {"app_entity": True, "personal_data_breach": True},
     {"aware": "2026-06-01T09:00:00+10:00"}, {}, "au_ndb.assessment", "2026-07-01T23:59:59+10:00", False),
    # Singapore s26D(1): no later than 3 calendar days after the DAY of the assessment. Assessed Wed 2026-06-10
    # 23:30 SGT -> day 06-10 + 3 = Sat 06-13, end of day.
    ("pdpa-day-of-assessment", "sg_pdpa", {"pdpa_organisation": True, "personal_data_breach": True,
                                           "significant_harm": True},
     {"assessed_notifiable": "2026-06-10T23:30:00+08:00"}, {}, "sg_pdpa.commission", "2026-06-13T23:59:59+08:00", False),
    # ... the same instant given in UTC falls on the local day that counts: 2026-06-10 17:00 UTC = 06-11 01:00 SGT
    # -> 06-11 + 3 = 06-14.
    ("pdpa-local-day-counts", "sg_pdpa", {"pdpa_organisation": True, "personal_data_breach": True,
                                          "significant_harm": True},
     {"assessed_notifiable": "2026-06-10T17:00:00Z"}, {}, "sg_pdpa.commission", "2026-06-14T23:59:59+08:00", False),
    # LGPD: 3 business days (Brazil). Aware Fri 2026-04-17: Mon 04-20 (1), [Tue 04-21 Tiradentes], Wed (2), Thu 04-23 (3).
    ("lgpd-tiradentes", "br_lgpd", {"lgpd_controller": True, "relevant_risk_or_damage": True,
                                    "small_processing_agent": False},
     {"aware": "2026-04-17T10:00:00-03:00"}, {}, "br_lgpd.anpd", "2026-04-23T23:59:59-03:00", False),
    # Small processing agent: doubled, 6 business days: Mon 20 (1), Wed 22 (2), Thu 23 (3), Fri 24 (4), Mon 27 (5),
    # Tue 2026-04-28 (6).
    ("lgpd-small-agent", "br_lgpd", {"lgpd_controller": True, "relevant_risk_or_damage": True,
                                     "small_processing_agent": True},
     {"aware": "2026-04-17T10:00:00-03:00"}, {}, "br_lgpd.anpd_small_agent", "2026-04-28T23:59:59-03:00", False),
    # Texas 521.053: residents by the 60th day after determination: 2026-01-15 + 16 = Jan 31, + 28 = Feb 28 (44),
    # + 16 = Mar 16 (60). Central time, CDT since 03-08.
    ("texas-residents", "us_state_tx", {"personal_information_breach": True, "residents": {"TX": 300}},
     {"determined": "2026-01-15T10:00:00-06:00"}, {}, "us_state_tx.residents", "2026-03-16T23:59:59-05:00", False),
    # Texas AG (at least 250): 30th day after determination: Jan 15 + 30 = Feb 14.
    ("texas-ag", "us_state_tx", {"personal_information_breach": True, "residents": {"TX": 250}},
     {"determined": "2026-01-15T10:00:00-06:00"}, {}, "us_state_tx.attorney_general", "2026-02-14T23:59:59-06:00", False),
    # California AG sample notice 15 days after notifying residents. Before: residents due = discovered 2026-03-01
    # + 30 = 03-31 (end of day, PDT); AG estimated = 03-31 + 15 = 2026-04-15, end of day.
    ("california-ag-estimated", "us_state_ca", {"personal_information_breach": True, "residents": {"CA": 501}},
     {"discovered": "2026-03-01T10:00:00-08:00"}, {}, "us_state_ca.attorney_general", "2026-04-15T23:59:59-07:00", True),
    # ... after the residents were notified Fri 2026-03-20 15:00 PDT: 03-20 + 15 = Sat 2026-04-04, end of day.
    ("california-ag-after-submission", "us_state_ca", {"personal_information_breach": True, "residents": {"CA": 501}},
     {"discovered": "2026-03-01T10:00:00-08:00"}, {"us_state_ca.residents": "2026-03-20T15:00:00-07:00"},
     "us_state_ca.attorney_general", "2026-04-04T23:59:59-07:00", False),
    # Vermont AG preliminary notice: 14 business days on the Vermont calendar. Discovered Mon 2026-02-23: Tue 24 (1),
    # Wed (2), Thu (3), Fri 27 (4), Mon 03-02 (5), [Tue 03-03 Town Meeting Day], Wed 4 (6), Thu 5 (7), Fri 6 (8),
    # Mon 9 (9), Tue 10 (10), Wed 11 (11), Thu 12 (12), Fri 13 (13), Mon 2026-03-16 (14). EDT.
    ("vermont-town-meeting-day", "us_state_vt", {"personal_information_breach": True, "residents": {"VT": 3}},
     {"discovered": "2026-02-23T10:00:00-05:00"}, {}, "us_state_vt.attorney_general_preliminary",
     "2026-03-16T23:59:59-04:00", False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_due_time(case, catalog):
    _id, regime, facts, triggers, submitted, obligation, expected, estimated = case
    situation = Situation(triggers={k: T(v) for k, v in triggers.items()}, facts=facts,
                          submitted={k: T(v) for k, v in submitted.items()}, at=T("2026-11-22T09:00:00+00:00"))
    result = {a.obligation: a for a in assess(catalog, [regime], situation)}[obligation]
    assert result.status == "deadline", result.reason
    assert result.to_json()["due_at"] == expected, result.reason
    assert result.due_at == T(expected)
    assert result.estimated is estimated
    assert result.citation


THRESHOLDS = [
    # HIPAA 164.408(b): "500 or more" -> 499 no, 500 yes. 164.408(c) is the < 500 annual log: 499 yes, 500 no.
    ("hipaa", HIPAA | {"affected_individuals": 499}, "hipaa.hhs_500_or_more", False),
    ("hipaa", HIPAA | {"affected_individuals": 500}, "hipaa.hhs_500_or_more", True),
    ("hipaa", HIPAA | {"affected_individuals": 499}, "hipaa.hhs_under_500", True),
    ("hipaa", HIPAA | {"affected_individuals": 500}, "hipaa.hhs_under_500", False),
    # HIPAA 164.406: "more than 500 residents of a State" -> 500 no, 501 yes.
    ("hipaa", HIPAA | {"max_residents_in_one_state": 500}, "hipaa.media", False),
    ("hipaa", HIPAA | {"max_residents_in_one_state": 501}, "hipaa.media", True),
    # Cal. Civ. Code 1798.82(f): more than 500 California residents.
    ("us_state_ca", {"personal_information_breach": True, "residents": {"CA": 500}}, "us_state_ca.attorney_general", False),
    ("us_state_ca", {"personal_information_breach": True, "residents": {"CA": 501}}, "us_state_ca.attorney_general", True),
    # Texas 521.053(i): at least 250 Texas residents.
    ("us_state_tx", {"personal_information_breach": True, "residents": {"TX": 249}}, "us_state_tx.attorney_general", False),
    ("us_state_tx", {"personal_information_breach": True, "residents": {"TX": 250}}, "us_state_tx.attorney_general", True),
    # Singapore: significant scale = 500 or more individuals (without significant harm).
    ("sg_pdpa", {"pdpa_organisation": True, "personal_data_breach": True, "significant_harm": False,
                 "affected_individuals": 499}, "sg_pdpa.commission", False),
    ("sg_pdpa", {"pdpa_organisation": True, "personal_data_breach": True, "significant_harm": False,
                 "affected_individuals": 500}, "sg_pdpa.commission", True),
    # A state statute does not apply without residents of that state.
    ("us_state_tx", {"personal_information_breach": True, "residents": {"CA": 900}}, "us_state_tx.residents", False),
]


@pytest.mark.parametrize("regime, facts, obligation, applies", THRESHOLDS)
def test_thresholds(regime, facts, obligation, applies, catalog):
    situation = Situation(triggers={"discovered": T("2026-03-01T10:00:00+00:00"),
                                    "determined": T("2026-03-01T10:00:00+00:00"),
                                    "assessed_notifiable": T("2026-03-01T10:00:00+00:00")}, facts=facts)
    result = {a.obligation: a for a in assess(catalog, [regime], situation)}[obligation]
    assert (result.status != "not_applicable") is applies, result.reason


def test_proposed_regime_is_informational_only(catalog):
    situation = Situation(triggers={"aware": T("2026-03-02T10:00:00+00:00")}, facts={"circia_covered_entity": True},
                          at=T("2026-11-22T09:00:00+00:00"))
    result = {a.obligation: a for a in assess(catalog, ["circia"], situation)}["circia.covered_incident"]
    assert (result.status, result.legal) == ("informational", False)
    assert "proposed" in result.reason


def test_unknown_facts_never_hide_an_obligation(catalog):
    situation = Situation(triggers={"aware": T("2026-03-02T10:00:00+00:00")}, facts={"gdpr_in_scope": True})
    result = {a.obligation: a for a in assess(catalog, ["gdpr"], situation)}["gdpr.authority"]
    assert result.status == "deadline"
    assert set(result.missing_facts) == {"personal_data_breach", "gdpr_role", "risk_level"}
    assert "assumed to apply" in result.reason


def test_clock_not_started_is_pending(catalog):
    situation = Situation(triggers={"discovered": T("2026-03-02T10:00:00+00:00")}, facts={"sec_registrant": True})
    result = {a.obligation: a for a in assess(catalog, ["sec_8k"], situation)}["sec_8k.item_1_05"]
    assert (result.status, result.due_at) == ("pending", None)
    assert "materiality_determined" in result.reason


def test_dora_relief_unknown_entity_type_is_conservative(catalog):
    # same Saturday 00:00 CET limit as the relief case; without the entity type no relief is granted
    situation = Situation(triggers={"aware": T("2026-03-06T09:00:00+01:00"),
                                    "classified_major": T("2026-03-06T20:00:00+01:00")},
                          facts={k: v for k, v in DORA.items()})
    result = {a.obligation: a for a in assess(catalog, ["dora"], situation)}["dora.initial"]
    assert result.to_json()["due_at"] == "2026-03-07T00:00:00+01:00"
    assert "conservative" in result.reason


def test_dora_relief_needs_the_entity_zone(catalog):
    # The Finnish insurer above without entity_zone: the rule would be computed in Europe/Brussels, and 12:00 there is
    # 13:00 in Helsinki, so relief is withheld until the zone is known: Sun 2026-03-01 20:00 UTC (earlier) stands.
    facts = {k: v for k, v in DORA.items() if k != "entity_zone"} | {"dora_entity_type": "insurer", "member_state": "FI"}
    situation = Situation(triggers={"aware": T("2026-02-28T20:00:00Z"), "classified_major": T("2026-03-01T19:30:00Z")},
                          facts=facts)
    result = {a.obligation: a for a in assess(catalog, ["dora"], situation)}["dora.initial"]
    assert result.due_at == T("2026-03-01T20:00:00Z"), result.reason
    assert "entity_zone" in result.reason and "conservative" in result.reason
