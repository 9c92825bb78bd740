"""Metrics for a period, computed for hand-made incidents; every expected value is worked out in the comments."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest

from bot.learning.followups import Proposal
from bot.learning.metrics import compute
from bot.learning.metrics_report import one_line, to_csv, to_json, to_markdown
from tests.learning.conftest import ANNA, BRUNO, KATRIN, UTC

# Anna's on-call week on the platform rota starts Monday 21 Dec 2026 09:00 Berlin (config/rotas.yaml).
INC1 = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)  # Tuesday 11:00 Berlin: inside Anna's hours (09:00-12:30)
INC2 = datetime(2026, 12, 23, 6, 30, tzinfo=UTC)  # Wednesday 07:30 Berlin: before her hours start at 09:00
AS_OF = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
START, END = datetime(2026, 12, 21, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def _proposal(title: str, due: date) -> Proposal:
    return Proposal(title=title, owner=BRUNO, due=due, cost="2 days", impact="checkout slows down again",
                    likelihood="possible")


@pytest.fixture
def period(world_at, shipped, store):
    w = world_at(INC1)
    w.incidents.declare("sev2", "Checkout latency", actor=KATRIN, key="d1")
    w.incidents.record_channel(1, "CINC0001", "inc-1", key="c1")
    w.dispatcher.run_due()  # level 1 of platform-escalation: the on-call person, Anna
    w.clock.set(INC1 + timedelta(minutes=3))
    w.incidents.acknowledge_page(w.incidents.pages(1)[0].id, actor=ANNA, key="a1")  # within the 5m ack timeout
    w.clock.set(INC1 + timedelta(hours=2))
    w.incidents.resolve(1, actor=KATRIN, key="r1")
    w.learning.add_followup(1, _proposal("Alert on p99 latency", date(2026, 12, 23)), actor=KATRIN, key="f1")
    w.learning.add_followup(1, _proposal("Load-test checkout", date(2027, 1, 15)), actor=KATRIN, key="f2")
    w.at(INC2)
    w.incidents.declare("sev2", "Checkout errors", actor=KATRIN, key="d2")
    w.incidents.record_channel(2, "CINC0002", "inc-2", key="c2")
    w.dispatcher.run_due()
    w.clock.set(INC2 + timedelta(minutes=4))
    w.incidents.acknowledge_page(w.incidents.pages(2)[0].id, actor=ANNA, key="a2")
    w.clock.set(INC2 + timedelta(hours=1))
    w.incidents.resolve(2, actor=KATRIN, key="r2")
    w.clock.set(INC2 + timedelta(hours=3))
    w.learning.complete_review(1, actor=KATRIN, key="rv1", link="https://wiki.example/inc-1")
    w.at(AS_OF)
    return w


def test_metrics_for_two_hand_made_incidents(period, shipped):
    with period.store.session() as s:
        m = compute(s, shipped, START, END, AS_OF)
    assert m.as_of == AS_OF  # the period ends later than now: figures as of now
    sev2 = m.severities["sev2"]
    assert (sev2.incidents, sev2.acknowledged, sev2.resolved) == (2, 2, 2)
    # MTTA: INC-1 acknowledged 3 minutes after its declaration, INC-2 after 4: (180 + 240) / 2 = 210 s.
    assert sev2.mtta_seconds == 210
    # MTTR: INC-1 resolved after 2 h (7200 s), INC-2 after 1 h (3600 s): (7200 + 3600) / 2 = 5400 s.
    assert sev2.mttr_seconds == 5400
    assert set(m.severities) == {"sev2"}
    # One page each, both to Anna, acknowledged before level 2 (5 minutes) went out. INC-1's at 11:00 Berlin on a
    # Tuesday is inside her hours; INC-2's at 07:30 Berlin is before they start: one out of hours.
    assert [(p.person, p.pages, p.out_of_hours) for p in m.pages] == [("anna", 2, 1)]
    assert m.exceptions_used == 0  # Anna was allowed to be paged both times: no labor rule needed waiving
    # No fact was set, so no legal clock started: no duty has a due time to meet or miss (duties waiting for a
    # fact, regimes that do not apply: not counted).
    assert m.deadlines == {"met": 0, "missed": 0, "overdue": 0, "open": 0, "not_required": 0}
    # INC-1's review was completed on 23 Dec, long before its due day (5 business days after 22 Dec);
    # INC-2's (resolved 23 Dec) is due 5 business days later, after 24 Dec: still due, not overdue.
    assert m.reviews == {"on_time": 1, "late": 0, "overdue": 0, "due": 1}
    # F-1 was due 23 Dec and is still open on 24 Dec: overdue. F-2 is due 15 Jan.
    assert (m.followups_total, m.followups_overdue) == (2, 1)


def test_the_period_selects_by_declaration_and_a_late_as_of_makes_work_overdue(period, shipped):
    with period.store.session() as s:
        only_second = compute(s, shipped, INC1 + timedelta(hours=1), END, AS_OF)
        # INC-2 resolved Wed 23 Dec: five business days on Katrin's Munich calendar cannot end before Tue 29 Dec
        # (24 Dec, then 25 and 26 Dec are Bavarian holidays and 27 Dec a Sunday), nor after mid-January even with
        # every company closure of the example works agreement: on 1 Feb it is overdue.
        later = compute(s, shipped, START, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    assert only_second.severities["sev2"].incidents == 1
    assert only_second.severities["sev2"].mtta_seconds == 240 and only_second.severities["sev2"].mttr_seconds == 3600
    assert [(p.person, p.pages) for p in only_second.pages] == [("anna", 1)]  # INC-1's page went before the start
    assert (only_second.followups_total, only_second.followups_overdue) == (0, 0)  # both belong to INC-1
    assert later.as_of == datetime(2027, 2, 1, tzinfo=UTC)
    with period.store.session() as s:
        ended = compute(s, shipped, START, END, datetime(2027, 2, 1, tzinfo=UTC))
    assert ended.as_of == END  # a period that ended before now: figures as of its end
    assert later.reviews == {"on_time": 1, "late": 0, "overdue": 1, "due": 0}


def test_formats_say_the_same(period, shipped):
    with period.store.session() as s:
        m = compute(s, shipped, START, END, AS_OF)
    data = json.loads(json.dumps(to_json(m)))
    assert data["severities"]["sev2"] == {"incidents": 2, "acknowledged": 2, "resolved": 2, "mtta_seconds": 210,
                                          "mttr_seconds": 5400}
    rows = {(r["metric"], r["label"]): r["value"] for r in csv.DictReader(io.StringIO(to_csv(m)))}
    assert float(rows[("mtta_seconds", "sev2")]) == 210 and rows[("pages_out_of_hours", "anna")] == "1"
    text = to_markdown(m)
    assert "| sev2 | 2 | 4m | 1h 30m |" in text  # 210 s rounds to 4 minutes (3.5 rounds half to even: 4)
    assert "Follow-ups: 2, 1 overdue." in text
    assert "sev2: 2 incident(s), MTTA 4m, MTTR 1h 30m" in one_line(m)


def test_an_empty_or_reversed_period(period, shipped):
    with period.store.session() as s:
        empty = compute(s, shipped, END, END + timedelta(days=1), AS_OF)
        with pytest.raises(ValueError, match="expected --to after --from"):
            compute(s, shipped, END, START, AS_OF)
    assert empty.incidents == 0 and empty.pages == [] and empty.followups_overdue == 0
