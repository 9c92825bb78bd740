"""A post, invite, channel or answer whose outbox row is deleted, or marked done, by hand before the worker did it is
found by ``audit verify``: the chain names the effects each unit of work wanted, and how each ended.

Real lifecycle and shipped configuration (the sev2 playbook: channel, invite, welcome, topic, pin, bookmark, the feed
``#incidents`` and ``#support-escalations``); Slack is the in-memory FakeChat; time is a ManualClock.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.audit.evidence import verify_incident
from bot.audit.trail import events
from bot.cli import main
from bot.incidents.service import IncidentService
from bot.outbox.tables import EFFECT_KINDS, Reminder
from bot.ports import ChatError
from tests.incidents.conftest import REPORTER, load, write_config
from tests.scheduling.test_outbox import ASKER, KATRIN, TUESDAY, config, world  # noqa: F401  (fixtures: shipped config)


def _declare(service) -> int:
    return service.replying_to(ASKER).declare("sev2", "Checkout is down", actor=KATRIN, key="declare-1").incident.id


def _deliver(clock, dispatcher) -> None:
    for _ in range(5):  # the answer waits for the command's effects: a few rounds, a little later each
        dispatcher.run_due()
        clock.advance(seconds=3)


def _problems(store, incident_id):
    with store.session() as s:
        return verify_incident(s, incident_id).problems


def _effect_rows(store, incident_id) -> dict[str, str]:
    with store.session() as s:
        return {r.key: r.state for r in s.exec(select(Reminder).where(Reminder.incident_id == incident_id,
                                                                       Reminder.kind.in_(EFFECT_KINDS))).all()}


def _only_problem_after(store, service, statement: str, key: str) -> tuple[int, str]:
    """Declare (verified clean), run ``statement`` by hand on the outbox row ``key`` (``{n}``: the incident), and
    return the incident and the one problem verify then reports."""
    n = _declare(service)
    assert _problems(store, n) == []
    with store.engine.begin() as conn:
        conn.execute(text(statement), {"k": key.format(n=n)})
    problems = _problems(store, n)
    assert len(problems) == 1
    return n, problems[0]


def test_a_pending_post_deleted_by_hand_is_reported_as_never_delivered(store, world):
    n, problem = _only_problem_after(store, world[2], "DELETE FROM reminder WHERE key = :k", "incident:{n}:welcome:0")
    assert f"outbox row incident:{n}:welcome:0 (post" in problem
    assert "missing from the outbox table (deleted outside the bot)" in problem
    assert "the post was never delivered" in problem


def test_a_pending_invite_marked_sent_by_hand_is_reported(store, world):
    n, problem = _only_problem_after(store, world[2], "UPDATE reminder SET state = 'sent' WHERE key = :k",
                                     "incident:{n}:invite")
    assert f"outbox row incident:{n}:invite (invite" in problem
    assert "sent in the outbox table, but the chain records no delivery" in problem


@pytest.mark.parametrize("state", ["cancelled", "failed"])
def test_the_answer_marked_finished_by_hand_is_reported(store, world, state):
    _, _, service, _ = world
    n = _declare(service)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE reminder SET state = :s WHERE key = 'declare-1:reply'"), {"s": state})
    problems = _problems(store, n)
    assert len(problems) == 1 and "outbox row declare-1:reply (reply" in problems[0]
    assert f"{state} in the outbox table" in problems[0] and "never got the answer" in problems[0]


def test_audit_verify_exits_1_naming_the_deleted_row(store, world, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    _, _, service, _ = world
    n = _declare(service)
    assert main(["audit", "verify"]) == 0
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM reminder WHERE key = :k"), {"k": f"incident:{n}:channel"})
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "INC-1: BROKEN" in out and f"incident:{n}:channel (create_channel" in out
    assert "the incident channel was never created" in out


def test_a_declaration_delivered_and_closed_verifies_clean(store, world):
    clock, chat, service, dispatcher = world
    n = _declare(service)
    _deliver(clock, dispatcher)
    service.post_status(1, "rolled back", actor=KATRIN, key="s-1")
    _deliver(clock, dispatcher)
    rows = _effect_rows(store, n)
    assert len(rows) > 8 and all(state == "sent" for state in rows.values())  # everything was done in Slack
    with store.session() as s:
        chain = events(s, n)
    wanted = {e["key"] for ev in chain for e in (ev.data or {}).get("effects_wanted", [])}
    assert wanted == set(rows)  # every effect row is named on the chain, so the clean verdict means something
    assert not [ev for ev in chain if ev.kind == "effects.wanted"]  # on the operations' own events: no noise
    assert _problems(store, n) == []


def test_closing_names_its_posts_before_it_reads_the_head_it_posts(store, clock, tmp_path):
    config = load(write_config(tmp_path / "cfg"))  # "major": no legal duties to settle before closing
    service = IncidentService(store, lambda: config, clock).replying_to(ASKER)
    n = service.declare("major", "Checkout is down", actor=REPORTER, key="d").incident.id
    closed = service.close(1, "bad release", actor=REPORTER, key="c")
    with store.session() as s:
        head = verify_incident(s, n)
        closing = [ev for ev in events(s, n) if ev.hash == head.head_hash]
    assert head.ok and head.head_hash in closed.posts[0].notice.footer  # the posted head is still the head
    assert {"c:post:0", "c:post:1", "c:reply"} <= {e["key"] for e in closing[0].data["effects_wanted"]}
    with store.engine.begin() as conn:  # the post carrying the head, deleted before it went out
        conn.execute(text("DELETE FROM reminder WHERE key = 'c:post:0'"))
    problems = _problems(store, n)
    assert len(problems) == 1 and "c:post:0 (post" in problems[0] and "never delivered" in problems[0]


def test_effects_not_needed_any_more_are_chained_as_dropped_not_reported(store, world):
    clock, chat, service, dispatcher = world
    chat.fail_keys[f"incident:1:welcome:0"] = [ChatError("no", code="msg_too_long")]  # fails for good: no pin
    n = _declare(service)
    service.attach_channel(1, "CBYHAND01", "inc-1-by-hand", actor=KATRIN, key="attach-1")  # before it was created
    _deliver(clock, dispatcher)
    rows = _effect_rows(store, n)
    assert rows[f"incident:{n}:channel"] == "cancelled" and rows[f"incident:{n}:pin"] == "cancelled"
    assert rows[f"incident:{n}:welcome:0"] == "failed"
    with store.session() as s:
        dropped = {ev.data["key"] for ev in events(s, n) if ev.kind == "effect.dropped"}
    assert dropped == {f"incident:{n}:channel", f"incident:{n}:pin"}
    assert _problems(store, n) == []


def test_rows_written_before_effects_were_chained_raise_no_alarm(store, world):
    _, _, service, _ = world
    n = _declare(service)
    with store.engine.begin() as conn:  # as an older version wrote it: no entry on the chain, later dropped unchained
        conn.execute(text(
            "INSERT INTO reminder (key, kind, incident_id, recipient, due_at, next_attempt_at, state, attempts, "
            "payload, created_at, updated_at) VALUES ('old:post', 'post', :n, '#incident', :at, :at, 'cancelled', 0, "
            "'{}', :at, :at)"), {"n": n, "at": TUESDAY.replace(tzinfo=None)})
    assert _problems(store, n) == []


def test_an_effect_written_after_the_unit_of_works_events_gets_an_event_of_its_own(store, world):
    """A delivery's events are written in one INSERT (no event object to add to): the post telling who could not
    be invited is named by an ``effects.wanted`` event, and found when it is deleted."""
    clock, chat, service, dispatcher = world
    n = _declare(service)
    with store.session() as s:
        invited = list(s.exec(select(Reminder).where(Reminder.key == f"incident:{n}:invite")).one().payload["users"])
    chat.not_invitable = {invited[0]: "user_is_restricted"}
    chat.fail_keys[f"incident:{n}:invite:not_invited"] = [ChatError("Slack is down", code="http_503", transient=True)]
    dispatcher.run_due()
    with store.session() as s:
        own = [ev for ev in events(s, n) if ev.kind == "effects.wanted"]
    assert [e["key"] for ev in own for e in ev.data["effects_wanted"]] == [f"incident:{n}:invite:not_invited"]
    assert _problems(store, n) == []
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM reminder WHERE key = :k"), {"k": f"incident:{n}:invite:not_invited"})
    problems = _problems(store, n)
    assert len(problems) == 1 and f"incident:{n}:invite:not_invited (post, wanted by event #{own[0].seq})" in problems[0]


def test_a_malformed_list_of_wanted_effects_is_reported_not_a_traceback():
    from bot.audit.malformed import malformed

    assert malformed("incident.declared", {"effects_wanted": [{"key": 3}]}, None) == \
        "its effects_wanted is not a list of {key, kind} entries"
    assert malformed("incident.declared", {"effects_wanted": [{"key": "k", "kind": "post"}]}, None) is None
