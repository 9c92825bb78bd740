"""Public statements in the service: who drafts, who signs off (never the drafter), what the chain holds, and that a
rejected statement is never published. Playbooks: ``major`` asks for no sign-off, ``signed`` for legal's or the
commander's."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.incidents.errors import InvalidRequest, PermissionDenied
from bot.incidents.service import IncidentService
from bot.incidents.tables import PublicStatement
from tests.incidents.conftest import ADMIN, ALICE, BOB, CAROL, MAJOR, MALLORY, MINOR, REPORTER, load, write_config

SIGNED = """
id: signed
name: "Signed"
rank: 1
criteria: ["customers are told"]
roles:
  - {id: commander, title: Incident commander, initial: reporter}
  - {id: comms_lead, title: Communications lead}
  - {id: legal, title: Legal}
communications: {external_owner: comms_lead, approval_needed_from: [legal, commander]}
status_updates: {cadence: 30m}
"""


@pytest.fixture
def svc(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg", playbooks={"major": MAJOR, "minor": MINOR, "signed": SIGNED}))
    return IncidentService(store, lambda: config, clock)


def declare(svc, playbook: str) -> int:
    """The reporter commands; Alice is the comms lead (the external owner), Bob legal."""
    number = svc.declare(playbook, "Checkout fails", actor=REPORTER, key=f"d-{playbook}").incident.number
    svc.assign_role(number, "comms_lead", ALICE, actor=REPORTER, key=f"r1-{playbook}")
    if playbook == "signed":
        svc.assign_role(number, "legal", BOB, actor=REPORTER, key=f"r2-{playbook}")
    return number


def kinds(svc, number: int) -> list[str]:
    return [e.kind for e in svc.timeline(number) if e.kind.startswith("statement.")]


def request_id(svc, number: int) -> int:
    (pending,) = [a for a in svc.approvals_to_decide(number, reader=ADMIN) if a.kind == "request"]
    return pending.id


def test_no_sign_off_in_the_playbook_publishes_at_once_with_the_exact_text(svc, clock):
    number = declare(svc, "major")
    text = "We are investigating failed payments at checkout. Next update by 10:30 UTC."
    outcome = svc.draft_statement(number, "investigating", text, actor=ALICE, key="s1")
    assert kinds(svc, number) == ["statement.drafted", "statement.published"]
    published = svc.timeline(number)[-1]
    assert published.data["text"] == text and published.data["status"] == "investigating"
    assert published.data["drafted_by"] == ALICE and published.data["approved_by"] is None
    assert published.data["published_at"] == clock.now().isoformat()
    (post,) = outcome.posts
    assert post.target == "incident_channel" and text in post.notice.lines
    assert [(p.status, p.text) for p in svc.published_statements()] == [("investigating", text)]


def test_someone_who_is_not_the_external_owner_cannot_draft_and_is_told_who_may(svc):
    number = declare(svc, "major")
    with pytest.raises(PermissionDenied) as refused:
        svc.draft_statement(number, "investigating", "We are on it.", actor=MALLORY, key="s1")
    assert "the comms lead (" in str(refused.value) and "an admin" in str(refused.value)
    assert kinds(svc, number) == [] and svc.published_statements() == []
    svc.draft_statement(number, "investigating", "We are on it.", actor=ADMIN, key="s2")  # draft_statement: admins
    assert kinds(svc, number) == ["statement.drafted", "statement.published"]


def test_a_held_statement_waits_and_its_drafter_cannot_sign_it_off(svc):
    number = declare(svc, "signed")
    svc.assign_role(number, "legal", ALICE, actor=REPORTER, key="r3")  # the drafter holds a signing role too
    outcome = svc.draft_statement(number, "identified", "We found the cause.", actor=ALICE, key="s1")
    assert "signs it off" in outcome.message
    assert kinds(svc, number) == ["statement.drafted"] and svc.published_statements() == []
    request = request_id(svc, number)
    with pytest.raises(PermissionDenied, match="cannot approve it too"):
        svc.approve_request(request, actor=ALICE, key="a1")
    with pytest.raises(PermissionDenied) as refused:  # holds no signing role on this incident
        svc.approve_request(request, actor=CAROL, key="a2")
    assert "the legal (" in str(refused.value) and "the commander (" in str(refused.value)
    assert svc.published_statements() == []
    svc.approve_request(request, actor=REPORTER, key="a3")  # the commander signs it off
    assert kinds(svc, number) == ["statement.drafted", "statement.published"]
    published = svc.timeline(number)[-1]
    assert (published.data["text"], published.data["drafted_by"], published.data["approved_by"]) == (
        "We found the cause.", ALICE, REPORTER)
    (post,) = outcome.posts  # the request's message, with the Approve / Reject buttons
    assert [b.value for b in post.notice.buttons] == [f"approval:{request}"] * len(post.notice.buttons)


def test_a_rejected_statement_is_never_published(svc):
    number = declare(svc, "signed")
    svc.draft_statement(number, "monitoring", "A fix is <b>live</b> & we watch.", actor=ALICE, key="s1")
    request = request_id(svc, number)
    svc.reject_request(request, actor=BOB, key="x1", note="do not name the vendor")
    assert kinds(svc, number) == ["statement.drafted", "statement.rejected"]
    rejected = svc.timeline(number)[-1]
    assert rejected.data["text"] == "A fix is <b>live</b> & we watch." and rejected.data["rejected_by"] == BOB
    with pytest.raises(Exception, match="already rejected"):
        svc.approve_request(request, actor=REPORTER, key="a1")
    assert svc.published_statements() == []
    with svc.ctx.store.session() as s:
        assert [r.state for r in s.exec(select(PublicStatement)).all()] == ["rejected"]


@pytest.mark.parametrize("status, text, problem", [
    ("investigating", "   ", "expected the statement's text"),
    ("investigating", "x" * 2001, "at most 2000 characters, got 2001"),
    ("fixed", "We fixed it.", "one of investigating, identified, monitoring, resolved, got \"fixed\""),
])
def test_bad_input_is_refused_saying_what_was_wrong(svc, status, text, problem):
    number = declare(svc, "major")
    with pytest.raises(InvalidRequest, match=problem.replace("(", r"\(")):
        svc.draft_statement(number, status, text, actor=ALICE, key="s1")
    assert kinds(svc, number) == []
