"""Stored obligations: a recorded delay notice moves the due time (on the chain, within the law's limits), a notice
sent before the one the law requires first is recorded as such, and retention ends are kept on the row."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.audit.trail import events, verify_chain
from bot.deadlines.delays import DelayRefused
from bot.deadlines.tables import Obligation
from bot.deadlines.tracker import mark_notified, recompute, record_delay
from bot.incidents.tables import Incident
from tests.deadlines.conftest import utc


def _incident(session, facts, triggers) -> Incident:
    incident = Incident(number=7, title="Breach", severity="security", playbook="security", reporter="U0REPORT",
                        declared_at=utc(2026, 7, 1, 12, 0), facts=facts, triggers=triggers)
    session.add(incident)
    session.flush()
    return incident


def _row(session, incident_id, obligation_id) -> Obligation:
    return session.exec(select(Obligation).where(Obligation.incident_id == incident_id,
                                                 Obligation.obligation_id == obligation_id)).one()


def test_attorney_general_delay_on_the_chain(store, shipped_config):
    with store.session() as s:
        # Determined Wed 2026-07-01 10:00 EDT: due Wed 07-08 17:30 EDT = 21:30 UTC (see test_regimes).
        inc = _incident(s, {"sec_registrant": True}, {"materiality_determined": "2026-07-01T14:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["sec_8k"], actor="U0LEGAL", why="declared", at=utc(2026, 7, 1, 15))
        row = _row(s, inc.id, "sec_8k.item_1_05")
        assert row.due_at == utc(2026, 7, 8, 21, 30)
        # 31 days after 07-08 is too long for the first notice (Item 1.05(c): up to 30 days): refused, nothing changes.
        with pytest.raises(DelayRefused, match="at most 30 days"):
            record_delay(s, row.id, incident=inc, delay="attorney_general", until=utc(2026, 8, 8, 21, 30), reference="DOJ-1",
                         by="U0LEGAL", at=utc(2026, 7, 7, 12))
        assert row.due_at == utc(2026, 7, 8, 21, 30) and row.delays == []
        # Fri 2026-08-07 17:30 EDT (21:30 UTC) is within 30 days.
        record_delay(s, row.id, incident=inc, delay="attorney_general", until=utc(2026, 8, 7, 21, 30), reference="DOJ-1",
                     by="U0LEGAL", at=utc(2026, 7, 7, 12))
        assert row.due_at == utc(2026, 8, 7, 21, 30)
        assert "Item 1.05(c)" in row.reason and "DOJ-1" in row.reason
        delayed = [e for e in events(s, inc.id) if e.kind == "obligation.delayed"]
        assert len(delayed) == 1 and delayed[0].actor == "U0LEGAL"
        assert delayed[0].data["changes"]["due_at"][1].startswith("2026-08-07T21:30")
        # a later recompute (a fact changes) keeps the delay
        inc.facts = {**inc.facts, "sec_registrant": True}
        recompute(s, shipped_config, inc, regimes=["sec_8k"], actor="U0LEGAL", why="fact", at=utc(2026, 7, 8, 12))
        assert _row(s, inc.id, "sec_8k.item_1_05").due_at == utc(2026, 8, 7, 21, 30)
        assert verify_chain(s, inc.id).ok


def test_delay_needs_a_reference_and_a_law_that_allows_it(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"gdpr_in_scope": True, "personal_data_breach": True, "gdpr_role": "controller",
                            "risk_level": "high"}, {"aware": "2026-07-01T10:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["gdpr"], actor="U0LEGAL", why="declared", at=utc(2026, 7, 1, 11))
        row = _row(s, inc.id, "gdpr.authority")
        with pytest.raises(ValueError, match="allows no delay"):
            record_delay(s, row.id, incident=inc, delay="attorney_general", until=utc(2026, 7, 10), reference="X", by="U0LEGAL",
                         at=utc(2026, 7, 2))
        with pytest.raises(ValueError, match="reference"):
            record_delay(s, row.id, incident=inc, delay="attorney_general", until=utc(2026, 7, 10), reference=" ", by="U0LEGAL",
                         at=utc(2026, 7, 2))


def test_consumer_notice_sent_before_the_attorney_general_is_recorded(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"personal_information_breach": True, "residents": {"MD": 12}},
                        {"discovered": "2026-06-01T13:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["us_state_md"], actor="U0LEGAL", why="declared",
                  at=utc(2026, 6, 1, 14))
        residents, ag = _row(s, inc.id, "us_state_md.residents"), _row(s, inc.id, "us_state_md.attorney_general")
        # Residents due 45 days after Mon 2026-06-01 = Thu 07-16 end of day EDT = 07-17 03:59:59 UTC; the AG no later.
        assert ag.due_at == residents.due_at == utc(2026, 7, 17, 3, 59, 59) and ag.estimated
        mark_notified(s, residents.id, incident=inc, by="U0LEGAL", submitted_at=utc(2026, 6, 20, 14), reference="letters",
                      evidence_url="", at=utc(2026, 6, 20, 15))
        notified = [e for e in events(s, inc.id) if e.kind == "obligation.notified"][-1]
        assert notified.data["sent_before"] == ["us_state_md.attorney_general"]
        assert "required before it" in notified.summary
        # the AG notice is now due at the moment the residents were told (overdue), no longer estimated
        assert (ag.due_at, ag.estimated) == (utc(2026, 6, 20, 14), False)


def test_retention_end_is_stored(store, shipped_config):
    with store.session() as s:
        inc = _incident(s, {"pipeda_organisation": True, "breach_of_security_safeguards": True},
                        {"determined": "2026-02-16T16:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["ca_pipeda"], actor="U0LEGAL", why="declared", at=utc(2026, 2, 17))
        # SOR/2018-64 s.6: 24 months after the day of determination (Mon 2026-02-16, Toronto): 2028-02-16 end of day EST.
        assert _row(s, inc.id, "ca_pipeda.breach_record").retain_until == utc(2028, 2, 17, 4, 59, 59)


def test_purge_keeps_a_record_the_law_retains(store, shipped_config):
    from bot.purge.retention import purge

    with store.session() as s:
        inc = _incident(s, {"pipeda_organisation": True, "breach_of_security_safeguards": True},
                        {"determined": "2026-02-16T16:00:00Z"})
        recompute(s, shipped_config, inc, regimes=["ca_pipeda"], actor="U0LEGAL", why="declared", at=utc(2026, 2, 17))
        inc.status, inc.closed_at = "closed", utc(2026, 3, 1)
        s.add(inc)
        s.flush()
        # Retention 30 days after close would redact it on 2026-04-01, but the record is kept until 2028-02-17 04:59 UTC.
        report = purge(s, retention_days=30, now=utc(2026, 6, 1))
        assert report.incidents == [] and report.held == [(7, utc(2028, 2, 17, 4, 59, 59))]
        assert inc.title == "Breach" and inc.purged_at is None
        # the day after the retention end it goes
        report = purge(s, retention_days=30, now=utc(2028, 2, 18))
        assert [i.number for i in report.incidents] == [7] and report.held == []
