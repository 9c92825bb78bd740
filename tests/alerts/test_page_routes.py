"""Routes that page a rota without an incident (issue 14, items 2 to 5).

The shipped people and rotas, derived by hand:

* ``platform`` rotates weekly from Monday 2026-12-21 09:00 (Berlin): anna, bruno, carla, diogo, felix, ines.
  The week before (from Monday 2026-12-14 09:00) is therefore ines's (the last of the cycle); its deputy is the
  next in rotation, anna.  The week of 2026-12-21 is anna's; her deputy is bruno.
* ines works in Lisbon (UTC+0 in December), MO-FR 09:00-13:00 and 14:00-18:00; anna in Munich (UTC+1),
  MO-FR 09:00-12:30 and 13:15-17:30; bruno in Lisbon, MO-FR 09:00-13:00 and 14:00-18:00.
* ``platform-escalation``: level 1 the on-call person (ack timeout 5m), level 2 the deputies (10m), level 3
  katrin (15m); low urgency is held until working hours, high urgency pages now.

So a low-urgency alert on Tuesday 2026-12-15 03:00 UTC is held for ines until 09:00 UTC that day, and a
high-urgency one on Tuesday 2026-12-22 10:00 UTC pages anna now and, unanswered for 5 minutes, bruno.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.alerts.answers import AlertPages
from bot.alerts.config import AlertsFile
from bot.alerts.inbox import Inbox
from bot.alerts.tables import AlertGroup
from bot.alerts.triage import Triage
from bot.audit.tables import TimelineEvent
from bot.audit.trail import verify_chain
from bot.clock import ManualClock
from bot.incidents.errors import Conflict, PermissionDenied
from bot.incidents.service import IncidentService
from bot.oncall.tables import Engagement, Page
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from tests.alerts.conftest import NIGHT, TOKENS, fixture, load_config, write_alerts_config
from tests.scheduling.fakes import FakeChat

PAGE_ALERTS = """
sources:
  - {id: prometheus, format: alertmanager, token_env: T_AM}
  - {id: scripts, format: generic, token_env: T_GENERIC}
routes:
  - {match: {team: mapped}, page: platform-escalation, urgency: low, severity_urgency: {critical: high}}
  - {match: {severity: critical}, page: platform-escalation, urgency: high, declare_with: sev2}
  - {match: {severity: warning}, page: platform, urgency: low}
  - {match: {severity: error}, declare: sev2, commander: katrin}
