"""The shipped playbooks against the shipped rotas and regulations: they pass `bot check`, page the real
rotas, and create legal obligations; escalation adds, downgrade keeps."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, collect
from bot.incidents.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from bot.incidents.service import IncidentService
from tests.incidents.conftest import REPO

KATRIN, ANNA, BRUNO, NADIA, CAMILLE = "U0KATRIN1", "U0ANNA001", "U0BRUNO01", "U0NADIA01", "U0CAMILLE"
# Tuesday 2026-12-22 11:00 in Munich: anna's on-call week on "platform" (rota start 2026-12-21, weekly),
# inside her working hours, no holiday: she is the level-1 page of platform-escalation.
TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return ManualClock(TUESDAY)


@pytest.fixture
def service(store, clock, shipped_config):
    return IncidentService(store, lambda: shipped_config, clock)


def test_shipped_playbooks_pass_check(shipped_config):
    books = {p.id: p for p in shipped_config.all("playbook")}
    assert set(books) == {"sev1", "sev2", "sev3", "sev4", "security"}
    assert books["security"].channel.private and not books["sev1"].channel.private
    assert [b.rank for b in sorted(books.values(), key=lambda b: b.id)] == [1, 1, 2, 3, 4]  # security, sev1..sev4
    assert not [w for w in shipped_config.warnings if "playbooks/" in w.file or "permissions" in w.file]


EDITS = [  # (text in sev1.yaml, replacement, expected error)
    ("paging:\n  - target: platform-escalation", "paging:\n  - target: nightshift",
     'paging[0].target: unknown rota or escalation policy "nightshift"'),
    ("owner: tech_lead, phase: resolved", "owner: cto, phase: resolved", 'owner: unknown role "cto"'),
    ("consider: [nis2, dora]", "consider: [nis2, gdrp]", 'consider[1]: unknown regulation regime "gdrp"'),
    ("people: [katrin]", "people: [kathrin]", 'people[0]: unknown person "kathrin"'),
    ("ask_facts: [nis2_entity,", "ask_facts: [nis2_entiti,", 'ask_facts[0]: unknown fact "nis2_entiti"'),
]


def test_cross_check_reports_every_unknown_reference_at_once(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "playbooks", tmp_path / "playbooks")
    path = tmp_path / "playbooks" / "sev1.yaml"
    text = path.read_text()
    for old, new, _ in EDITS:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    config, issues = collect(ConfigPaths(tmp_path / "config", tmp_path / "playbooks"))
    assert config is None
    errors = [str(i) for i in issues if i.severity == "error"]
    assert len(errors) == len(EDITS)
    for _, _, expected in EDITS:
        assert any(expected in e and "playbooks/sev1.yaml:" in e for e in errors), (expected, errors)


def test_declare_pages_on_call_and_creates_obligations(service):
    result = service.declare("sev2", "Card payments failing", actor=KATRIN, key="d1",
                             facts={"nis2_entity": "yes", "significant_incident": "yes"})
    assert [(p.target, p.person_id, p.slack_user, p.level) for p in result.pages] == [
        ("platform-escalation", "anna", ANNA, 1)]
    assert {o.regime for o in result.obligations} == {"nis2", "dora"}
    assert result.incident.facts == {"nis2_entity": True, "significant_incident": True}
    assert [p.id for p in service.pages(1)] == [result.pages[0].id]


def test_escalation_adds_pages_and_obligations(service, clock):
    service.declare("sev3", "Search latency", actor=KATRIN, key="d1")
    assert service.obligations(1) == []
    low_pages = service.pages(1)
    assert {p.urgency for p in low_pages} == {"low"}
    clock.advance(minutes=30)
    out = service.change_severity(1, "security", actor=KATRIN, key="s1", reason="attacker found in logs")
    # sev3 paged "platform" (low urgency); security pages "platform-escalation" (high): a new page.
    assert [(p.target, p.urgency) for p in out.pages] == [("platform-escalation", "high")]
    assert {"gdpr", "uk_gdpr", "nis2", "us_state_ca"} <= set(out.incident.regimes)
    assert {o.regime for o in service.obligations(1)} >= {"gdpr", "nis2", "us_state_ca"}
    assert out.incident.private  # security is private by default; escalation never makes an incident public
    assert [(p.target, p.to) for p in out.posts][:2] == [("incident_channel", ""), ("channel", "incidents")]
    assert "attacker" not in out.posts[1].notice.as_text()  # the feed gets the redacted version
    assert {t.task for t in out.tasks} >= {"aware-time", "preserve-evidence"}


def test_downgrade_keeps_obligations_already_started(service, clock):
    service.declare("security", "Leaked API key", actor=KATRIN, key="d1",
                    facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    aware = TUESDAY - timedelta(hours=2)
    service.set_trigger(1, "aware", aware, actor=NADIA, key="t1")
    gdpr = next(o for o in service.obligations(1) if o.obligation == "gdpr.authority")
    # GDPR Art. 33(1): within 72 hours after becoming aware -> 2026-12-22 08:00 UTC + 72 h = 2026-12-25 08:00 UTC.
    assert gdpr.status == "open" and gdpr.due_at == datetime(2026, 12, 25, 8, 0, tzinfo=timezone.utc)
    before = {(o.obligation, o.status, o.due_at) for o in service.obligations(1)}
    clock.advance(hours=1)
    out = service.change_severity(1, "sev4", actor=KATRIN, key="s1", reason="key had no access to data")
    assert out.incident.severity == "sev4"
    assert "gdpr" in out.incident.regimes
    after = {(o.obligation, o.status, o.due_at) for o in service.obligations(1)}
    assert after == before
    assert out.incident.private  # stays private after the downgrade


def test_page_acknowledge_and_decline(service):
    result = service.declare("sev2", "Checkout errors", actor=KATRIN, key="d1")
    page = result.pages[0]
    with pytest.raises(PermissionDenied, match="the person paged"):
        service.acknowledge_page(page.id, actor=BRUNO, key="a0")
    ack = service.acknowledge_page(page.id, actor=ANNA, key="a1")
    assert ack.pages[0].status == "acked" and ack.invite == (ANNA,)
    assert service.acknowledge_page(page.id, actor=ANNA, key="a1").replayed
    with pytest.raises(Conflict, match="already acknowledged"):  # words, not the stored "acked"
        service.decline_page(page.id, "busy", actor=ANNA, key="a2")
    kinds = [e.kind for e in service.timeline(1)]
    assert "page.acked" in kinds


def test_decline_pages_the_next_level(service):
    result = service.declare("sev2", "Checkout errors", actor=KATRIN, key="d1")
    page = result.pages[0]
    with pytest.raises(InvalidRequest, match="expected a reason"):
        service.decline_page(page.id, " ", actor=ANNA, key="x1")
    out = service.decline_page(page.id, "on a train without laptop", actor=ANNA, key="x2")
    assert out.pages[0].status == "declined" and "on a train" in (out.pages[0].reason or "")
    nxt = out.pages[1:]
    assert nxt and all(p.level == 2 and p.person_id != "anna" for p in nxt)


def test_mark_notified_not_required_and_snooze(service, clock):
    service.declare("security", "Customer emails exported", actor=KATRIN, key="d1",
                    facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=2), actor=NADIA, key="t1")
    gdpr = next(o for o in service.obligations(1) if o.obligation == "gdpr.authority")
    ca = next(o for o in service.obligations(1) if o.obligation == "us_state_ca.residents")
    # Snooze: never past the deadline; a later end is capped at the deadline.
    capped = service.snooze_obligation(gdpr.id, gdpr.due_at + timedelta(days=1), actor=NADIA, key="z0")
    assert capped.obligations[0].snoozed_until == gdpr.due_at and "never goes past" in capped.message
    snoozed = service.snooze_obligation(gdpr.id, TUESDAY + timedelta(hours=4), actor=NADIA, key="z1")
    assert snoozed.obligations[0].snoozed_until == TUESDAY + timedelta(hours=4)
    # Commander alone may not mark notifications.
    with pytest.raises(PermissionDenied, match="may not mark notified"):
        service.mark_notified(gdpr.id, actor=KATRIN, key="n0", reference="x", submitted_at=TUESDAY)
    clock.advance(hours=20)
    done = service.mark_notified(gdpr.id, actor=NADIA, key="n1", reference="BayLDA-2026-4411",
                                 submitted_at=clock.now() - timedelta(minutes=10),
                                 evidence_url="https://drive.example.org/evidence/4411")
    assert done.obligations[0].status == "notified" and done.obligations[0].reference == "BayLDA-2026-4411"
    with pytest.raises(InvalidRequest, match="expected the reason"):
        service.mark_not_required(ca.id, "", actor=NADIA, key="m0")
    nr = service.mark_not_required(ca.id, "no California residents among the affected customers", actor=NADIA, key="m1")
    assert nr.obligations[0].status == "not_required"
    assert nr.obligations[0].not_required_reason.startswith("no California")
    with pytest.raises(Conflict, match="still has open notification duties"):
        service.close(1, "summary", actor=KATRIN, key="c1")


def test_set_fact_recomputes_obligations(service):
    service.declare("security", "Suspicious login", actor=KATRIN, key="d1")
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    with pytest.raises(InvalidRequest, match='unknown fact "colour"'):
        service.set_fact(1, "colour", "red", actor=NADIA, key="f0")
    out = service.set_fact(1, "personal_information_breach", "no", actor=NADIA, key="f1")
    assert out.incident.facts["personal_information_breach"] is False
    states = {o.obligation: o.status for o in service.obligations(1)}
    assert states["us_state_ca.residents"] == "not_applicable"
    event = next(e for e in service.timeline(1) if e.kind == "fact.set")
    assert (event.data["before"], event.data["after"]) == (None, False)


def test_overdue_obligation_cannot_be_snoozed(service):
    service.declare("security", "Old breach found", actor=KATRIN, key="d1",
                    facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    # Aware 80 hours ago: the 72-hour GDPR deadline passed 8 hours ago.
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=80), actor=NADIA, key="t1")
    gdpr = next(o for o in service.obligations(1) if o.obligation == "gdpr.authority")
    assert gdpr.due_at == TUESDAY - timedelta(hours=8)
    with pytest.raises(InvalidRequest, match="already past its deadline"):
        service.snooze_obligation(gdpr.id, TUESDAY + timedelta(hours=1), actor=NADIA, key="z1")


def test_remaining_denials_and_group_membership(service):
    declared = service.declare("security", "Phishing wave", actor=KATRIN, key="d1",
                               facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller"})
    service.assign_role(1, "comms_lead", CAMILLE, actor=KATRIN, key="r1")
    page = declared.pages[0]
    assert page.slack_user == ANNA  # paged: on the response team of this private incident
    with pytest.raises(PermissionDenied, match="may not set fact"):
        service.set_fact(1, "affected_individuals", "12", actor=ANNA, key="x1")
    # Bruno is not on the team of this private incident: he is told it does not exist, nothing more.
    with pytest.raises(NotFound, match="^there is no incident INC-1; check the number$"):
        service.decline_page(page.id, "not me", actor=BRUNO, key="x2")
    # Nadia holds no role in this incident but is in the privacy-office group (config/permissions.yaml,
    # group members are person ids resolved to Slack users through config/people.yaml).
    service.set_trigger(1, "aware", TUESDAY - timedelta(hours=1), actor=NADIA, key="t1")
    gdpr = next(o for o in service.obligations(1) if o.obligation == "gdpr.authority")
    with pytest.raises(PermissionDenied, match="may not mark not required"):
        service.mark_not_required(gdpr.id, "no risk", actor=CAMILLE, key="x3")  # comms lead: not this one
    with pytest.raises(PermissionDenied, match="may not snooze obligation"):
        service.snooze_obligation(gdpr.id, TUESDAY + timedelta(hours=1), actor=KATRIN, key="x4")
    assert service.snooze_obligation(gdpr.id, TUESDAY + timedelta(hours=1), actor=CAMILLE, key="x5").obligations
    assert service.mark_not_required(gdpr.id, "encrypted laptop, key not compromised: unlikely risk (Art. 33(1))",
                                     actor=NADIA, key="x6").obligations[0].status == "not_required"


def test_messages_name_people_and_list_deputies_from_the_rota(service):
    result = service.declare("sev2", "Checkout errors", actor=KATRIN, key="d1")
    roles = next(n for n in result.channel.welcome if n.kind == "incident_roles")
    # rotas.yaml roles: commander: [katrin, camille, anna]; katrin holds it, so camille and anna are the deputies.
    assert ("Incident commander: Katrin Vogel (Head of Platform) "
            "(deputies: Camille Laurent (Payments manager, DPO deputy), Anna Berger)") in roles.lines
    assert roles.mention_users == (KATRIN,)
    with pytest.raises(PermissionDenied) as denied:
        service.resolve(1, actor=BRUNO, key="x")
    assert str(denied.value).startswith("You (Bruno Costa) may not resolve on INC-1. "
                                        "Allowed: the commander (Katrin Vogel (Head of Platform)), an admin.")


def test_starting_a_legal_clock_posts_its_deadlines_to_the_channel(service):
    service.declare("security", "Customer emails exported", actor=KATRIN, key="d1",
                    facts={"personal_data_breach": "yes", "gdpr_in_scope": "yes", "gdpr_role": "controller",
                           "risk_level": "risk"})
    service.assign_role(1, "legal", NADIA, actor=KATRIN, key="r1")
    out = service.set_trigger(1, "aware", TUESDAY - timedelta(hours=2), actor=NADIA, key="t1")
    (post,) = [p for p in out.posts if p.notice.kind == "legal_clocks"]
    assert post.target == "incident_channel" and post.key == "t1:clocks"
    # aware = Tue 22 Dec 08:00 UTC; GDPR Art. 33(1): 72 elapsed hours -> Fri 25 Dec 08:00 UTC = 09:00 CET in the
    # settings' zone (Europe/Berlin, no DST change in December).
    assert any(line.startswith("gdpr.authority to ") and "due Fri 25 Dec 09:00 CET (2026-12-25 08:00 UTC)" in line
               for line in post.notice.lines)
    again = service.set_fact(1, "affected_individuals", "40", actor=NADIA, key="f1")
    assert not [p for p in again.posts if p.notice.kind == "legal_clocks"]  # no dated duty changed: nothing to say


def test_user_groups_are_named_on_the_feed_announcement_not_told_twice(service):
    # The security playbook tells @security-team on declaration; the feed channel gets the (redacted)
    # announcement anyway, so the group is named on it instead of a second copy of the same message.
    result = service.declare("security", "Leaked API key", actor=KATRIN, key="d1")
    feed = [p for p in result.announcements if p.target == "channel" and p.to == "incidents"]
    assert len(feed) == 1
    assert feed[0].notice.mention_groups == ("security-team",)
    assert "Leaked API key" not in feed[0].notice.as_text()  # still redacted: the incident is private
    assert not [p for p in result.announcements if p.target == "user_group"]


def test_the_channel_is_told_loudly_when_nobody_may_be_paged(store, shipped_config):
    # Christmas night 2026 in Munich (shipped config): anna, carla, felix and katrin are in Bavaria, where the
    # works agreement forbids holiday call-outs (sev2 declares no emergency exception); bruno is on leave;
    # diogo and ines are in Lisbon and not rostered, so Portugal forbids contacting them during rest.
    # Nobody may be paged: the fallback manager (katrin) is paged and the channel must say so loudly.
    christmas = datetime(2026, 12, 25, 1, 0, tzinfo=timezone.utc)
    service = IncidentService(store, lambda: shipped_config, ManualClock(christmas))
    result = service.declare("sev2", "Checkout errors", actor=KATRIN, key="d1")
    (paging,) = [n for n in result.channel.welcome if n.kind == "paging"]
    assert paging.title == "Paging: nobody eligible, the fallback was paged"
    assert any(line.startswith("WARNING: NOBODY ELIGIBLE") for line in paging.lines)
    assert any(line.startswith("Paged: ") and "(fallback, level 1)" in line for line in paging.lines)
    not_paged = {line.split(":")[1].strip() for line in paging.lines if line.startswith("Not paged: ")}
    assert not_paged == {"anna", "bruno", "carla", "diogo", "felix", "ines"}  # katrin is paged, as the fallback
    assert any("bruno: on vacation leave" in line for line in paging.lines)
    assert any("diogo: contact during rest forbidden" in line and "CT art. 199" in line for line in paging.lines)
