"""From a stored alert to a disposition on the chain: incident with labor-aware pages, grouping, flapping,
resolve, silences and maintenance, and restarts between accepting and paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.alerts.tables import AlertGroup, AlertReceipt
from bot.alerts.triage import Triage
from bot.audit.tables import TimelineEvent
from bot.audit.trail import verify_chain
from bot.incidents.tables import Incident
from bot.oncall.tables import Page
from bot.outbox.tables import Reminder
from tests.alerts.conftest import TOKENS, fixture


def accept_am(inbox, name="alertmanager_firing.json", **changes):
    return inbox.webhook("prometheus", TOKENS["T_AM"], fixture(name, **changes))


def rows(store, model, *where):
    with store.session() as s:
        return list(s.exec(select(model).where(*where)).all())


def dispositions(store):
    # in the order they were written: a query without ORDER BY has no order on PostgreSQL
    return sorted((e for e in rows(store, TimelineEvent) if e.kind.startswith("alert.")), key=lambda e: e.id)


def test_critical_alert_opens_a_sev2_incident_that_pages_now(inbox, triage, store):
    accept_am(inbox)
    [d] = triage.run_pending()
    assert d.kind == "incident"
    [incident] = rows(store, Incident)
    assert incident.severity == "sev2" and incident.title == "Checkout 5xx rate above 5% (2 firing of 2)"
    assert "team=payments" in incident.description and "prometheus.example.org" in incident.description
    pages = rows(store, Page, Page.incident_id == incident.id)
    # sev2 pages platform-escalation with high urgency: paged at once even at 03:00 UTC
    assert pages and all(p.status == "planned" and p.urgency == "high" for p in pages)
    assert rows(store, Reminder, Reminder.kind == "page"), "the scheduler has rows to deliver the pages"
    [event] = dispositions(store)
    assert event.kind == "alert.incident" and event.chain == f"incident:{incident.id}"
    assert event.data["incident"] == incident.number and event.data["route"] == "routes[0]"
    assert [p["person"] for p in event.data["pages"]] == [p.person_id for p in pages]
    assert event.actor == "alerts:prometheus"


def test_warning_alert_becomes_a_low_urgency_page_held_until_working_hours(inbox, triage, store):
    # generic source, severity warning -> route 2 (sev3), which pages `platform` with low urgency.
    inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture("generic_firing.json", labels={"severity": "warning"}))
    [d] = triage.run_pending()
    assert d.kind == "incident"
    pages = rows(store, Page)
    assert pages and all(p.status == "held" and p.urgency == "low" for p in pages)
    # held to the person's working hours: 03:00 UTC is 04:00 in Munich, so not before 07:00 local
    assert all(p.page_at >= p.created_at + timedelta(hours=3) for p in pages)
    assert "until" in dispositions(store)[0].summary


def test_repeats_are_grouped_not_repaged(inbox, triage, store, night_clock):
    accept_am(inbox)
    triage.run_pending()
    for _ in range(3):
        night_clock.advance(timedelta(minutes=1))
        accept_am(inbox)
    assert [d.kind for d in triage.run_pending()] == ["grouped"] * 3
    assert len(rows(store, Incident)) == 1
    [group] = rows(store, AlertGroup)
    assert group.alerts == 4
    pages_before = len(rows(store, Page))
    assert pages_before == len(rows(store, Page))


def test_resolve_from_the_source_cancels_pending_pages(inbox, triage, store, night_clock):
    accept_am(inbox)
    triage.run_pending()
    night_clock.advance(timedelta(minutes=2))
    accept_am(inbox, "alertmanager_resolved.json")
    [d] = triage.run_pending()
    assert d.kind == "resolved"
    [group] = rows(store, AlertGroup)
    assert (group.status, group.open_key, group.resolved_by) == ("resolved", None, "source:prometheus")
    assert {p.status for p in rows(store, Page)} == {"cancelled"}
    assert not rows(store, Reminder, Reminder.kind == "page", Reminder.state == "pending")
    assert rows(store, Incident)[0].status == "active", "resolving the incident stays a human decision"


def test_flapping_within_the_window_reopens_the_group_without_paging(inbox, triage, store, night_clock):
    accept_am(inbox)
    triage.run_pending()
    accept_am(inbox, "alertmanager_resolved.json")
    triage.run_pending()
    night_clock.advance(timedelta(minutes=4))  # the window is 5m
    accept_am(inbox)
    [d] = triage.run_pending()
    assert d.kind == "flapping"
    [group] = rows(store, AlertGroup)
    assert (group.status, group.flaps, group.alerts) == ("open", 1, 2)
    assert len(rows(store, Incident)) == 1
    assert "240s after resolving" in dispositions(store)[-1].summary


def test_firing_again_after_the_window_is_a_new_group_and_pages_again(inbox, triage, store, night_clock):
    accept_am(inbox)
    triage.run_pending()
    accept_am(inbox, "alertmanager_resolved.json")
    triage.run_pending()
    night_clock.advance(timedelta(minutes=6))
    accept_am(inbox)
    [d] = triage.run_pending()
    assert d.kind == "incident"
    assert len(rows(store, AlertGroup)) == 2 and len(rows(store, Incident)) == 2


def test_silence_suppresses_and_records_reason_and_owner(inbox, triage, store):
    inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture("generic_firing.json"))  # job=backup is silenced
    [d] = triage.run_pending()
    assert d.kind == "suppressed"
    assert rows(store, Incident) == [] and rows(store, Page) == []
    [event] = dispositions(store)
    assert event.chain == "global"
    assert event.data["window"] == "noisy-backup" and event.data["owner"] == "katrin"
    assert "backup job is being rewritten" in event.summary


def test_maintenance_window_applies_only_in_its_span_and_to_its_sources(inbox, triage, store, night_clock):
    inbox.webhook("grafana", TOKENS["T_GRAFANA"], fixture("grafana_firing.json"))
    inbox.webhook("scripts", TOKENS["T_GENERIC"],
                  fixture("generic_firing.json", dedup_key="db", labels={"instance": "db-1", "severity": "warning"}))
    assert [d.kind for d in triage.run_pending()] == ["suppressed", "incident"]  # the window names grafana only
    assert "maintenance db-upgrade" in dispositions(store)[0].summary
    night_clock.advance(timedelta(hours=1, minutes=1))  # 04:01: the window ended at 04:00
    inbox.webhook("grafana", TOKENS["T_GRAFANA"], fixture("grafana_firing.json"))
    assert [d.kind for d in triage.run_pending()] == ["incident"]


def test_unmatched_alert_goes_to_the_fallback(inbox, triage, store):
    inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture("generic_firing.json", labels={"team": "x"}))
    [d] = triage.run_pending()
    assert d.kind == "incident"
    assert rows(store, Incident)[0].severity == "sev4"
    assert dispositions(store)[0].data["route"] == "fallback"


def test_pagerduty_trigger_acknowledge_resolve(inbox, triage, store):
    inbox.enqueue(fixture("pagerduty_trigger.json"))
    inbox.enqueue(fixture("pagerduty_resolve.json", event_action="acknowledge"))
    inbox.enqueue(fixture("pagerduty_resolve.json"))
    inbox.enqueue(fixture("pagerduty_resolve.json", dedup_key="never-seen"))
    assert [d.kind for d in triage.run_pending()] == ["incident", "acknowledged", "resolved", "unmatched"]


def test_every_alert_has_exactly_one_disposition_and_the_chain_verifies(inbox, triage, store, night_clock):
    accept_am(inbox)
    accept_am(inbox)
    inbox.webhook("scripts", TOKENS["T_GENERIC"], fixture("generic_firing.json"))
    inbox.enqueue(fixture("pagerduty_trigger.json"))
    triage.run_pending()
    receipts = rows(store, AlertReceipt)
    assert all(r.state == "triaged" and r.done == 1 for r in receipts)
    got = sorted(e.data["receipt"] for e in dispositions(store))
    assert got == sorted(r.id for r in receipts)
    with store.session() as s:
        for chain in {e.chain for e in dispositions(store)}:
            incident_id = None if chain == "global" else int(chain.split(":")[1])
            assert verify_chain(s, incident_id).ok, chain


def test_restart_between_accept_and_page_loses_nothing(inbox, store, night_clock, alerts_config, incidents):
    accept_am(inbox)  # answered 2xx; the process dies before triage
    fresh = Triage(store, lambda: alerts_config, night_clock, incidents)
    [d] = fresh.run_pending()
    assert d.kind == "incident" and rows(store, Page)
    assert fresh.run_pending() == []


class Crash(BaseException):
    """The process dies: not an error the bot handles (triage counts an ``Exception`` of a declaration against
    its receipt and goes on: tests/alerts/test_set_aside.py)."""


def test_crash_after_declaring_before_recording_pages_once(inbox, store, night_clock, alerts_config, incidents):
    accept_am(inbox)

    class DiesAfterDeclare:
        def declare(self, *args, **kwargs):
            incidents.declare(*args, **kwargs)  # the incident and its pages are committed ...
            raise Crash()  # ... and the process dies before the group records them

    with pytest.raises(Crash):
        Triage(store, lambda: alerts_config, night_clock, DiesAfterDeclare()).run_pending()
    assert len(rows(store, Incident)) == 1 and rows(store, AlertGroup)[0].incident_id is None
    pages = len(rows(store, Page))
    [d] = Triage(store, lambda: alerts_config, night_clock, incidents).run_pending()
    assert d.kind == "incident"
    assert len(rows(store, Incident)) == 1 and len(rows(store, Page)) == pages, "the same declaration, replayed"
    assert rows(store, AlertGroup)[0].incident_id == rows(store, Incident)[0].id
    assert len([e for e in dispositions(store) if e.kind == "alert.incident"]) == 1
