"""Review due dates in business days on a site's calendar, and the owner's nudges until the review is done.

Expected days are worked out by hand from the calendars in config/people.yaml (company closures on
24 and 31 December 2026) and the public holidays of each site's law, cited next to each case.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.audit.trail import events
from bot.learning.business_days import site_calendar
from bot.outbox.tables import Reminder
from tests.learning.conftest import KATRIN, UTC


@pytest.mark.parametrize("site, resolved, days, due, why", [
    # 24 Dec closure (people.yaml), 25 Dec Christmas (§1 FTG Bayern), 26/27 weekend, 28 29 30 Dec count (3),
    # 31 Dec closure, 1 Jan New Year (§1 FTG), 2/3 weekend, 4 and 5 Jan count (5).
    ("munich", date(2026, 12, 23), 5, date(2027, 1, 5), "closures, Christmas, New Year, weekends"),
    # 6 January is Epiphany (Heilige Drei Könige, FTG Bayern Art. 1(1) Nr. 1): the next business day is the 7th.
    ("munich", date(2027, 1, 5), 1, date(2027, 1, 7), "Epiphany in Bavaria"),
    # 8 December is the Immaculate Conception, a public holiday in Portugal (Código do Trabalho art. 234.º(1)).
    ("lisbon", date(2026, 12, 7), 3, date(2026, 12, 11), "Immaculate Conception in Portugal"),
    # California Government Code §6700(a): Thanksgiving (26 Nov 2026) and the day after are state holidays,
    # then the weekend: the next business day is Monday 30 November.
    ("san-francisco", date(2026, 11, 25), 1, date(2026, 11, 30), "Thanksgiving and the day after in California"),
    # Paris: the company-wide closure on 24 December, Christmas (Code du travail L3133-1) on the 25th, then
    # the weekend: Monday 28 December is the first business day.
    ("paris", date(2026, 12, 23), 1, date(2026, 12, 28), "company closure and Christmas in France"),
])
def test_business_days_on_the_site_calendar(shipped, site, resolved, days, due, why):
    assert site_calendar(shipped, site).add(resolved, days) == due, why


def test_the_review_due_time_is_the_end_of_the_due_day_on_the_owners_site(world_at):
    # Katrin (Munich) declares a SEV2 on Wednesday 23 December 2026 at 11:00 CET and resolves it at 15:00 CET.
    world = world_at(datetime(2026, 12, 23, 10, 0, tzinfo=UTC))
    world.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="d")
    world.incidents.record_channel(1, "CINC0001", "inc-1-checkout", key="c")
    world.clock.set(datetime(2026, 12, 23, 14, 0, tzinfo=UTC))
    world.incidents.resolve(1, actor=KATRIN, key="r", summary="rolled back")
    review = world.learning.review(1)
    # sev2: 5 business days on the commander's own site (Munich): Tuesday 5 January 2027, ending at local
    # midnight, which is 23:00 UTC (CET is UTC+1 in winter).
    assert (review.owner, review.due_day, review.calendar) == (KATRIN, "2027-01-05", "site munich (DE-BY)")
    assert review.due_at == datetime(2027, 1, 5, 23, 0, tzinfo=UTC)
    with world.store.session() as s:
        due = [e for e in events(s, 1) if e.kind == "review.due"]
    assert len(due) == 1 and due[0].data["days_off"] == {
        "2026-12-24": "Christmas Eve closure", "2026-12-25": "Christmas Day", "2026-12-26": "weekend",
        "2026-12-27": "weekend", "2026-12-31": "New Year's Eve closure", "2027-01-01": "New Year's Day",
        "2027-01-02": "weekend", "2027-01-03": "weekend"}


def _sent_at(world, prefix):
    with world.store.session() as s:
        rows = s.exec(select(Reminder).where(Reminder.key.like(prefix + "%"), Reminder.state == "sent")).all()
        return {r.key.removeprefix(prefix): r.sent_at for r in rows}


def test_the_owner_is_nudged_before_on_and_after_the_due_day_until_it_is_done(world_at):
    world = world_at(datetime(2026, 12, 23, 10, 0, tzinfo=UTC))
    world.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="d")
    world.incidents.record_channel(1, "CINC0001", "inc-1-checkout", key="c")
    world.at(datetime(2026, 12, 23, 14, 0, tzinfo=UTC))
    world.incidents.resolve(1, actor=KATRIN, key="r")
    world.dispatcher.run_due()
    rid = world.learning.review(1).id
    prefix = f"review:{rid}:"
    opened = world.sent(prefix + "opened")
    assert len(opened) == 1 and opened[0].to == "CINC0001"
    # The channel's notice also lets the responders add a follow-up (the form, bot/slack/followup_form.py).
    assert {b.action for b in opened[0].notice.buttons} == {"review.draft", "review.done", "followup.add"}
    # Nudges go at 09:00 Munich time (08:00 UTC), inside Katrin's working hours (08:30-17:30):
    # one business day before the due day (Monday 4 January), on it (Tuesday 5 January), then every
    # business day after it: Wednesday 6 January is Epiphany, so Thursday 7 and Friday 8 January.
    steps = [datetime(2027, 1, 4, 8, 0, tzinfo=UTC), datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
             datetime(2027, 1, 7, 8, 0, tzinfo=UTC), datetime(2027, 1, 8, 8, 0, tzinfo=UTC)]
    world.at(steps[0] - timedelta(seconds=1))
    assert set(_sent_at(world, prefix)) == {"opened"}  # nothing before the Monday
    for step in steps:
        world.at(step)
    sent = _sent_at(world, prefix)
    assert sent == {"opened": datetime(2026, 12, 23, 14, 0, tzinfo=UTC), "soon": steps[0], "due": steps[1],
                    "overdue:1": steps[2], "overdue:2": steps[3]}
    nudges = {m.key.removeprefix(prefix): m for m in world.sent(prefix)}
    assert nudges["soon"].to == KATRIN and nudges["soon"].direct
    assert nudges["soon"].notice.title == "INC-1: the post-incident review is due on Tue 05 Jan"
    assert nudges["due"].notice.title == "INC-1: the post-incident review is due today"
    assert nudges["overdue:2"].notice.title == "INC-1: the post-incident review is overdue by 2 business days"
    world.learning.complete_review(1, actor=KATRIN, key="done", link="https://wiki.example.org/inc-1")
    world.at(datetime(2027, 1, 20, 8, 0, tzinfo=UTC))
    assert set(_sent_at(world, prefix)) == {"opened", "soon", "due", "overdue:1", "overdue:2"}  # no more after done
    review = world.learning.review(1)
    assert review.state == "done" and review.on_time is False  # done on 8 January, due by the end of the 5th
    with world.store.session() as s:
        done = [e for e in events(s, 1) if e.kind == "review.completed"]
    assert done[0].data["on_time"] is False and done[0].data["document_url"] == "https://wiki.example.org/inc-1"


def test_a_nudge_waits_for_the_owners_working_hours(world_at):
    # Katrin works 08:30-17:30 Munich time. A nudge planned for 09:00 goes at 09:00; but when the scheduler was
    # down on the due day and comes back at 20:00 CET, the nudge waits until she works again (held, re-checked
    # every 15 minutes): Wednesday 6 January is Epiphany, so Thursday 7 January at 08:30 CET.
    world = world_at(datetime(2026, 12, 23, 10, 0, tzinfo=UTC))
    world.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="d")
    world.incidents.record_channel(1, "CINC0001", "inc-1-checkout", key="c")
    world.at(datetime(2026, 12, 23, 14, 0, tzinfo=UTC))
    world.incidents.resolve(1, actor=KATRIN, key="r")
    world.at(datetime(2027, 1, 5, 19, 0, tzinfo=UTC))  # 20:00 CET on the due day
    assert "due" not in _sent_at(world, "review:1:")
    t = datetime(2027, 1, 5, 19, 0, tzinfo=UTC)
    while t < datetime(2027, 1, 7, 8, 0, tzinfo=UTC):
        t += timedelta(minutes=15)
        world.at(t)
    assert _sent_at(world, "review:1:")["due"] == datetime(2027, 1, 7, 7, 30, tzinfo=UTC)  # 08:30 CET, the start of her working day


def test_no_review_for_a_playbook_that_does_not_require_one(world_at):
    world = world_at(datetime(2026, 12, 22, 10, 0, tzinfo=UTC))
    world.incidents.declare("sev4", "Typo on the status page", actor=KATRIN, key="d")
    world.incidents.resolve(1, actor=KATRIN, key="r")
    assert world.learning.review(1) is None
    with pytest.raises(Exception, match="does not require one"):
        world.learning.draft_review(1, actor=KATRIN, key="x")
