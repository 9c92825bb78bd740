"""The review draft, checked line by line against an incident built here step by step.

The incident: a personal-data breach declared by Katrin at 02:00 CET on Christmas night 2026 (Munich).
The expected lines follow from what the test does and from the shipped configuration, reasoned by hand:

* Anna is on call (platform rota) and is paged under the ArbZG §14 emergency exception (the security
  playbook declares it); she does not answer, so after her 5-minute ack timeout the deputies are paged.
* Bruno is on leave from 23 to 27 December (people.yaml), so he may not be paged (annual leave,
  Directive 2003/88/EC art. 7): his skip must appear with that rule.
* Carla acknowledges at 02:08; Katrin marks the incident mitigated at 02:40 and resolves it at 08:00.
* Nadia (legal) records awareness at 02:00 CET: GDPR Art. 33(1) gives 72 hours, due 28 December 02:00
  CET (01:00 UTC); she notifies on 27 December at 02:20 CET with reference GDPR-REF-1, so it is met.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.learning.followups import Proposal
from bot.learning.tables import IncidentReview
from tests.learning.conftest import ANNA, CARLA, KATRIN, NADIA, UTC

FACTS = {"personal_data_breach": True, "gdpr_in_scope": True, "gdpr_role": "controller", "risk_level": "risk",
         "affected_individuals": 1800, "uk_gdpr_in_scope": False, "nis2_entity": False,
         "significant_incident": False, "dora_financial_entity": False, "extortion_payment_made": False,
         "personal_information_breach": False, "entity_zone": "Europe/Berlin"}
DECLARED = datetime(2026, 12, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def breach(world_at):
    w = world_at(DECLARED)
    w.incidents.declare("security", "Customer records exposed through a leaked backup credential", actor=KATRIN,
                        key="declare", facts=FACTS)
    w.incidents.record_channel(1, "CINC0001", "inc-1-sec", key="channel")
    w.incidents.assign_role(1, "legal", NADIA, actor=KATRIN, key="legal")
    w.dispatcher.run_due()
    w.at(DECLARED + timedelta(minutes=5))  # Anna's ack timeout: the deputies are paged
    carla = next(p for p in w.incidents.pages(1) if p.slack_user == CARLA)
    w.clock.set(DECLARED + timedelta(minutes=8))
    w.incidents.acknowledge_page(carla.id, actor=CARLA, key="ack")
    w.clock.set(DECLARED + timedelta(minutes=10))
    w.incidents.set_trigger(1, "aware", DECLARED, actor=NADIA, key="aware", reason="confirmed from the access logs")
    w.clock.set(DECLARED + timedelta(minutes=40))
    w.learning.mark_mitigated(1, actor=KATRIN, key="mitigated", note="backup credential revoked")
    w.clock.set(DECLARED + timedelta(hours=6))
    w.incidents.resolve(1, actor=KATRIN, key="resolve", summary="no access since 02:40")
    w.clock.set(datetime(2026, 12, 27, 1, 20, tzinfo=UTC))
    gdpr = next(o for o in w.incidents.obligations(1) if o.obligation == "gdpr.authority")
    w.incidents.mark_notified(gdpr.id, actor=NADIA, key="notified", reference="GDPR-REF-1",
                              submitted_at=w.clock.now())
    w.learning.add_followup(1, Proposal(title="Secret scanning in CI", owner=ANNA, due=date(2027, 1, 29),
                                        cost="3 days", impact="credentials leak again through logs",
                                        likelihood="likely"), actor=KATRIN, key="f1")
    return w


def test_the_draft_says_what_happened(breach):
    draft = breach.learning.draft_review(1, actor=KATRIN, key="draft")
    md = draft.markdown
    assert md.startswith("# Post-incident review (draft): INC-1 Customer records exposed through a leaked backup "
                         "credential\n")
    assert "from the verified timeline:" in md and "DID NOT VERIFY" not in md
    # Milestones in the workspace zone (Europe/Berlin, CET = UTC+1 in December), UTC in brackets.
    assert ("Milestones: detected Fri 25 Dec 02:00 (01:00 UTC); acknowledged Fri 25 Dec 02:08 (01:08 UTC); "
            "mitigated Fri 25 Dec 02:40 (01:40 UTC); resolved Fri 25 Dec 08:00 (07:00 UTC)") in md
    assert "- Detected to acknowledged: 0h 08m" in md
    assert "- Detected to mitigated: 0h 40m" in md
    assert "- Detected to resolved (time to resolve): 6h 00m" in md
    assert "| Fri 25 Dec 02:40 (01:40 UTC) | **mitigated** | Katrin Vogel (Head of Platform) |" in md
    # Who was paged and why; who was skipped, with the rule.
    paged = _section(md, "Who was paged and why")
    assert "| Carla Huber | platform-escalation | 2 | acked |" in paged
    assert "| Anna Berger | platform-escalation | 1 | escalated |" in paged
    bruno = [line for line in paged.splitlines() if "| Bruno Costa |" in line]
    assert any("vacation leave" in line and "Directive 2003/88/EC art. 7" in line for line in bruno)
    # Exceptions: both were paged under the emergency exception of the security playbook.
    exceptions = _section(md, "Labor-law exceptions used")
    assert "| Anna Berger | notfall |" in exceptions and "| Carla Huber | notfall |" in exceptions
    # The legal duty and how it was met.
    duties = _section(md, "Legal duties and how each was met")
    assert ("| gdpr.authority | Lead or competent supervisory authority (Art. 55, 56) | Mon 28 Dec 02:00 (01:00 UTC) | "
            "Sun 27 Dec 02:20 (01:20 UTC) | met | GDPR-REF-1 |") in duties
    followups = _section(md, "Follow-up actions")
    # Security is a rank-1 playbook: the default impact level is severe (5); likely is 4: risk score 20.
    assert "| F-1 | Secret scanning in CI | Anna Berger | 2027-01-29 | open | 3 days | severe x likely (1y) = 20 |" \
        in followups
    for heading in ("Contributing factors", "What went well", "What could have gone better", "Lessons learned"):
        assert f"## {heading}\n\n_To be written by the people involved._" in md
    review = draft.review
    assert review.drafts == 1 and review.due_day == "2027-01-05"  # security: 5 business days on Munich's calendar


def test_the_draft_is_posted_to_the_channel_once_and_kept_with_its_digest(breach):
    draft = breach.learning.draft_review(1, actor=KATRIN, key="draft")
    breach.dispatcher.run_due()
    posted = breach.sent("review:1:draft:")
    assert len(posted) == 1 and posted[0].to == "CINC0001"
    assert posted[0].notice.lines[0] == draft.markdown.splitlines()[0]
    assert breach.learning.draft_review(1, actor=KATRIN, key="draft").replayed  # the same request: nothing new
    breach.dispatcher.run_due()
    assert len(breach.sent("review:1:draft:")) == 1
    with breach.store.session() as s:
        row = s.get(IncidentReview, draft.review.id)
        import hashlib

        assert row.draft_sha256 == hashlib.sha256(draft.markdown.encode()).hexdigest()


def test_only_the_owner_commander_scribe_or_admins_may_draft(breach):
    from bot.incidents.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="may not draft review"):
        breach.learning.draft_review(1, actor=ANNA, key="anna-draft")


def test_a_broken_chain_is_said_at_the_top(breach):
    from sqlmodel import select

    from bot.audit.tables import TimelineEvent

    with breach.store.session() as s:
        ev = s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == 1, TimelineEvent.kind == "note.added")
                    ).first() or s.exec(select(TimelineEvent).where(TimelineEvent.incident_id == 1)
                                        .order_by(TimelineEvent.seq)).first()
        ev.summary = ev.summary + " (edited afterwards)"
        s.add(ev)
    md = breach.learning.draft_review(1, actor=KATRIN, key="draft").markdown
    assert "timeline that DID NOT VERIFY" in md and "**Warning:** the audit chain of this incident is broken" in md


def _section(md: str, heading: str) -> str:
    start = md.index(f"## {heading}\n")
    end = md.find("\n## ", start + 3)
    return md[start:end if end > 0 else None]