fallback: {declare: sev4, commander: katrin}
grouping: {window: 5m}
"""

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
ANNA, BRUNO = "U0ANNA001", "U0BRUNO01"


@pytest.fixture(scope="module")
def page_config(tmp_path_factory):
    return load_config(write_alerts_config(tmp_path_factory.mktemp("page-routes"), PAGE_ALERTS))


class World:
    def __init__(self, store, config, at):
        self.store, self.config, self.clock, self.chat = store, config, ManualClock(at), FakeChat()
        self.incidents = IncidentService(store, lambda: config, self.clock)
        self.inbox = Inbox(store, lambda: config, self.clock, environ=TOKENS)
        self.triage = Triage(store, lambda: config, self.clock, self.incidents)
        self.worker = Dispatcher(store, lambda: config, self.chat, self.clock)
        self.answers = AlertPages(store, lambda: config, self.clock, self.incidents)

    def alert(self, **labels):
        body = fixture("generic_firing.json", dedup_key="disk-" + "-".join(sorted(labels.values())),
                       labels={"job": "node", **labels})
        self.inbox.webhook("scripts", TOKENS["T_GENERIC"], body)
        return self.triage.run_pending()

    def resolve(self, **labels):
        body = fixture("generic_firing.json", dedup_key="disk-" + "-".join(sorted(labels.values())),
                       labels={"job": "node", **labels}, status="resolved")
        self.inbox.webhook("scripts", TOKENS["T_GENERIC"], body)
        return self.triage.run_pending()

    def rows(self, model, *where):
        with self.store.session() as s:
            return sorted(s.exec(select(model).where(*where)).all(), key=lambda r: r.id)

    def events(self, prefix):
        return [e for e in self.rows(TimelineEvent) if e.kind.startswith(prefix)]


@pytest.fixture
def night(store, page_config):
    return World(store, page_config, NIGHT)


@pytest.fixture
def day(store, page_config):
    return World(store, page_config, TUESDAY)


# --- configuration --------------------------------------------------------------------------------

def test_a_route_has_exactly_one_of_page_and_declare():
    with pytest.raises(ValueError, match="exactly one of declare .* or page .*, got both"):
        AlertsFile.model_validate({"routes": [{"page": "platform", "declare": "sev2", "commander": "katrin"}],
                                   "fallback": {"declare": "sev4", "commander": "katrin"}})
    with pytest.raises(ValueError, match="got neither"):
        AlertsFile.model_validate({"fallback": {"match": {}}})
    with pytest.raises(ValueError, match="expected no commander with page: platform"):
        AlertsFile.model_validate({"fallback": {"page": "platform", "commander": "katrin"}})
    with pytest.raises(ValueError, match="urgency"):
        AlertsFile.model_validate({"fallback": {"page": "platform", "urgency": "medium"}})
    with pytest.raises(ValueError, match="expected urgency and severity_urgency only with page"):
        AlertsFile.model_validate({"fallback": {"declare": "sev4", "commander": "katrin", "urgency": "low"}})
    with pytest.raises(ValueError, match="expected declare_with only with page"):
        AlertsFile.model_validate({"fallback": {"declare": "sev4", "commander": "katrin", "declare_with": "sev2"}})
    ok = AlertsFile.model_validate({"fallback": {"page": "platform", "urgency": "low"}})
    assert ok.fallback.urgency_for("critical") == "low" and ok.fallback.commander is None


def test_check_names_a_page_target_that_is_no_rotation_or_policy(tmp_path):
    from bot.config.loader import collect

    paths = write_alerts_config(tmp_path, PAGE_ALERTS.replace("page: platform, urgency: low", "page: platfrom"))
    _config, issues = collect(paths)
    [issue] = [str(i) for i in issues if "alerts.yaml" in str(i)]
    assert issue.endswith('alerts.yaml:8:40: routes[2].page: expected a rotation or escalation policy id from '
                          'rotas.yaml (payments, payments-amer, payments-emea, platform, platform-escalation), '
                          'got "platfrom"')


def test_check_says_where_a_route_has_both_page_and_declare(tmp_path):
    from bot.config.loader import collect

    both = "{match: {severity: warning}, page: platform, declare: sev3, commander: katrin}"
    paths = write_alerts_config(tmp_path, PAGE_ALERTS.replace("{match: {severity: warning}, page: platform, urgency: low}",
                                                              both))
    _config, issues = collect(paths)
    [issue] = [str(i) for i in issues if "alerts.yaml" in str(i)]
    assert "alerts.yaml:8:5: routes[2]: expected exactly one of declare" in issue and issue.endswith("got both")


# --- triage ---------------------------------------------------------------------------------------

def test_low_urgency_alert_at_night_is_held_until_the_on_call_persons_working_hours(night):
    [d] = night.alert(severity="warning")
    assert d.kind == "paged"
    assert night.rows(AlertGroup)[0].incident_id is None
    from bot.incidents.tables import Incident
    assert night.rows(Incident) == [], "a page route opens no incident"
    [page] = night.rows(Page)
    assert (page.person_id, page.status, page.urgency, page.target) == ("ines", "held", "low", "platform")
    assert page.page_at == datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc)  # 09:00 in Lisbon
    assert page.alert_group_id == d.group and page.incident_id is None
    [row] = night.rows(Reminder)
    assert (row.key, row.kind, row.incident_id, row.state) == (f"page:{page.id}:send", "alert_page", None, "pending")
    assert row.due_at == page.page_at
    [event] = night.events("alert.")
    assert event.kind == "alert.paged" and event.chain == "global"
    assert event.data["pages"] == [{"page": page.id, "person": "ines", "status": "held",
                                    "page_at": "2026-12-15T09:00:00+00:00", "urgency": "low",
                                    "target": "platform", "level": 1}]
    assert (event.data["urgency"], event.data["urgency_from"]) == ("low", "route")
    assert "ines (held until 2026-12-15T09:00:00+00:00)" in event.summary
    # nothing goes out before 09:00
    night.worker.run_due()
    assert night.chat.sent == []
    night.clock.set(datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc))
    night.worker.run_due()
    [sent] = night.chat.sent
    assert sent.notice.kind == "held_page" and sent.direct


def test_the_alerts_severity_label_sets_the_urgency_where_the_route_maps_it(night):
    [d] = night.alert(severity="critical", team="mapped")  # route 0: low, but critical -> high
    [page] = night.rows(Page)
    assert (page.status, page.urgency, page.page_at) == ("planned", "high", NIGHT)
    assert night.events("alert.")[0].data["urgency_from"] == "severity label"
    [d2] = night.alert(severity="info", team="mapped")  # not mapped: the route's low
    assert [p.status for p in night.rows(Page, Page.alert_group_id == d2.group)] == ["held"]


def test_high_urgency_pages_now_and_escalates_to_the_deputy_without_an_ack(day):
    [d] = day.alert(severity="critical")
    day.worker.run_due()
    [sent] = day.chat.sent
    assert sent.to == ANNA and sent.direct
    notice = sent.notice
    assert {b.action for b in notice.buttons} == {"alert.ack", "alert.resolve", "alert.escalate", "alert.declare"}
    assert dict(notice.fields)["Link"] == "https://ci.example.org/jobs/backup/1234"
    assert "severity=critical" in dict(notice.fields)["Labels"]
    assert "Alert: Nightly backup did not finish" in notice.lines
    [anna] = day.rows(Page)
    assert anna.status == "sent"
    escalation = day.rows(Reminder, Reminder.key == f"page:{anna.id}:escalate")[0]
    assert escalation.due_at == TUESDAY + timedelta(minutes=5)
    day.clock.advance(timedelta(minutes=4, seconds=59))
    day.worker.run_due()
    assert len(day.chat.sent) == 1, "not before the ack timeout"
    day.clock.advance(timedelta(seconds=1))
    day.worker.run_due()
    assert [s.to for s in day.chat.sent] == [ANNA, BRUNO]
    pages = day.rows(Page)
    assert [(p.person_id, p.level, p.status, p.alert_group_id) for p in pages] == [
        ("anna", 1, "escalated", d.group), ("bruno", 2, "sent", d.group)]
    assert [e.kind for e in day.events("page.escalated")] == ["page.escalated"]
    with day.store.session() as s:
        assert verify_chain(s, None).ok


def test_a_resolved_from_the_source_cancels_pending_pages_and_escalations(day):
    day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    day.clock.advance(timedelta(minutes=2))
    [d] = day.resolve(severity="critical")
    assert d.kind == "resolved"
    assert day.rows(Page)[0].status == "cancelled"
    assert day.events("alert.")[-1].data["cancelled_pages"] == [anna.id]
    assert day.rows(Reminder, Reminder.key == f"page:{anna.id}:escalate")[0].state == "cancelled"
    group = day.rows(AlertGroup)[0]
    assert (group.status, group.resolved_by) == ("resolved", "source:scripts")
    day.clock.advance(timedelta(minutes=10))
    day.worker.run_due()
    assert len(day.chat.sent) == 1, "nobody is paged after the resolve"
    [(to, ts, notice)] = day.chat.updates
    assert (to, ts, notice.buttons) == (ANNA, day.chat.sent[0].ts, ())
    assert notice.lines == ("No longer needed: the alert group was resolved (source:scripts).",)


def test_a_resolve_before_a_held_page_goes_out_cancels_it(night):
    night.alert(severity="warning")
    night.resolve(severity="warning")
    assert [p.status for p in night.rows(Page)] == ["cancelled"]
    assert [r.state for r in night.rows(Reminder)] == ["cancelled"]
    night.clock.set(datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc))
    night.worker.run_due()
    assert night.chat.sent == []


# --- answers in Slack -----------------------------------------------------------------------------

def test_acknowledging_the_page_acknowledges_the_group_on_the_chain(day):
    [d] = day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    day.clock.advance(timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        day.answers.acknowledge(anna.id, actor=BRUNO)
    answer = day.answers.acknowledge(anna.id, actor=ANNA)
    assert answer.group == d.group
    assert day.rows(Page)[0].status == "acked"
    assert day.rows(AlertGroup)[0].status == "acknowledged"
    [event] = day.events("alert_group.")
    assert (event.kind, event.actor, event.chain) == ("alert_group.acknowledged", ANNA, "global")
    assert event.data["group"] == d.group and event.data["page_id"] == anna.id
    assert [(e.person_id, e.start) for e in day.rows(Engagement)] == [("anna", TUESDAY + timedelta(minutes=1))]
    assert day.rows(Reminder, Reminder.key == f"page:{anna.id}:escalate")[0].state == "cancelled"
    with pytest.raises(Conflict):
        day.answers.acknowledge(anna.id, actor=ANNA)
    day.clock.advance(timedelta(minutes=30))
    day.worker.run_due()
    assert len(day.chat.sent) == 1, "acknowledged: nobody else is paged"
    [(_to, _ts, notice)] = day.chat.updates
    assert notice.lines[0].startswith("Acknowledged at ")
    assert day.rows(Engagement)[0].end is None, "anna is working on it"
    [r] = day.resolve(severity="critical")  # 10:31: the source says it is over
    assert r.kind == "resolved"
    [callout] = day.rows(Engagement)
    assert callout.end == TUESDAY + timedelta(minutes=31), "released when the group resolves: her rest starts"
    assert [e.kind for e in day.events("oncall.callout_ended")] == ["oncall.callout_ended"]
    with day.store.session() as s:
        assert verify_chain(s, None).ok


def test_resolve_and_escalate_from_the_page(day):
    [d] = day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    day.answers.escalate(anna.id, actor=ANNA)  # "I can't look at it now, page the next level"
    day.worker.run_due()
    assert [s.to for s in day.chat.sent] == [ANNA, BRUNO]
    bruno = day.rows(Page)[1]
    day.answers.resolve(bruno.id, actor=BRUNO)
    group = day.rows(AlertGroup)[0]
    assert (group.status, group.open_key, group.resolved_by) == ("resolved", None, "person:bruno")
    assert [e.kind for e in day.events("alert_group.")] == ["alert_group.escalated", "alert_group.resolved"]
    assert day.rows(Page)[1].status == "cancelled"
    with pytest.raises(Conflict):
        day.answers.acknowledge(anna.id, actor=ANNA)


def test_declare_incident_opens_an_incident_carrying_the_groups_alerts(day):
    from bot.incidents.tables import Incident

    [d] = day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    day.clock.advance(timedelta(minutes=1))
    day.answers.acknowledge(anna.id, actor=ANNA)
    day.worker.run_due()
    [(_to, _ts, acked)] = day.chat.updates
    assert [b.action for b in acked.buttons] == ["alert.resolve", "alert.declare"], "still possible after the ack"
    day.clock.advance(timedelta(minutes=1))
    answer = day.answers.declare(anna.id, actor=ANNA)
    [incident] = day.rows(Incident)
    assert (answer.incident, incident.severity, incident.title) == (incident.number, "sev2", "Nightly backup did not finish")
    assert "severity=critical" in incident.description and "https://ci.example.org/jobs/backup/1234" in incident.description
    group = day.rows(AlertGroup)[0]
    assert group.incident_id == incident.id
    [callout] = day.rows(Engagement)
    assert (callout.person_id, callout.incident_id, callout.end) == ("anna", incident.id, None), \
        "anna's call-out goes on with the incident, whose release ends it"
    chain = [e for e in day.rows(TimelineEvent) if e.chain == f"incident:{incident.id}"]
    attached = [e for e in chain if e.kind == "alert_group.attached"]
    carried = [e for e in chain if e.kind == "alert_group.alert"]
    assert len(attached) == 1 and attached[0].data["group"] == d.group
    assert [e.data["was"] for e in carried] == ["alert.paged", "alert_group.acknowledged"]
    assert carried[0].data["data"]["pages"][0]["person"] == "anna"
    assert [e.kind for e in day.events("alert_group.declared")] == ["alert_group.declared"]
    # a second press finds the same incident
    with pytest.raises(Conflict):
        day.answers.declare(anna.id, actor=ANNA)
    assert len(day.rows(Incident)) == 1
    day.worker.run_due()
    final = [n for (_to, ts, n) in day.chat.updates if ts == day.chat.sent[0].ts][-1]
    assert final.buttons == () and "An incident was declared" in final.lines[0]
    # the source's resolve now goes to the incident, like a declared group's
    day.clock.advance(timedelta(minutes=1))
    [r] = day.resolve(severity="critical")
    assert r.kind == "resolved"
    assert day.events("alert.resolved")[0].chain == f"incident:{incident.id}"
    with day.store.session() as s:
        assert verify_chain(s, None).ok and verify_chain(s, incident.id).ok


def test_declaring_from_a_page_hands_the_group_over_in_the_declarations_own_transaction(day):
    """The incident was committed, then the group attached in a second transaction: a process that died between
    the two left an active incident beside a group that still paged its next level, until someone pressed again."""
    from bot.incidents.tables import Incident

    day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    declare = day.incidents.declare

    class Died(BaseException):
        pass

    def declare_then_die(*args, **kwargs):
        declare(*args, **kwargs)
        raise Died("the process died after the declaration committed")

    day.answers.incidents = type("Dying", (), {"declare": staticmethod(declare_then_die)})()
    day.clock.advance(timedelta(minutes=1))
    with pytest.raises(Died):
        day.answers.declare(anna.id, actor=ANNA)
    [incident] = day.rows(Incident)
    group = day.rows(AlertGroup)[0]
    assert group.incident_id == incident.id, "the group was handed over with the incident, not after it"
    assert [e.kind for e in day.events("alert_group.declared")] == ["alert_group.declared"]
    group_pages = [p for p in day.rows(Page) if p.id == anna.id]
    assert [p.status for p in group_pages] == ["cancelled"], "the group's escalation stops with the declaration"


def test_a_press_after_a_declaration_cut_off_before_its_group_was_attached_attaches_it(day):
    """A declaration an older version committed without its group (the process died in between): the next press
    replays the declaration, finds the same incident and hands the group over then."""
    from bot.incidents.tables import Incident

    d, = day.alert(severity="critical")
    day.worker.run_due()
    [anna] = day.rows(Page)
    day.incidents.declare("sev2", "Nightly backup did not finish", actor=ANNA, key=f"alert-group:{d.group}:declared",
                          reporter=ANNA)  # what such a version left: the incident under the group's key, alone
    assert day.rows(AlertGroup)[0].incident_id is None
    answer = day.answers.declare(anna.id, actor=ANNA)
    [incident] = day.rows(Incident)
    assert answer.incident == incident.number and day.rows(AlertGroup)[0].incident_id == incident.id
    assert [p.status for p in day.rows(Page) if p.id == anna.id] == ["cancelled"]


# --- beyond Slack: SMS, call and email steps -----------------------------------------------------------

def test_a_page_routes_page_gets_the_persons_sms_and_call_steps_and_an_sms_ack_stops_them(day):
    from bot.notify.inbound import Inbound
    from bot.notify.tables import Notification

    [d] = day.alert(severity="critical")
    [anna] = day.rows(Page)
    # the shipped default for high urgency: Slack now, SMS after 2 minutes, a call after 5
    steps = [(n.method, n.due_at, n.incident_id, n.state) for n in day.rows(Notification)]
    assert steps == [("sms", TUESDAY + timedelta(minutes=2), None, "pending"),
                     ("voice", TUESDAY + timedelta(minutes=5), None, "pending")]
    from bot.notify.delivery import NotificationDispatcher

    class Phone:  # the notifier port: what was handed to the provider
        def __init__(self):
            self.sent = []

        def send(self, message):
            self.sent.append(message)
            return f"SM{len(self.sent)}"

        def find_sent(self, message, since):
            return None

    phone = Phone()
    notify = NotificationDispatcher(day.store, lambda: day.config, {"sms": phone, "voice": phone}, day.clock)
    day.clock.advance(timedelta(minutes=2))
    notify.run_due()
    [sms] = phone.sent
    assert (sms.method, sms.to, sms.page_id) == ("sms", "+447700900001", anna.id)
    assert sms.text.startswith(f"Alert group {d.group} alert high urgency: Nightly backup did not finish. ")
    assert f"Reply 'ack {anna.id}'" in sms.text
    inbound = Inbound(day.incidents, lambda: day.config, alert_pages=day.answers)
    reply = inbound.sms(from_phone="+447700900001", body=f"ack {anna.id}", message_id="SM1")
    assert reply.changed and reply.text.startswith(f"You acknowledged alert group {d.group}")
    assert day.rows(AlertGroup)[0].status == "acknowledged"
    assert [n.state for n in day.rows(Notification)] == ["sent", "cancelled"]  # the call is not made
    day.clock.advance(timedelta(minutes=5))
    notify.run_due()
    assert len(phone.sent) == 1
    again = inbound.sms(from_phone="+447700900001", body=f"ack {anna.id}", message_id="SM1")
    assert not again.changed and "nothing was changed" in again.text


def test_declining_by_sms_pages_the_next_level(day):
    from bot.notify.inbound import Inbound

    day.alert(severity="critical")
    [anna] = day.rows(Page)
    inbound = Inbound(day.incidents, lambda: day.config, alert_pages=day.answers)
    reply = inbound.sms(from_phone="+447700900001", body=f"decline {anna.id} on a train", message_id="SM2")
    assert reply.changed and reply.text.endswith("paging bruno.")
    assert [(p.person_id, p.status) for p in day.rows(Page)] == [("anna", "declined"), ("bruno", "planned")]
    assert "on a train" in day.events("alert_group.declined")[0].summary
