"""An escalation notice always names someone: who has the page, who is paged, or who must act.

Same world as test_lifecycle_reminders: Tuesday 2026-12-22 10:00 UTC is anna's week on ``platform``;
``platform-escalation`` pages the rotation (5 min), its deputies (10 min: bruno, next in the rotation),
then katrin (15 min), and repeats once; its fallback is katrin.
"""

from __future__ import annotations

from bot.oncall import paging
from tests.scheduling.test_lifecycle_reminders import ANNA, BRUNO, KATRIN, _declare, config, world  # noqa: F401


def _escalations(chat) -> list:
    return [m for m in chat.sent if m.key.endswith(":escalate")]


def test_a_page_acknowledged_in_the_race_window_gets_a_notice_naming_who_has_it(store, world, monkeypatch):
    clock, chat, service, dispatcher = world
    result = _declare(service)
    page_id = result.pages[0].id
    dispatcher.run_due()  # 10:00: the page goes to anna
    real_escalate = paging.escalate

    def acknowledged_just_now(session, config, page_id_, *, at):
        # anna's click lands in the race window: after the escalation came due and passed the "still
        # sent?" check, before it reads the page to page the next level. The escalation then sees a page
        # that is acknowledged, exactly as it would see her committed acknowledgement.
        paging.acknowledge(session, page_id_, by=ANNA, at=at)
        return real_escalate(session, config, page_id_, at=at)

    monkeypatch.setattr(paging, "escalate", acknowledged_just_now)
    clock.advance(minutes=5)  # 10:05: the escalation is due
    dispatcher.run_due()
    (notice,) = [m.notice for m in _escalations(chat)]
    assert notice.mention_users == (ANNA,)  # it names her: she has it
    assert "acknowledged" in notice.title and "nobody else is paged" in notice.as_text()
    assert "Nobody is left" not in notice.as_text()
    assert not any(m.direct and m.to == BRUNO for m in chat.sent)  # the deputy is not woken for nothing


def test_an_exhausted_path_names_the_commander_to_find_someone(store, world):
    clock, chat, service, dispatcher = world
    _declare(service)  # katrin declares: she is the commander
    dispatcher.run_due()
    # Nobody answers: anna, bruno (deputy), katrin; the repeat cycle pages them again; then the fallback,
    # katrin, was already paged in this incident, so the path is exhausted.
    for minutes in (5, 10, 15, 5, 10, 15):
        clock.advance(minutes=minutes)
        dispatcher.run_due()
    last = _escalations(chat)[-1].notice
    assert "Nobody is left to page on this escalation path: the commander, please find someone by hand." in last.as_text()
    assert KATRIN in last.mention_users
    for sent in _escalations(chat):  # and every escalation notice named someone to act
        assert sent.notice.mention_users, sent.notice.as_text()


def test_every_escalation_notice_names_who_is_paged_next(store, world):
    clock, chat, service, dispatcher = world
    _declare(service)
    dispatcher.run_due()
    clock.advance(minutes=5)
    dispatcher.run_due()
    (notice,) = [m.notice for m in _escalations(chat)]
    assert notice.mention_users == (ANNA, BRUNO)
    assert f"Paging next: {BRUNO}." in notice.as_text()
