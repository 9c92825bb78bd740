"""A drill story per kind of playbook, chosen from what the playbook does.

A drill shows what its playbook is for. The story is picked from the
playbook's own settings, not its name, so an organisation's own playbooks
get the right one too:

* a private channel: a personal-data breach (the affected system named, facts
  derived from it and confirmed by legal, legal clocks, the comms lead and
  legal nudged, the first person paged does not answer and the deputy is paged);
* paging that declares a labor-law exception: a critical outage at night,
  paged under the exception, with its compensatory rest;
* paging held until working hours (low urgency only): a minor problem
  reported in the evening, its page held until the morning;
* no paging at all: a low-severity issue tracked without waking anyone;
* anything else: a major outage on a working afternoon, a public channel and
  an acknowledgement within minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Story:
    name: str
    shows: str  # what the playbook is for, said at the start of the drill
    at: datetime  # when it is declared (the drill's --at overrides)
    title: str
    facts: dict[str, Any] = field(default_factory=dict)
    first_paged_answers: bool = True  # False: the first person paged never answers, so the deputy is paged
    legal_clocks: tuple[str, ...] = ()  # triggers recorded AWARE_AFTER the declaration (awareness, discovery)
    legal_clock_reason: str = ""
    # The legal steps (bot.drill.legal_story): systems named SYSTEMS_AFTER the declaration, then, when legal
    # becomes aware, facts legal records (findings) and derived facts legal confirms.
    systems: tuple[str, ...] = ()
    findings: dict[str, Any] = field(default_factory=dict)
    confirms: tuple[str, ...] = ()
    status_text: str = "Mitigation in progress; next update at the usual cadence."
    # A public statement the external owner drafts STATEMENT_AFTER the declaration (bot.drill.statement_story);
    # empty: none.
    statement: str = ""
    statement_status: str = "investigating"
    resolve_after: timedelta = timedelta(hours=2)
    resolve_summary: str = "Recovered."
    close_after_resolve: timedelta = timedelta(days=1)
    close_summary: str = "Closed after the review."


# An outage without personal data at an entity outside NIS2 and DORA: no regime applies, and none is assumed.
NO_LEGAL_DUTY: dict[str, Any] = {"significant_incident": False, "major_ict_incident": False, "nis2_entity": False,
                                 "dora_financial_entity": False, "personal_data_breach": False}

BREACH = Story(
    name="personal-data breach",
    shows="a private channel, the affected system named and the duty list shrinking from \"assumed\" to the real "
          "duties as facts are derived and confirmed, legal notification clocks (GDPR, US states) with nudges to "
          "legal and the comms lead, and an escalation when the first person paged does not answer on Christmas night",
    at=datetime.fromisoformat("2026-12-25T02:00:00+01:00"),  # Christmas night in Munich
    title="Customer records exposed through a leaked backup credential",
    # What the reporter knows at 02:00: the organisation's standing answers; the rest is derived and confirmed.
    facts={"nis2_entity": False, "dora_financial_entity": False, "entity_zone": "Europe/Berlin"},
    first_paged_answers=False,
    legal_clocks=("aware", "discovered"),  # EU law counts from awareness, US state laws from discovery
    legal_clock_reason="personal data breach confirmed from the access logs",
    systems=("backup-store",),  # what the leaked backup credential reaches
    # What the access logs show. card_data_compromise corrects a derived fact: backup-store also holds card data,
    # but those dumps are encrypted with keys kept apart and were not read.
    findings={"card_data_compromise": False, "affected_individuals": 1800, "gdpr_role": "controller",
              "risk_level": "risk", "uk_gdpr_in_scope": False, "significant_incident": False,
              "extortion_payment_made": False},
    confirms=("personal_data_breach", "gdpr_in_scope", "personal_information_breach", "residents"),
    status_text="Access revoked and backups rotated; scoping the affected records with the logs.",
    statement="We are investigating unauthorised access to one of our backup systems. We have closed the access "
              "and will contact the customers affected directly as soon as we know who they are.",
    resolve_after=timedelta(hours=6),
    resolve_summary="Leaked credential revoked; no further access since 02:40.",
    close_after_resolve=timedelta(days=3),
    close_summary="A backup credential leaked through a misconfigured CI log. Access was revoked within 40 minutes; "
                  "1,800 customers were notified. Follow-ups: secret scanning in CI, short-lived backup credentials.",
)

CRITICAL = Story(
    name="critical outage at night",
    shows="the on-call engineer paged on Christmas night under the labor-law emergency exception, with the "
          "justification and compensatory rest recorded, status updates every 30 minutes, and the NIS2 clocks of "
          "an essential entity",
    at=datetime.fromisoformat("2026-12-25T02:00:00+01:00"),
    title="Checkout is down for all customers",
    facts={"nis2_entity": True, "significant_incident": True, "nis2_trust_service_provider": False,
           "dora_financial_entity": False, "major_ict_incident": False, "personal_data_breach": False,
           "entity_zone": "Europe/Berlin"},
    legal_clocks=("aware",),
    legal_clock_reason="legal confirms a significant incident of an essential entity (NIS2 Art. 23)",
    status_text="Payment provider timeouts traced to an expired certificate; renewing it now.",
    resolve_after=timedelta(hours=2),
    resolve_summary="Certificate renewed; checkout error rate back to normal since 03:55.",
    close_after_resolve=timedelta(days=3),
    close_summary="An expired client certificate to the payment provider stopped checkout for 1 h 55 min. "
                  "Follow-ups: certificate expiry alerts 30 days ahead, a runbook for renewing it.",
)

MAJOR = Story(
    name="major outage on a working afternoon",
    shows="a public incident channel, the on-call engineer paged and acknowledging within minutes, hourly "
          "status updates in the channel and the feed, and no legal duty for an outage without personal data",
    at=datetime.fromisoformat("2026-12-16T15:30:00+01:00"),  # a Wednesday afternoon
    title="Card payments fail for some customers in the EU",
    facts=NO_LEGAL_DUTY,
    status_text="Errors limited to one card processor; traffic shifted to the backup processor.",
    resolve_after=timedelta(hours=3),
    resolve_summary="Traffic on the backup processor; the primary processor confirmed and fixed their fault.",
    close_after_resolve=timedelta(days=1),
    close_summary="A fault at one card processor failed 4% of EU card payments for 2 h 40 min. Follow-ups: "
                  "automatic failover to the backup processor.",
)

MINOR = Story(
    name="minor problem in the evening",
    shows="a low-urgency page held until the on-call engineer's working hours begin (no one is woken for a "
          "minor problem) and status updates every 4 hours",
    at=datetime.fromisoformat("2026-12-16T20:30:00+01:00"),  # a Wednesday evening
    title="Search results are slow for some customers",
    facts=NO_LEGAL_DUTY,
    status_text="Slow queries traced to a missing index; rebuilding it.",
    resolve_after=timedelta(hours=16),
    resolve_summary="Index rebuilt; search latency back to normal.",
    close_after_resolve=timedelta(days=1),
    close_summary="A missing index after a migration slowed search for a day. Follow-up: index checks in the "
                  "migration review.",
)

LOW = Story(
    name="low-severity issue",
    shows="an issue tracked in its own channel with a daily status update, without paging anyone",
    at=datetime.fromisoformat("2026-12-16T11:00:00+01:00"),
    title="Typo in the invoice e-mail footer",
    facts={"significant_incident": False, "nis2_entity": False, "dora_financial_entity": False,
           "personal_data_breach": False},
    status_text="Fix merged; it ships with the next release.",
    resolve_after=timedelta(hours=5),
    resolve_summary="Corrected footer released.",
    close_after_resolve=timedelta(days=1),
    close_summary="A typo in the invoice footer, corrected in the next release.",
)


def story_for(playbook: Any) -> Story:
    """The story that shows what ``playbook`` is for (see the module docstring for the order)."""
    if playbook.channel.private:
        return BREACH
    if any(page.exception is not None for page in playbook.paging):
        return CRITICAL
    if not playbook.paging:
        return LOW
    if all(page.urgency == "low" for page in playbook.paging):
        return MINOR
    return MAJOR
