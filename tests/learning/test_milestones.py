"""Milestones on the chain: detected, acknowledged, mitigated, resolved, closed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.audit.trail import events, verify_chain
from bot.incidents.errors import Conflict, InvalidRequest, PermissionDenied
from tests.learning.conftest import ANNA, KATRIN, UTC

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)  # Anna's on-call week, inside her working hours


@pytest.fixture
def outage(world_at):
    w = world_at(TUESDAY)
    w.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="declare")
    w.incidents.record_channel(1, "CINC0001", "inc-1", key="channel")
    w.dispatcher.run_due()
    return w


def _names(world):
    return {m.name: m.at for m in world.learning.milestones(1)}


def test_milestones_come_from_the_chain(outage):
    w = outage
    assert _names(w) == {"detected": TUESDAY}  # the declaration
    page = w.incidents.pages(1)[0]
    w.clock.set(TUESDAY + timedelta(minutes=3))
    w.incidents.acknowledge_page(page.id, actor=ANNA, key="ack")
    w.clock.set(TUESDAY + timedelta(minutes=20))
    outcome = w.learning.mark_mitigated(1, actor=KATRIN, key="mitigated", note="traffic shifted to the EU region")
    assert outcome.posts[0].notice.title == "INC-1 mitigated"
    w.clock.set(TUESDAY + timedelta(hours=2))
    w.incidents.resolve(1, actor=KATRIN, key="resolve")
    assert _names(w) == {"detected": TUESDAY, "acknowledged": TUESDAY + timedelta(minutes=3),
                         "mitigated": TUESDAY + timedelta(minutes=20), "resolved": TUESDAY + timedelta(hours=2)}
    with w.store.session() as s:
        mitigated = [e for e in events(s, 1) if e.kind == "milestone.set"]
        assert verify_chain(s, 1).ok
    assert len(mitigated) == 1 and mitigated[0].actor == KATRIN
    assert mitigated[0].data == {**mitigated[0].data, "milestone": "mitigated",
                                 "at": (TUESDAY + timedelta(minutes=20)).isoformat(), "before": None,
                                 "reason": "traffic shifted to the EU region"}


def test_a_correction_needs_a_reason_keeps_the_original_and_wins(outage):
    w = outage
    w.clock.set(TUESDAY + timedelta(minutes=30))
    w.learning.mark_mitigated(1, actor=KATRIN, key="m1")
    with pytest.raises(InvalidRequest, match=r"already has mitigated at 2026-12-22T10:30\+00:00 .* needs a reason"):
        w.learning.mark_mitigated(1, actor=KATRIN, key="m2")
    earlier = TUESDAY - timedelta(minutes=15)  # the alert had fired before anyone declared
    w.learning.set_milestone(1, "detected", earlier, actor=KATRIN, key="d1",
                             reason="the latency alert fired at 10:45 CET, 15 minutes before the declaration")
    w.learning.set_milestone(1, "mitigated", TUESDAY + timedelta(minutes=25), actor=KATRIN, key="m3",
                             reason="the graphs show recovery from 11:25")
    assert _names(w)["detected"] == earlier and _names(w)["mitigated"] == TUESDAY + timedelta(minutes=25)
    with w.store.session() as s:
        sets = [e.data for e in events(s, 1) if e.kind == "milestone.set"]
    assert [d["before"] for d in sets] == [None, TUESDAY.isoformat(), (TUESDAY + timedelta(minutes=30)).isoformat()]


@pytest.mark.parametrize("name, offset, message", [
    ("mitigated", timedelta(hours=1), "is in the future"),
    ("mitigated", -timedelta(minutes=1), "would be before the detection"),
    ("closed", timedelta(0), '"closed" is set by closing the incident'),
    ("impact", timedelta(0), "expected a milestone to set"),
])
def test_impossible_milestones_are_refused(outage, name, offset, message):
    with pytest.raises(InvalidRequest, match=message):
        outage.learning.set_milestone(1, name, TUESDAY + offset, actor=KATRIN, key="x", reason="r")


def test_mitigated_cannot_be_after_the_resolution(outage):
    w = outage
    w.clock.set(TUESDAY + timedelta(hours=1))
    w.incidents.resolve(1, actor=KATRIN, key="resolve")
    w.clock.set(TUESDAY + timedelta(hours=3))
    with pytest.raises(InvalidRequest, match="would be after the resolution"):
        w.learning.set_milestone(1, "mitigated", TUESDAY + timedelta(hours=2), actor=KATRIN, key="x", reason="late")
    with pytest.raises(Conflict, match="already resolved; give the time it was mitigated"):
        w.learning.mark_mitigated(1, actor=KATRIN, key="y")
    w.learning.mark_mitigated(1, actor=KATRIN, key="z", at=TUESDAY + timedelta(minutes=40))
    assert _names(w)["mitigated"] == TUESDAY + timedelta(minutes=40)


def test_only_the_commander_scribe_or_admins_set_milestones(outage):
    with pytest.raises(PermissionDenied, match="may not set milestone on INC-1"):
        outage.learning.mark_mitigated(1, actor=ANNA, key="anna")


def test_closed_is_the_closing_itself(world_at):
    w = world_at(datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc))
    w.incidents.declare("sev4", "Typo", actor=KATRIN, key="declare")
    w.clock.set(TUESDAY + timedelta(hours=1))
    w.incidents.close(1, "fixed the typo", actor=KATRIN, key="close")
    names = _names(w)
    # Closing an active incident resolves it at the same moment.
    assert names == {"detected": TUESDAY, "resolved": TUESDAY + timedelta(hours=1), "closed": TUESDAY + timedelta(hours=1)}
    with pytest.raises(Conflict, match="closed; you can't set mitigated"):
        w.learning.set_milestone(1, "mitigated", TUESDAY, actor=KATRIN, key="late", reason="forgot")
