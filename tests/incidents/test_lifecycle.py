"""Every lifecycle operation on a small self-contained configuration (no paging, no regulations)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.audit.trail import verify_chain
from bot.incidents.errors import Conflict, InvalidRequest, NotFound
from tests.incidents.conftest import ADMIN, ALICE, BOB, REPORTER


def _declare(service, keys, severity="major", title="Checkout is down", **kw):
    return service.declare(severity, title, actor=REPORTER, key=keys(), **kw)


def test_declare_creates_numbered_incident_with_roles_checklist_and_channel_plan(service, keys):
    first = _declare(service, keys, description="500s on /checkout since 08:55")
    second = _declare(service, keys, title="Search is slow")
    assert (first.incident.number, second.incident.number) == (1, 2)
    inc = first.incident
    assert inc.label == "INC-1" and inc.status == "active" and inc.severity == "major"
    # The playbook makes the reporter commander until someone is assigned; other roles start unfilled.
    assert inc.holder("commander") == REPORTER
    assert inc.holder("comms_lead") is None
    assert [t.task for t in first.tasks] == ["impact", "statuspage", "review"]
    # Channel: template "{prefix}-{number}-{slug}" with prefix "inc" from settings.
    assert first.channel.name == "inc-1-checkout-is-down"
    assert first.channel.private is False
    assert first.channel.invite == (REPORTER,)
    assert "INC-1" in first.channel.topic and len(first.channel.topic) <= 250
    kinds = [n.kind for n in first.channel.welcome]
    assert kinds[:2] == ["incident_welcome", "incident_roles"] and "checklist" in kinds


def test_declare_announces_in_feed_and_notifies_per_playbook(service, keys):
    result = _declare(service, keys)
    targets = [(p.target, p.to) for p in result.announcements]
    # The user group is told in the feed channel: named on the feed announcement, not a second copy of it.
    assert targets == [("channel", "incidents"), ("channel", "exec-updates")]
    assert "Checkout is down" in result.announcements[0].notice.as_text()
    assert result.announcements[0].notice.mention_groups == ("support-leads",)
    assert len({p.key for p in result.announcements}) == len(result.announcements)


def test_private_incident_channel_and_redacted_announcements(service, keys):
    result = _declare(service, keys, severity="breach", title="Customer export bucket was public")
    assert result.incident.private and result.channel.private
    assert result.channel.name == "inc-1-sec"
    for post in result.announcements:
        text = post.notice.as_text()
        assert "bucket" not in text and "INC-1" in text and "private" in text


def test_declare_can_be_made_private_but_never_less_private(service, keys):
    made_private = _declare(service, keys, private=True)
    assert made_private.incident.private and made_private.channel.private
    still_private = _declare(service, keys, severity="breach", private=False)
    assert still_private.incident.private


def test_channel_name_is_slugged_and_at_most_80_characters(service, keys):
    result = _declare(service, keys, title="Zahlungen schlagen fehl: Überweisung & SEPA <!channel> " + "x" * 200)
    name = result.channel.name
    assert len(name) <= 80
    assert name.startswith("inc-1-zahlungen-schlagen-fehl-uberweisung-sepa-channel-")
    assert all(c.isdigit() or c.islower() or c in "-_" for c in name)


def test_declare_rejects_unknown_severity_and_empty_title(service, keys):
    with pytest.raises(InvalidRequest, match='unknown severity "sev9"; choose one of: breach, major, minor'):
        _declare(service, keys, severity="sev9")
    with pytest.raises(InvalidRequest, match="expected a title"):
        _declare(service, keys, title="   ")


def test_record_channel_and_lookup_by_channel(service, keys):
    inc = _declare(service, keys).incident
    service.record_channel(inc.id, "C0123", "inc-1-checkout-is-down", key=keys())
    found = service.incident_by_channel("C0123")
    assert found is not None and found.number == 1 and found.channel_name == "inc-1-checkout-is-down"
    assert service.incident_by_channel("C9999") is None


def test_side_effect_failure_lands_on_the_timeline(service, keys):
    inc = _declare(service, keys).incident
    service.record_side_effect_failure(inc.id, "pin", "not_pinnable")
    last = service.timeline(1)[-1]
    assert last.kind == "side_effect.failed" and last.data == {"step": "pin", "error": "not_pinnable"}


def test_assign_and_hand_over_roles_keep_history(service, keys, store):
    _declare(service, keys)
    out = service.assign_role(1, "comms_lead", ALICE, actor=REPORTER, key=keys())
    assert out.incident.holder("comms_lead") == ALICE and out.invite == (ALICE,)
    assert [p.target for p in out.posts] == ["incident_channel", "user"]
    out = service.hand_over_role(1, "comms_lead", BOB, actor=ALICE, key=keys(), note="status page draft in the doc")
    assert out.incident.holder("comms_lead") == BOB
    events = [e for e in service.timeline(1) if e.kind.startswith("role.")]
    assert [(e.kind, e.data["before"], e.data["after"]) for e in events] == [
        ("role.assigned", None, REPORTER), ("role.assigned", None, ALICE), ("role.handed_over", ALICE, BOB)]
    assert events[-1].data["note"] == "status page draft in the doc"


def test_assign_unknown_role_or_bad_user_is_refused(service, keys):
    _declare(service, keys)
    with pytest.raises(InvalidRequest, match='unknown role "ceo"'):
        service.assign_role(1, "ceo", ALICE, actor=REPORTER, key=keys())
    with pytest.raises(InvalidRequest, match="expected a Slack user"):
        service.assign_role(1, "scribe", "alice", actor=REPORTER, key=keys())
    with pytest.raises(Conflict, match="nobody holds"):
        service.hand_over_role(1, "scribe", ALICE, actor=REPORTER, key=keys())


def test_status_update_posts_and_restarts_cadence(service, keys, clock):
    _declare(service, keys)
    clock.advance(minutes=20)
    out = service.post_status(1, "Rolled back release 512; error rate falling", actor=REPORTER, key=keys())
    assert [(p.target, p.to) for p in out.posts] == [("incident_channel", ""), ("channel", "incidents")]
    assert "Rolled back" in out.posts[0].notice.as_text()
    event = service.timeline(1)[-1]
    assert event.kind == "status.posted" and event.data["after"] == clock.now().isoformat()


def test_note_goes_to_timeline_only(service, keys):
    _declare(service, keys)
    out = service.add_note(1, "Hypothesis: connection pool exhausted", actor=BOB, key=keys())
    assert out.posts == ()
    assert service.timeline(1)[-1].summary == "Hypothesis: connection pool exhausted"
    with pytest.raises(InvalidRequest, match="expected the note text"):
        service.add_note(1, "  ", actor=BOB, key=keys())


def test_complete_task(service, keys):
    result = _declare(service, keys)
    task = next(t for t in result.tasks if t.task == "impact")
    out = service.complete_task(task.id, actor=REPORTER, key=keys())
    assert out.tasks[0].done and out.tasks[0].done_by == REPORTER
    assert {t.task: t.done for t in service.tasks(1)} == {"impact": True, "statuspage": False, "review": False}
    with pytest.raises(Conflict, match="already done"):
        service.complete_task(task.id, actor=REPORTER, key=keys())
    with pytest.raises(NotFound):
        service.complete_task(999, actor=REPORTER, key=keys())


def test_change_severity_between_playbooks_without_extras(service, keys):
    _declare(service, keys, severity="minor")
    out = service.change_severity(1, "major", actor=REPORTER, key=keys(), reason="more customers affected")
    assert out.incident.severity == "major"
    # The major playbook adds its checklist tasks; "ticket" from minor stays.
    assert {t.task for t in service.tasks(1)} == {"ticket", "impact", "statuspage", "review"}
    event = next(e for e in service.timeline(1) if e.kind == "incident.severity_changed")
    assert event.data["direction"] == "escalated"
    assert event.data["before"]["severity"] == "minor" and event.data["after"]["severity"] == "major"
    with pytest.raises(Conflict, match="already Major"):
        service.change_severity(1, "major", actor=REPORTER, key=keys())


def test_resolve_then_close_posts_audit_head(service, keys, store, clock):
    _declare(service, keys)
    clock.advance(hours=1)
    resolved = service.resolve(1, actor=REPORTER, key=keys(), summary="rolled back")
    assert resolved.incident.status == "resolved" and resolved.incident.resolved_at == clock.now()
    assert any("Schedule the review" in line for line in resolved.posts[0].notice.lines)
    with pytest.raises(InvalidRequest, match="post-incident summary"):
        service.close(1, "", actor=REPORTER, key=keys())
    clock.advance(days=2)
    closed = service.close(1, "Bad release; rollback took 40 min. Follow-ups filed.", actor=REPORTER, key=keys())
    assert closed.incident.status == "closed" and closed.incident.summary.startswith("Bad release")
    with store.session() as s:
        head = verify_chain(s, closed.incident.id)
    assert head.ok
    assert head.head_hash in closed.posts[0].notice.footer
    assert service.timeline(1)[-1].kind == "incident.closed"
    with pytest.raises(Conflict, match="closed"):
        service.add_note(1, "late note", actor=REPORTER, key=keys())
    with pytest.raises(Conflict, match="already closed"):
        service.close(1, "again", actor=REPORTER, key=keys())


def test_close_from_active_resolves_first(service, keys):
    _declare(service, keys)
    service.close(1, "False alarm: monitoring glitch", actor=ADMIN, key=keys())
    kinds = [e.kind for e in service.timeline(1)]
    assert kinds[-2:] == ["incident.resolved", "incident.closed"]


def test_lookups(service, keys, clock):
    _declare(service, keys)
    _declare(service, keys, title="Other")
    service.assign_role(2, "scribe", ALICE, actor=REPORTER, key=keys())
    assert [i.number for i in service.incidents_for_user(ALICE)] == [2]
    assert [i.number for i in service.incidents_for_user(REPORTER)] == [1, 2]
    assert [i.number for i in service.open_incidents()] == [1, 2]
    assert service.get(2).title == "Other"
    with pytest.raises(NotFound, match="INC-7"):
        service.get(7)
    assert [o.id for o in service.severities()] == ["breach", "major", "minor"]


def test_every_change_is_on_a_verifiable_chain(service, keys, store, clock):
    result = _declare(service, keys)
    service.assign_role(1, "scribe", ALICE, actor=REPORTER, key=keys())
    service.post_status(1, "Investigating", actor=REPORTER, key=keys())
    service.add_note(1, "note", actor=ALICE, key=keys())
    clock.advance(timedelta(minutes=5))
    service.resolve(1, actor=REPORTER, key=keys())
    with store.session() as s:
        check = verify_chain(s, result.incident.id)
    assert check.ok and check.events == len(service.timeline(1))
    for event in service.timeline(1):
        assert event.actor in (REPORTER, ALICE)
